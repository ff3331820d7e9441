/* notify.c — readiness and reload notifications to systemd through libsystemd's sd_notify
 * (the protocol is systemd's, so no socket code of temd's own). */
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "server/log.h"
#include "server/notify.h"

void notify_send(const char *state)
{
	static int warned;            /* only the main thread notifies */
	int rc = sd_notify(0, state); /* 0: no NOTIFY_SOCKET, nobody to tell */

	if (rc < 0 && !warned) {
		log_msg(LOG_LV_WARNING, "cannot notify the service manager: %s", strerror(-rc));
		warned = 1;
	}
}
