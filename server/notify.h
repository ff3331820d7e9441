/* notify.h — tells the service manager how temd is doing (systemd's sd_notify protocol:
 * READY=1 once listening, RELOADING=1 around a trust-list reload, STOPPING=1 on the way out),
 * so a Type=notify unit starts its dependants only when temd answers. Does nothing when temd
 * was not started by a service manager (no NOTIFY_SOCKET). */
#ifndef TEM_NOTIFY_H
#define TEM_NOTIFY_H

/* Sends state (newline-separated VAR=VALUE assignments, e.g. "READY=1") to the service
 * manager named by NOTIFY_SOCKET, if any. A failure to send is logged once on stderr and
 * otherwise ignored: temd goes on serving whether or not the manager hears it. */
void notify_send(const char *state);

#endif
