// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "humanize.h"
#include "progress.h"
#include "progress_print.h"
#include "util.h"

#define LINE_MAX_BYTES 256

struct cli_progress {
	struct slz_progress hook;
	FILE *out;
	size_t width;
	cli_clock_fn clock;
	void *clock_ctx;
	uint64_t last_ms;
	bool drawn;		   /* a line is on the screen */
	char phase[32];		   /* of the last line drawn: a new phase draws at once */
	char line[LINE_MAX_BYTES]; /* the last line drawn: the same one is not drawn twice */
};

static uint64_t mono_clock(void *ctx)
{
	(void)ctx;
	return slz_mono_ms();
}

const char *cli_progress__format(const struct slz_progress_state *st, char *buf, size_t len)
{
	char done[32], total[32], bdone[32], btotal[32];
	int n;

	humanize_count(st->done, done, sizeof(done));
	humanize_count(st->total, total, sizeof(total));
	if (!st->unit)
		n = st->total ? snprintf(buf, len, "%s %s/%s", st->phase, done, total)
			      : snprintf(buf, len, "%s %s", st->phase, done);
	else
		n = st->total ? snprintf(buf, len, "%s: %s/%s %s", st->phase, done, total, st->unit)
			      : snprintf(buf, len, "%s: %s %s", st->phase, done, st->unit);
	if (st->bytes_total && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", %s/%s",
			 humanize_bytes(st->bytes_done, bdone, sizeof(bdone)),
			 humanize_bytes(st->bytes_total, btotal, sizeof(btotal)));
	return buf;
}

void cli_progress__clear(struct cli_progress *p)
{
	if (!p || !p->drawn)
		return;
	/* Carriage return, then erase to the end of the line: the cursor is where it was. */
	fputs("\r\033[K", p->out);
	fflush(p->out);
	p->drawn = false;
	p->line[0] = '\0';
}

static void update(const struct slz_progress_state *st, void *ctx)
{
	struct cli_progress *p = ctx;
	char line[LINE_MAX_BYTES];
	uint64_t now;
	bool new_phase, last;

	if (!st) {
		cli_progress__clear(p);
		return;
	}
	now = p->clock(p->clock_ctx);
	new_phase = strncmp(p->phase, st->phase, sizeof(p->phase) - 1) != 0;
	last = st->total && st->done >= st->total && st->bytes_done >= st->bytes_total;
	/* The throttle: a terminal redrawn more often than this only costs the work time. */
	if (p->drawn && !new_phase && !last && now - p->last_ms < CLI_PROGRESS_INTERVAL_MS)
		return;
	cli_progress__format(st, line, sizeof(line));
	if (strlen(line) > p->width)
		line[p->width] = '\0';
	if (p->drawn && !strcmp(line, p->line))
		return;
	fprintf(p->out, "\r%s\033[K", line);
	fflush(p->out);
	memcpy(p->line, line, sizeof(line));
	snprintf(p->phase, sizeof(p->phase), "%s", st->phase);
	p->last_ms = now;
	p->drawn = true;
}

struct cli_progress *cli_progress__new(FILE *out, size_t width, cli_clock_fn clock, void *clock_ctx)
{
	struct cli_progress *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->out = out;
	p->width = width ? width : 79;
	if (p->width >= LINE_MAX_BYTES)
		p->width = LINE_MAX_BYTES - 1;
	p->clock = clock ? clock : mono_clock;
	p->clock_ctx = clock_ctx;
	p->hook.update = update;
	p->hook.ctx = p;
	return p;
}

void cli_progress__free(struct cli_progress *p)
{
	if (!p)
		return;
	cli_progress__clear(p);
	free(p);
}

const struct slz_progress *cli_progress__hook(struct cli_progress *p)
{
	return p ? &p->hook : NULL;
}

const struct slz_progress *cli_progress_begin(void)
{
	const char *term = getenv("TERM");
	struct winsize ws;
	size_t width = 0;

	if (cli.progress)
		return cli_progress__hook(cli.progress);
	if (cli.quiet || !isatty(STDERR_FILENO) || (term && !strcmp(term, "dumb")))
		return NULL;
	/* One column short of the width: a line that fills it wraps on some terminals. */
	if (!ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col > 1)
		width = ws.ws_col - 1;
	cli.progress = cli_progress__new(stderr, width, NULL, NULL);
	return cli_progress__hook(cli.progress);
}

void cli_progress_end(void)
{
	cli_progress__free(cli.progress);
	cli.progress = NULL;
}
