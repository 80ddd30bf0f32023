/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's targets: each a name (unique, safe as a file name: profiles go to
 * STATE/profiles/NAME.profile), the recorder slot it holds, its cgroup (id and path), its
 * epoch, its state and where it came from. Pure bookkeeping: no kernel, no clock, no I/O.
 * Times are the caller's (nanoseconds on one clock of its choice; the daemon uses
 * CLOCK_MONOTONIC, which linger needs) and paths are cgroup v2 paths as the hierarchy names
 * them ("/system.slice/x.service", the root "/"), cleaned (path__clean).
 *
 * Capacity counts the targets that hold a recorder slot (live and finishing); a finished
 * target keeps its name until the caller removes it (when its profile is written), so that
 * `ctl status` can still say what became of it. Lookups are linear: a registry holds at most
 * CONF_MAX_TARGETS live targets and is asked once per request or cgroup event, never per
 * file access.
 */
#ifndef SLIMZIP_REGISTRY_H
#define SLIMZIP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A target's name: 1 to 255 bytes of [A-Za-z0-9._+-], never "." or "..". '@' is left out: it
 * separates a name from its epoch in the state directory's file names (NAME@2.profile).
 */
#define TARGET_NAME_MAX 255

enum target_state {
	TARGET_LIVE,	  /* recording */
	TARGET_FINISHING, /* no longer followed; its last events are still being read */
	TARGET_FINISHED,  /* its slot is free; its profile is (being) written */
};

enum target_source {
	TARGET_EXPLICIT, /* ctl add, record --daemon */
	TARGET_WATCH,	 /* a [watch NAME] rule (target_info.watch) */
	TARGET_ALL,	 /* all = yes */
};

struct target_info {
	const char *name;
	uint32_t slot; /* the recorder's */
	uint64_t cgroup_id;
	const char *cgroup; /* its cgroup v2 path */
	uint32_t epoch;	    /* 0, then one more on each checkpoint */
	enum target_state state;
	enum target_source source;
	const char *watch;     /* TARGET_WATCH: the rule's name; NULL otherwise */
	uint64_t linger_ns;    /* end after this long unpopulated; 0: never (explicit) */
	uint64_t created_ns;   /* caller's clock */
	uint64_t populated_ns; /* last time it was seen populated (created_ns at first) */
	bool populated;	       /* processes in it, as the caller last said */
	bool pruning;	       /* the caller's: a zip of one of its profiles is being written */
};

/* What registry__add takes: every field is copied. */
struct target_spec {
	const char *name;
	uint32_t slot;
	uint64_t cgroup_id;
	const char *cgroup;
	enum target_source source;
	const char *watch;
	uint64_t linger_ns;
	uint64_t now_ns;
};

struct registry;

/* capacity: live + finishing targets at most (the config's max-targets). */
int registry__new(uint32_t capacity, struct registry **out);
void registry__free(struct registry *r); /* NULL-safe */
/*
 * A new capacity (a reloaded config). Targets over it stay; new ones are refused until the
 * count is below it again.
 */
void registry__set_capacity(struct registry *r, uint32_t capacity);

/*
 * Add a live target. -EINVAL for an invalid name or a cgroup path that is not absolute,
 * -EEXIST when the name or the cgroup (by id) is taken, -ENOSPC when the registry is full
 * (counted: registry__refused), -ENOMEM; each explained. *out (may be NULL) points at the
 * target until it is removed.
 */
int registry__add(struct registry *r, const struct target_spec *spec,
		  const struct target_info **out);
/* Forget a target of any state. -ENOENT when t is not in r. */
int registry__remove(struct registry *r, const struct target_info *t);

const struct target_info *registry__find(const struct registry *r, const char *name);
/* The target (of any state) following exactly this cgroup. */
const struct target_info *registry__find_cgroup(const struct registry *r, uint64_t cgroup_id);
/*
 * Which target an access from a task in cgroup path is attributed to: the deepest live or
 * finishing target whose cgroup is path itself or one of its ancestors (component-wise:
 * "/a/b" holds "/a/b/c", not "/a/bc"). NULL when none. The kernel side does the same walk.
 */
const struct target_info *registry__attribute(const struct registry *r, const char *path);

/* Targets in the order they were added: i < registry__count(r). */
size_t registry__count(const struct registry *r);
const struct target_info *registry__at(const struct registry *r, size_t i);
/* Live and finishing targets (what capacity counts). */
uint32_t registry__active(const struct registry *r);
/* Adds refused for capacity since the registry was made. */
uint64_t registry__refused(const struct registry *r);

/*
 * Move a target on: live -> finishing -> finished (live -> finished directly too). -EINVAL
 * for any other step (a target never goes back), explained.
 */
int registry__set_state(struct registry *r, const struct target_info *t, enum target_state state);
/* A new epoch for a live target (ctl checkpoint): *epoch (may be NULL) gets it. -EINVAL
 * when it is not live. */
int registry__checkpoint(struct registry *r, const struct target_info *t, uint32_t *epoch);
/* The caller saw the cgroup populated or not (cgroup.events) at now_ns. */
void registry__set_populated(struct registry *r, const struct target_info *t, bool populated,
			     uint64_t now_ns);
/* The caller began (or ended) writing a zip of one of t's profiles. */
void registry__set_pruning(struct registry *r, const struct target_info *t, bool pruning);
/*
 * The next live target, from *pos on, that has lingered out at now_ns: unpopulated for its
 * linger_ns or longer (never one with linger_ns 0). *pos moves past it; NULL at the end.
 */
const struct target_info *registry__next_expired(const struct registry *r, uint64_t now_ns,
						 size_t *pos);

/*
 * Names. A name from a watch rule's template: {name} (the new cgroup's directory name),
 * {watch} (the rule's name), {id} (the cgroup id, decimal), {parent} (the name of the
 * directory above it, "" at the top). Bytes outside [A-Za-z0-9._+-] become _XX (hex; '@' is _40),
 * "." and ".." become "_2E" and "_2E_2E", an empty result "_", and the name is cut to
 * TARGET_NAME_MAX. Then, when another target holds it, "-2", "-3", ... is appended (the
 * name cut to leave room), the first one free. out holds TARGET_NAME_MAX + 1 bytes. 0, or
 * -EINVAL for a template conf__check_template refuses, -EEXIST when no suffix is free.
 */
struct name_vars {
	const char *name;
	const char *watch;
	uint64_t id;
	const char *parent;
};
int registry__name_for(const struct registry *r, const char *tpl, const struct name_vars *vars,
		       char *out);
/* Whether name is valid as it is (for explicit names: those are refused, not rewritten). */
bool target_name__valid(const char *name);

const char *target_state__name(enum target_state s);   /* "live", "finishing", "finished" */
const char *target_source__name(enum target_source s); /* "explicit", "watch", "all" */

#endif
