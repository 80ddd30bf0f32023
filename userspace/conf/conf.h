/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's config file and the batch manifest: one INI syntax, one parser (inih). See
 * docs/CONFIG.md for the file a user writes. Sections:
 *   [daemon]          state-dir, runtime-dir, socket, group, linger, max-targets, all
 *   [watch NAME]      parent, match, name, function, linger
 *   [function NAME]   tree, output, tree-path-as, keep*, drop*, rules, modes, mtime, level,
 *                     keep-created, strict-host, command*, runtime, layers*
 *                                                  (* repeatable: the values accumulate)
 * A manifest (CONF_MANIFEST) holds [function NAME] sections only; a daemon config
 * (CONF_DAEMON) takes no command (commands are what batch runs).
 *
 * Validate first, apply whole: a parse either returns a complete, checked conf or fails with
 * one message "FILE:LINE: what is wrong; what to do" (the first problem of the file, by line)
 * and returns nothing, so a daemon that re-reads its config on SIGHUP keeps the old one
 * whole when the new one is bad. Nothing here touches the host (no group or path lookups):
 * what only the daemon can check (the group exists, the parent cgroup exists) it checks
 * before it swaps configs.
 */
#ifndef SLIMZIP_CONF_H
#define SLIMZIP_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prune_policy.h"

enum conf_kind {
	CONF_DAEMON,   /* slimzip daemon --config FILE */
	CONF_MANIFEST, /* slimzip batch MANIFEST */
	/*
	 * The commands beside a SAM template (slimzip batch template.yaml): a manifest whose
	 * sections, named by the template's logical ids, may leave tree out (conf__apply_sam).
	 */
	CONF_SAM_COMMANDS,
};

#define CONF_DEFAULT_STATE_DIR	 "/var/lib/slimzip"
#define CONF_DEFAULT_RUNTIME_DIR "/run/slimzip"
#define CONF_SOCKET_NAME	 "control" /* the socket's default name in the runtime dir */
#define CONF_DEFAULT_LINGER	 30	   /* seconds */
/*
 * The recorder's slots (bpf/record.h SLZ_MAX_TARGETS, which this layer cannot include; the
 * daemon's registry asserts that the two agree): the default and the most max-targets takes.
 */
#define CONF_MAX_TARGETS	 1024
#define CONF_MAX_LINGER		 (7u * 24 * 3600)
#define CONF_SECTION_NAME_MAX	 255 /* the length of a watch's or a function's NAME */

/* The [daemon] section, defaults filled in for what the file does not say. */
struct conf_daemon {
	const char *state_dir;	 /* absolute */
	const char *runtime_dir; /* absolute */
	const char *socket;	 /* absolute; default RUNTIME_DIR/control */
	const char *group;	 /* allowed on the socket besides root; NULL: root only */
	uint32_t linger;	 /* seconds an unpopulated watched target stays before it ends */
	uint32_t max_targets;	 /* 1..CONF_MAX_TARGETS */
	bool all;		 /* every cgroup is a target */
};

/* A [function NAME] section. Relative paths are already joined to the file's directory. */
struct conf_function {
	const char *name;
	const char *tree;	  /* the deployment tree (required) */
	const char *output;	  /* the zip; NULL: the caller's default */
	const char *tree_path_as; /* absolute; NULL: the tree was recorded where it is */
	const char *const *keep;  /* keep globs, in file order */
	size_t n_keep;
	const char *const *drop;
	size_t n_drop;
	/* Rules switched off (rules__find positions as bits, RULES_ALL_OFF for "none"). */
	uint32_t rules_off;
	bool has_rules, has_modes, has_mtime, has_level; /* the keys were given */
	const char *modes; /* as written: zipwrite__parse_modes takes it */
	const char *mtime; /* as written: zipwrite__parse_mtime takes it */
	int level;
	bool keep_created, has_keep_created; /* --keep-created */
	bool strict_host, has_strict_host;   /* --strict-host / --no-strict-host */
	const char *const *commands; /* batch: the workload, in file order (profiles merge) */
	size_t n_commands;
	const char *runtime; /* e.g. "python3.12"; NULL when not given */
	/* SAM's Handler ("app.handler": module.function), the entry point; NULL when none. */
	const char *handler;
	/*
	 * batch: the function's own Lambda layers (ARNs or names, as written; SAM's Layers when the
	 * section gives none), which count against Lambda's 5 layers beside batch --layer's.
	 */
	const char *const *layers;
	size_t n_layers;
	unsigned int line; /* of its section header */
};

