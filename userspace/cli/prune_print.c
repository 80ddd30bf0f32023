// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What prune and run print about a plan: the dry-run list, the summary and the warnings. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "config.h"
#include "escape.h"
#include "humanize.h"
#include "json_out.h"
#include "json.h"
#include "prune_print.h"
#include "prune_report.h"
#include "util.h"

void prune_print__dry_run(const struct prune_plan *r)
{
	struct tree_entry e;
	char reasons[256];

	for (size_t i = 1; i < tree__count(r->tree); i++) {
		bool kept = keepset__has(r->keep, (uint32_t)i);

		if (tree__get(r->tree, (uint32_t)i, &e))
			continue;
		fputs(kept ? "+ " : "- ", cli_out());
		cli_name(cli_out(), e.path);
		if (kept) {
			keepset__reasons_str(keepset__reasons(r->keep, (uint32_t)i), rules__name,
					     reasons, sizeof(reasons));
			fprintf(cli_out(), "  [%s]", reasons);
		} else if (r->written && (r->written[i] & PLAN_WRITTEN_LEFT_OUT)) {
			/* Touched, yet dropped: say why, as the summary does. */
			fputs("  [created by the run]", cli_out());
		}
		fputc('\n', cli_out());
	}
}

static int cmp_kept(const void *a, const void *b)
{
	const struct package_bytes *x = a, *y = b;

	return x->kept_bytes != y->kept_bytes ? (x->kept_bytes > y->kept_bytes ? -1 : 1)
					      : strcmp(x->name, y->name);
}

static int cmp_dropped(const void *a, const void *b)
{
	const struct package_bytes *x = a, *y = b;

	return x->dropped_bytes != y->dropped_bytes ? (x->dropped_bytes > y->dropped_bytes ? -1 : 1)
						    : strcmp(x->name, y->name);
}

static void print_packages(const struct prune_plan *r)
{
	struct package_bytes *pk = NULL;
	size_t n = 0;
	char b[32];

	if (prune_report__packages(r, &pk, &n))
		return;
	if (n > 1) /* none (a tree without files): pk is NULL, which qsort must not see */
		qsort(pk, n, sizeof(*pk), cmp_kept);
	fprintf(cli_out(), "  largest kept:    ");
	for (size_t i = 0, shown = 0; i < n && shown < 5 && pk[i].kept_bytes; i++, shown++) {
		fputs(shown ? ", " : "", cli_out());
		cli_name(cli_out(), pk[i].name); /* a tree path: escaped */
		fprintf(cli_out(), " %s", humanize_bytes(pk[i].kept_bytes, b, sizeof(b)));
	}
	if (n > 1)
		qsort(pk, n, sizeof(*pk), cmp_dropped);
	fprintf(cli_out(), "\n  largest dropped: ");
	for (size_t i = 0, shown = 0; i < n && shown < 5 && pk[i].dropped_bytes; i++, shown++) {
		fputs(shown ? ", " : "", cli_out());
		cli_name(cli_out(), pk[i].name);
		fprintf(cli_out(), " %s", humanize_bytes(pk[i].dropped_bytes, b, sizeof(b)));
	}
	fputc('\n', cli_out());
	prune_report__free_packages(pk, n);
}

/* Up to max tree entries whose flags and type match, as ", "-separated escaped names. */
static uint64_t list_entries(const struct tree *t, uint32_t flag, bool dirs, size_t max)
{
	struct tree_entry e;
	uint64_t n = 0;

	for (size_t i = 1; i < tree__count(t); i++) {
		if (tree__get(t, (uint32_t)i, &e) || !(e.flags & flag) || S_ISDIR(e.mode) != dirs)
			continue;
		if (n++ < max) {
			fputs(n > 1 ? ", " : "", cli_out());
			cli_name(cli_out(), e.path);
		}
	}
	return n;
}

/*
 * What the zip may lack without the profile's knowing: directories the walk could not list,
 * profile entries below the tree that match nothing, and names zip tools read differently.
 */
