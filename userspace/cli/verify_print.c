// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "verify_print.h"

void verify_print__diagnosis(const struct verify_round *r, void *ctx)
{
	const struct verify_print *vp = ctx;

	/* The command prints again: say which run the output below comes from. */
	fflush(cli_out());
	if (!cli.quiet)
		cli_info("verify: %s exited %d on the pruned tree; running it on the original "
			 "tree to name what the zip lacks",
			 vp->o->argv[0], r->cmd_status);
}

/* "  PATH, wanted by COMM (PID) via SYSCALL": one missing file under its package's line. */
static void print_file(const struct verify_missing *m)
{
	char comm[sizeof(m->comm) + 1];

	fputs("  ", cli_out());
	cli_name(cli_out(), m->path);
	if (m->pid) {
		/* The process named itself: its name is as untrusted as a file's. */
		snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(m->comm), m->comm);
		fprintf(cli_out(), ", wanted by ");
		cli_name(cli_out(), comm);
		fprintf(cli_out(), " (%u) via %s\n", m->pid, m->via);
	} else {
		fprintf(cli_out(), ", wanted via %s\n", m->via);
	}
}

/* "missing N files of package NAME (KIND: DIR/)", then its files, capped unless -v. */
static void print_group(const struct verify_print *vp, const struct verify_round *r,
			const struct verify_group *g)
{
	size_t show = cli.verbose ? g->nfiles : VERIFY_PRINT_PER_PACKAGE;

	fprintf(cli_out(), "missing %zu file%s of package ", g->nfiles, g->nfiles == 1 ? "" : "s");
	cli_name(cli_out(), g->name);
	fprintf(cli_out(), " (%s", hostdeps__kind_name(g->kind));
	if (g->own_dir || *g->where) {
		fputs(g->own_dir ? ": " : ", in ", cli_out());
		cli_name(cli_out(), g->where);
		fputs("/)\n", cli_out());
	} else {
		fputs(", at the tree's top)\n", cli_out());
	}
	for (size_t i = 0; i < g->nfiles && i < show; i++)
		print_file(&r->missing[g->files[i]]);
	if (g->nfiles > show)
		fprintf(cli_out(), "  ... and %zu more (-v lists them%s)\n", g->nfiles - show,
			vp->report ? "; the report has them all" : ", as --report FILE does");
}

/* The missing files by package; one line per file as before when grouping cannot be had. */
static void print_missing(const struct verify_print *vp, const struct verify_round *r)
{
	struct verify_group *g = NULL;
	size_t ng = 0;

	if (verify_groups__make(r->missing, r->nmissing, &g, &ng)) {
		cli_warn("out of memory grouping the missing files by package");
		for (size_t i = 0; i < r->nmissing; i++)
			print_file(&r->missing[i]);
		return;
	}
	for (size_t i = 0; i < ng; i++)
		print_group(vp, r, &g[i]);
	verify_groups__free(g, ng);
}

void verify_print__round(const struct verify_round *r, void *ctx)
{
	struct verify_print *vp = ctx;
	const struct verify_opts *o = vp->o;
	int err;

	if (vp->log && !vp->log_err && (err = verify_log__add_round(vp->log, r)))
		vp->log_err = err;
	if (vp->json.on)
		verify_json__add_round(&vp->json, r);
	if (!cli.quiet) {
		fprintf(cli_out(), "verify round %u: ", r->round);
		cli_name(cli_out(), o->argv[0]);
		fprintf(cli_out(), " exited with status %d; %zu missing file%s%s\n", r->cmd_status,
			r->nmissing, r->nmissing == 1 ? "" : "s",
			r->diag_status >= 0 ? " (with a diagnosis run on the original tree)" : "");
	}
	print_missing(vp, r);
	for (size_t i = 0; i < r->nhost_missing; i++) {
		fprintf(cli_out(), "missing host package ");
		cli_name(cli_out(), r->host_missing[i].package);
		fprintf(cli_out(), " (");
		cli_name(cli_out(), r->host_missing[i].path);
		fprintf(cli_out(), ")\n");
	}
	if (r->lost_events)
		cli_warn("%" PRIu64 " events were lost in this round: the list may be incomplete",
			 r->lost_events);
	if (o->fix && r->nmissing && !cli.quiet) {
		fprintf(cli_out(), "fixed: ");
		cli_name(cli_out(), o->zip_path);
		fprintf(cli_out(),
			" now holds %" PRIu64 " entries (was %" PRIu64 "): %" PRIu64
			" missing file%s added\n",
			r->zip_entries_after, r->zip_entries_before, r->added,
			r->added == 1 ? "" : "s");
	}
	fflush(cli_out());
}

/* How a class of zipcheck.h reads in the warning: singular, plural, what others lack. */
static const char *const mode_class_words[ZIPCHECK_CLASSES][3] = {
	[ZIPCHECK_UNREADABLE] = {"file", "files", "readable"},
	[ZIPCHECK_UNEXECUTABLE] = {"executable", "executables", "executable"},
	[ZIPCHECK_CLOSED_DIR] = {"directory", "directories", "readable and searchable"},
};

void verify_print__modes(const struct zipcheck_result *zc, void *ctx)
{
	const struct verify_print *vp = ctx;

	for (int c = 0; c < ZIPCHECK_CLASSES; c++) {
		const char *const *w = mode_class_words[c];
		char *names = NULL;
		size_t len = 0;
		FILE *f;

		if (!zc->count[c])
			continue;
		f = open_memstream(&names, &len);
		if (!f)
			continue;
		for (int i = 0; i < ZIPCHECK_NAMES && i < (int)zc->count[c]; i++)
			fprintf(f, "%s%s (%04o)", i ? ", " : "", zc->first[c][i].name,
				(unsigned int)zc->first[c][i].mode);
		if (zc->count[c] > ZIPCHECK_NAMES)
			fprintf(f, " and %" PRIu64 " more", zc->count[c] - ZIPCHECK_NAMES);
		if (fclose(f) == 0)
			cli_warn("%" PRIu64 " %s in %s %s not %s by others, so not by Lambda's "
				 "unprivileged user: %s",
				 zc->count[c], zc->count[c] == 1 ? w[0] : w[1], vp->o->zip_path,
				 zc->count[c] == 1 ? "is" : "are", w[2], names);
		free(names);
	}
}
