/* progress.c — progress of long work on a terminal: done/total, rate and time left. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/date.h"

static void draw(struct progress *p, uint64_t done, int final)
{
	double el = date_mono_seconds() - p->start;
	double rate = el > 0 ? (double)done / el : 0;

	if (p->total > 0 && !final && rate > 0) {
		double left = (double)(p->total - (done < p->total ? done : p->total)) / rate;
		fprintf(stderr, "\r%llu/%llu %s (%3.0f%%), %.0f/s, %.0f s left   ",
			(unsigned long long)done, (unsigned long long)p->total, p->what,
			100.0 * (double)done / (double)p->total, rate, left);
	} else {
		fprintf(stderr, "\r%llu %s, %.0f/s, %.1f s%s", (unsigned long long)done, p->what,
			rate, el, final ? "                    \n" : "   ");
	}
	fflush(stderr);
}

void progress_start(struct progress *p, const char *what, uint64_t total, int quiet)
{
	p->what = what;
	p->total = total;
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->start = date_mono_seconds();
	p->last = 0;
}

void progress_update(void *arg, uint64_t done)
{
	struct progress *p = arg;
	double t;

	if (!p->enabled)
		return;
	t = date_mono_seconds();
	if (t - p->last < 0.2)
		return;
	p->last = t;
	draw(p, done, 0);
}

void progress_end(struct progress *p, uint64_t done)
{
	if (p->enabled)
		draw(p, done, 1);
}