/* A [watch NAME] section: every new cgroup directly under parent named like match. */
struct conf_watch {
	const char *name;
	const char *parent; /* an absolute cgroup v2 path, cleaned (path__clean) */
	const char *match;  /* a glob (tree/globs.h rules) on the new directory's name */
	const char *
		name_template; /* the target's name: {name} {watch} {id} {parent}; default {name} */
	const struct conf_function *function; /* NULL: profiles only, no zip */
	uint32_t linger;		      /* this rule's, or [daemon]'s */
	unsigned int line;
};

struct conf;

/*
 * Parse the file at path. Relative paths in it are taken from the file's directory. 0 and
 * *out, or -errno with slz_errmsg "PATH:LINE: ..." (-EINVAL for the content, -ENOENT and
 * the like when it cannot be read, -ENOMEM).
 */
int conf__parse_file(const char *path, enum conf_kind kind, struct conf **out);
/*
 * Parse text (for tests, the fuzz target, a manifest read some other way). name stands for
 * the file in messages; relative paths are joined to base_dir, or left as they are when it
 * is NULL.
 */
int conf__parse_string(const char *text, const char *name, const char *base_dir,
		       enum conf_kind kind, struct conf **out);
void conf__free(struct conf *c); /* NULL-safe */

const struct conf_daemon *conf__daemon(const struct conf *c);
size_t conf__watch_count(const struct conf *c);
const struct conf_watch *conf__watch(const struct conf *c, size_t i);
size_t conf__function_count(const struct conf *c);
const struct conf_function *conf__function(const struct conf *c, size_t i);
/* The [function NAME] section called name, NULL when there is none. */
const struct conf_function *conf__find_function(const struct conf *c, const char *name);

struct sam;
/*
 * Join a CONF_SAM_COMMANDS conf to its template (template_dir: the template's directory):
 * every section must name a function of the template that slimzip can prune, and one
 * without tree = gets the template's (sam__tree_for: .aws-sam/build/<LogicalId> after sam
 * build, else CodeUri), as does one without runtime =. 0, -EINVAL with "FILE:LINE: ..." (a
 * section the template lacks, or whose code is not a local tree), -ENOMEM.
 */
int conf__apply_sam(struct conf *c, const struct sam *s, const char *template_dir);

/* Whether a new cgroup directory called dirname matches the watch's glob. */
bool conf_watch__matches(const struct conf_watch *w, const char *dirname);

/*
 * Check a watch's name template: text with {name}, {watch}, {id} and {parent}, nothing else
 * in braces, not empty. 0 or -EINVAL with a message naming what is wrong (no FILE:LINE).
 */
int conf__check_template(const char *tpl);

/*
 * Fill p, freshly initialised (prune_policy__init, or the CLI's policy_cli__init with
 * SOURCE_DATE_EPOCH applied), from the function's keys, exactly as prune's options would:
 * keep/drop globs in order, rules switched off, modes, mtime, level, tree-path-as,
 * keep-created and strict-host, with the same prune_policy.given bits (keep-created = no, which
 * prune cannot say, counts as given too: an explicit choice beats a zip's comment). Values were
 * checked by the parse, so only -ENOMEM can fail; p must then be released and not used.
 */
int conf_function__policy(const struct conf_function *fn, struct prune_policy *p);

#endif