static void print_gaps(const struct prune_plan *r)
{
	struct tree_entry e;
	uint64_t n = 0;

	for (size_t i = 1; i < tree__count(r->tree); i++)
		n += !tree__get(r->tree, (uint32_t)i, &e) && S_ISDIR(e.mode) &&
		     (e.flags & TREE_F_UNREADABLE);
	if (n) {
		fprintf(cli_out(),
			"unlisted:   %" PRIu64 " director%s could not be listed, so no file below "
			"%s is in the zip: ",
			n, n == 1 ? "y" : "ies", n == 1 ? "it" : "them");
		list_entries(r->tree, TREE_F_UNREADABLE, true, 3);
		fprintf(cli_out(), "%s\n", n > 3 ? ", ..." : "");
	}
	if (r->resolve.unmatched_in_tree) {
		fprintf(cli_out(),
			"unmatched:  %" PRIu64 " profile entr%s below the tree match%s no file of "
			"it (changed since the recording?), e.g. ",
			r->resolve.unmatched_in_tree,
			r->resolve.unmatched_in_tree == 1 ? "y" : "ies",
			r->resolve.unmatched_in_tree == 1 ? "es" : "");
		cli_name(cli_out(), r->resolve.first_unmatched ? r->resolve.first_unmatched : "?");
		fputc('\n', cli_out());
	}
	if (r->non_utf8_names && !tree__get(r->tree, r->first_non_utf8, &e)) {
		fprintf(cli_out(),
			"names:      %" PRIu64
			" kept name%s not UTF-8 (stored as raw bytes), e.g. ",
			r->non_utf8_names, r->non_utf8_names == 1 ? " is" : "s are");
		cli_name(cli_out(), e.path);
		fputc('\n', cli_out());
	}
}

/*
 * Bytes kept per reason, and where the stat-only ones lie: a program that stats a whole data
 * directory (botocore lists its service models so) keeps all of it, one --drop away.
 */
static void print_kept_bytes(const struct prune_plan *r)
{
	uint64_t stat = r->kept_bytes[PRUNE_KEPT_STAT_ONLY];
	struct tree_entry e;
	char b[32], c[32];

	fprintf(cli_out(), "kept bytes:");
	for (size_t i = 0; i < PRUNE_KEPT_CLASSES; i++)
		fprintf(cli_out(), "%s %s %s (%s file%s)", i ? "," : "", prune_kept_class__name(i),
			humanize_bytes(r->kept_bytes[i], b, sizeof(b)),
			humanize_count(r->kept_files[i], c, sizeof(c)),
			r->kept_files[i] == 1 ? "" : "s");
	fputc('\n', cli_out());
	if (!stat || !r->nstat_dirs)
		return;
	fprintf(cli_out(), "stat-only:  %.0f%% of the kept bytes were only stat()ed, most below ",
		r->after_bytes ? 100.0 * (double)stat / (double)r->after_bytes : 0);
	for (size_t i = 0; i < r->nstat_dirs; i++) {
		if (tree__get(r->tree, r->stat_dirs[i].dir, &e))
			continue;
		fputs(i ? ", " : "", cli_out());
		cli_name(cli_out(), e.path);
		fprintf(cli_out(), "/ %s (%s files)",
			humanize_bytes(r->stat_dirs[i].bytes, b, sizeof(b)),
			humanize_count(r->stat_dirs[i].files, c, sizeof(c)));
	}
	fprintf(cli_out(), "; if the function does not read them, --drop them and verify\n");
}

/* What the run created and the zip leaves out, and bytecode it compiled that the zip keeps. */
static void print_written(const struct prune_plan *r)
{
	struct tree_entry e = {.path = "?"};

	if (r->created_left_out) {
		tree__get(r->tree, r->first_created_left_out, &e);
		fprintf(cli_out(),
			"created:    left out %" PRIu64 " file%s the run created (first: ",
			r->created_left_out, r->created_left_out == 1 ? "" : "s");
		cli_name(cli_out(), e.path);
		fprintf(cli_out(), "); --keep-created keeps %s\n",
			r->created_left_out == 1 ? "it" : "them");
	}
	if (r->created_bytecode_kept)
		fprintf(cli_out(),
			"created:    kept %" PRIu64
			" .pyc file%s the run compiled for kept sources "
			"(Lambda cannot write %s)\n",
			r->created_bytecode_kept, r->created_bytecode_kept == 1 ? "" : "s",
			r->created_bytecode_kept == 1 ? "it" : "them");
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

bool prune_print__summary(const struct prune_policy *pol, const char *out_zip,
			  const struct prune_plan *r, const struct zipwrite_stats *zs)
{
	char c1[32], c2[32], c3[32], c4[32];
	bool zipped_over = !pol->dry_run && zs->zip_size > LAMBDA_ZIPPED_LIMIT;
	bool unzipped_over = r->after_bytes > LAMBDA_UNZIPPED_LIMIT;

	if (cli.quiet)
		return zipped_over || unzipped_over;
	fprintf(cli_out(), "\n%-10s %12s %12s\n", "", "files", "bytes");
	fprintf(cli_out(), "%-10s %12s %12s\n", "before",
		humanize_count(r->before_files, c1, sizeof(c1)),
		humanize_bytes(r->before_bytes, c2, sizeof(c2)));
	fprintf(cli_out(), "%-10s %12s %12s\n", "after",
		humanize_count(r->after_files, c1, sizeof(c1)),
		humanize_bytes(r->after_bytes, c2, sizeof(c2)));
	fprintf(cli_out(), "%-10s %11.1f%% %11.1f%%\n", "reduction",
		pct(r->before_files - r->after_files, r->before_files),
		pct(r->before_bytes - r->after_bytes, r->before_bytes));
	if (!pol->dry_run) {
		fprintf(cli_out(), "%-10s %12s %12s  (%s entries, level %d) -> ", "zip", "",
			humanize_bytes(zs->zip_size, c1, sizeof(c1)),
			humanize_count(zs->entries, c2, sizeof(c2)), pol->zip.level);
		cli_name(cli_out(), out_zip);
		fputc('\n', cli_out());
	}
	fprintf(cli_out(),
		"\nAWS Lambda: zipped %s of %s (direct upload) %s; unzipped %s of %s %s\n",
		pol->dry_run ? "-" : humanize_bytes(zs->zip_size, c1, sizeof(c1)),
		humanize_bytes(LAMBDA_ZIPPED_LIMIT, c2, sizeof(c2)),
		pol->dry_run  ? "-"
		: zipped_over ? "EXCEEDED"
			      : "ok",
		humanize_bytes(r->after_bytes, c3, sizeof(c3)),
		humanize_bytes(LAMBDA_UNZIPPED_LIMIT, c4, sizeof(c4)),
		unzipped_over ? "EXCEEDED" : "ok");
	fprintf(cli_out(),
		"kept by:    profile %" PRIu64 " (inode %" PRIu64 ", path %" PRIu64
		"), --keep %" PRIu64 ", rules",
		r->resolve.by_inode + r->resolve.by_path, r->resolve.by_inode, r->resolve.by_path,
		r->glob_kept);
	for (size_t i = 0; i < rules__count(); i++)
		fprintf(cli_out(), "%s %s %" PRIu64, i ? " /" : "", rules__name(i),
			r->rules.added[i]);
	fprintf(cli_out(), "; --drop removed %" PRIu64 "\n", r->glob_dropped);
	print_kept_bytes(r);
	print_gaps(r);
	print_written(r);
	print_packages(r);
	return zipped_over || unzipped_over;
}

/*
 * Entries the walk could not take in: reported, not fatal (a kept one fails the zip).
 * Directories it could not list are the summary's "unlisted" line (and a refusal when the
 * workload touched something below one).
 */
static void warn_tree_problems(const struct tree *t)
{
	static const struct {
		uint32_t flag;
		const char *what;
	} problems[] = {
		{TREE_F_UNREADABLE, "unreadable files"},
		{TREE_F_LINK_LOOP, "symlinks that loop or dangle"},
		{TREE_F_SPECIAL, "special files (fifos, sockets, devices; never zipped)"},
	};
	struct tree_entry e;

	for (size_t k = 0; k < ARRAY_SIZE(problems); k++) {
		uint64_t n = 0;
		const char *first = NULL;

		for (size_t i = 1; i < tree__count(t); i++) {
			if (tree__get(t, (uint32_t)i, &e) || !(e.flags & problems[k].flag) ||
			    (problems[k].flag == TREE_F_UNREADABLE && S_ISDIR(e.mode)))
				continue;
			if (!n++)
				first = e.path;
		}
		if (n)
			cli_warn("the tree has %" PRIu64 " %s, e.g. %s", n, problems[k].what,
				 first);
	}
}

/* Names zip tools disagree on: each reads raw bytes as CP437 or as the local charset. */
static void warn_non_utf8(const struct prune_plan *r)
{
	struct tree_entry e;
	char *names = NULL;
	size_t len = 0, shown = 0;
	FILE *f = open_memstream(&names, &len);

	for (size_t i = r->first_non_utf8; f && i < tree__count(r->tree) && shown < 3; i++) {
		if (!keepset__has(r->keep, (uint32_t)i) || tree__get(r->tree, (uint32_t)i, &e) ||
		    escape__is_utf8(e.path, strlen(e.path)))
			continue;
		fprintf(f, "%s%s", shown++ ? ", " : "", e.path);
	}
	if (f)
		fclose(f);
	cli_warn("%" PRIu64 " kept name%s not valid UTF-8 (%s%s): the zip stores %s as raw bytes, "
		 "which unzip tools read differently (as CP437 or the local charset), so %s may "
		 "extract under another name; rename %s to UTF-8",
		 r->non_utf8_names, r->non_utf8_names == 1 ? " is" : "s are", names ? names : "?",
		 r->non_utf8_names > shown ? ", ..." : "", r->non_utf8_names == 1 ? "it" : "them",
		 r->non_utf8_names == 1 ? "it" : "they", r->non_utf8_names == 1 ? "it" : "them");
	free(names);
}

/* Kept files the run wrote into: the zip holds their contents as the run left them. */
static void warn_modified(const struct prune_plan *r)
{
	struct tree_entry e = {.path = "?"};

	if (!r->modified)
		return;
	tree__get(r->tree, r->first_modified, &e);
	cli_warn("kept %" PRIu64 " file%s the run modified (opened for writing or truncated; "
		 "first: %s): the zip holds what the run left in %s; prune a fresh copy of the "
		 "tree if that is not what should ship",
		 r->modified, r->modified == 1 ? "" : "s", e.path,
		 r->modified == 1 ? "it" : "them");
}

void prune_print__warnings(const struct prune_policy *pol, const struct prune_plan *r,
			   const struct zipwrite_stats *zs, const struct profile *p)
{
	warn_tree_problems(r->tree);
	if (profile__has_loss(p))
		cli_warn("pruning with --force although %" PRIu64
			 " events were lost: the zip may lack needed files",
			 profile__header_const(p)->lost_events);
	if (!r->match_inodes && profile__count(p))
		cli_warn("the profile comes from another boot or host: matched by path only");
	if (r->dropped_touched) {
		struct tree_entry e = {0};

		tree__get(r->tree, r->first_dropped_touched, &e);
		cli_warn(
			"--drop removed %" PRIu64 " file%s the workload touched (first: %s); a "
			"program can survive a missing file silently, so verify cannot prove these "
			"unused",
			r->dropped_touched, r->dropped_touched == 1 ? "" : "s",
			e.path ? e.path : "?");
	}
	if (r->resolve.under_unlistable)
		cli_warn("pruning with --force although %" PRIu64 " file%s the workload touched "
			 "lie%s below directories that cannot be listed (first: %s): the zip "
			 "lacks %s",
			 r->resolve.under_unlistable, r->resolve.under_unlistable == 1 ? "" : "s",
			 r->resolve.under_unlistable == 1 ? "s" : "",
			 r->resolve.first_under_unlistable,
			 r->resolve.under_unlistable == 1 ? "it" : "them");
	if (r->non_utf8_names)
		warn_non_utf8(r);
	warn_modified(r);
	if (zs->pyc_timestamp)
		cli_warn("%" PRIu64 " timestamp-based .pyc files were given normalized mtimes: "
			 "Python will treat them as stale (use --mtime keep, or compile with "
			 "--invalidation-mode checked-hash)",
			 zs->pyc_timestamp);
	if (zs->py_odd_mtime)
		cli_warn("%" PRIu64 " kept .py files have odd-second mtimes that zip's 2-second "
			 "DOS time cannot hold: their timestamp-based .pyc will look stale after "
			 "extraction (compile with --invalidation-mode checked-hash to avoid it)",
			 zs->py_odd_mtime);
	if (zs->modes_closed) {
		struct tree_entry e = {0};

		tree__get(r->tree, zs->modes_closed_first, &e);
		cli_warn(
			"--modes keep kept %" PRIu64 " entr%s that Lambda's unprivileged user "
			"cannot use (first: %s, mode %04o): files must be readable by others, "
			"directories and executables executable too; drop --modes keep or fix them",
			zs->modes_closed, zs->modes_closed == 1 ? "y" : "ies",
			e.path ? e.path : "?", (unsigned int)(e.mode & 0777));
	}
	if (r->links_outside) {
		struct tree_entry e = {0};

		tree__get(r->tree, r->first_link_outside, &e);
		cli_warn("left out %" PRIu64
			 " symlink%s that are absolute or lead out of the tree (first: %s -> "
			 "%s); --keep the target's contents inside the tree if it is needed",
			 r->links_outside, r->links_outside == 1 ? "" : "s", e.path ? e.path : "?",
			 e.link_target ? e.link_target : "?");
	}
	for (size_t i = 0; i < globs__count(pol->globs); i++) {
		if (!globs__hits(pol->globs, i))
			cli_warn("--%s '%s' matched nothing in the tree",
				 globs__action(pol->globs, i) == GLOB_KEEP ? "keep" : "drop",
				 globs__pattern(pol->globs, i));
	}
}

void prune_print__host(const struct prune_plan *r)
{
	char *what = NULL;

	if (!hostdeps__count(r->host))
		return;
	if (hostdeps__describe(r->host, 8, &what)) {
		cli_warn("the workload used host packages that Lambda lacks (out of memory naming "
			 "them)");
		return;
	}
	/* Shared objects are not hidden by verify: their directories hold glibc too. */
	cli_warn("the workload used %s; ship %s in the tree or a layer (--strict-host refuses%s)",
		 what, hostdeps__count(r->host) == 1 ? "it" : "them",
		 hostdeps__ndirs(r->host) ? "; verify hides the package directories" : "");
	free(what);
}

/* The summary's numbers as one JSON object; w's first error, 0 when none. */
static int summary_json(struct json_writer *w, const char *cmd, const struct prune_policy *pol,
			const char *out_zip, const struct prune_plan *r,
			const struct zipwrite_stats *zs)
{
	json_writer__begin_object(w);
	json_writer__string_field(w, "command", cmd);
	json_writer__string_field(w, "version", SLIMZIP_VERSION);
	json_writer__key(w, "dry_run");
	json_writer__bool(w, pol->dry_run);
	json_writer__key(w, "before");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "files", r->before_files);
	json_writer__uint_field(w, "bytes", r->before_bytes);
	json_writer__end_object(w);
	json_writer__key(w, "after");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "files", r->after_files);
	json_writer__uint_field(w, "bytes", r->after_bytes);
	json_writer__end_object(w);
	json_writer__key(w, "zip");
	if (pol->dry_run) {
		json_writer__null(w);
	} else {
		/* Numbers from the writer's own count: what unzip -Z1 lists and the file's size. */
		json_writer__begin_object(w);
		json_writer__string_field(w, "path", out_zip);
		json_writer__uint_field(w, "entries", zs->entries);
		json_writer__uint_field(w, "files", zs->files);
		json_writer__uint_field(w, "dirs", zs->dirs);
		json_writer__uint_field(w, "symlinks", zs->symlinks);
		json_writer__uint_field(w, "bytes", zs->zip_size);
		json_writer__uint_field(w, "uncompressed_bytes", zs->bytes_in);
		json_writer__int_field(w, "level", pol->zip.level);
		json_writer__end_object(w);
	}
	json_writer__key(w, "lambda");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "zipped_limit", LAMBDA_ZIPPED_LIMIT);
	json_writer__uint_field(w, "unzipped_limit", LAMBDA_UNZIPPED_LIMIT);
	json_writer__key(w, "zipped_over");
	json_writer__bool(w, !pol->dry_run && zs->zip_size > LAMBDA_ZIPPED_LIMIT);
	json_writer__key(w, "unzipped_over");
	json_writer__bool(w, r->after_bytes > LAMBDA_UNZIPPED_LIMIT);
	json_writer__end_object(w);
	json_writer__key(w, "kept_by");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "profile_inode", r->resolve.by_inode);
	json_writer__uint_field(w, "profile_path", r->resolve.by_path);
	json_writer__uint_field(w, "keep", r->glob_kept);
	json_writer__key(w, "rules");
	json_writer__begin_object(w);
	for (size_t i = 0; i < rules__count(); i++)
		json_writer__uint_field(w, rules__name(i), r->rules.added[i]);
	json_writer__end_object(w);
	json_writer__uint_field(w, "drop_removed", r->glob_dropped);
	json_writer__end_object(w);
	return json_writer__end_object(w);
}

struct summary_ctx {
	const char *cmd;
	const struct prune_policy *pol;
	const char *out_zip;
	const struct prune_plan *r;
	const struct zipwrite_stats *zs;
};

static int summary_fill(struct json_writer *w, const void *ctx)
{
	const struct summary_ctx *c = ctx;

	return summary_json(w, c->cmd, c->pol, c->out_zip, c->r, c->zs);
}

int prune_print__json(const char *cmd, const struct prune_policy *pol, const char *out_zip,
		      const struct prune_plan *r, const struct zipwrite_stats *zs, const char *path)
{
	const struct summary_ctx c = {cmd, pol, out_zip, r, zs};

	return json_out__write(path, summary_fill, &c);
}
