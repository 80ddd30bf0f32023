/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * slimzip verify: prove a pruned zip works by running the workload on it, and name every file
 * it lacks that the original tree has.
 *
 * Each round:
 *  1. proof run: the zip is extracted (zip-slip safe, size-capped, every entry held to its
 *     declared size and CRC) beside itself or in extract_dir, onto a tmpfs of its own mounted
 *     there when memory allows (sized to what the zip declares), and bind-mounted over the tree's
 *     own path in a private mount namespace, so the command sees the pruned tree where it
 *     expects the original; the recorder also captures failed lookups (ENOENT/ENOTDIR). A
 *     failed lookup of a path the original tree has is a missing file.
 *  2. diagnosis run, only when the proof run failed or found missing files: the command runs on
 *     the original tree, and every file it touches that the zip lacks is missing too. This
 *     names files a program never looks up in vain, because it first lists the directory and
 *     only asks for names it saw (Python's import system does exactly that).
 * With fix, the missing files and their closure are added, the zip rewritten, and the next
 * round runs, until a round is clean or max_rounds is reached.
 *
 * A stop signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT on signal_fd) is forwarded to the command and
 * stops verify: no diagnosis run and no --fix round follow, the temp directory is removed, and
 * verify__run returns -EINTR with result.signal set. The extraction directory is
 * "slimzip-verify-<pid>-XXXXXX" (beside the zip, or in extract_dir), locked while in use: a
 * later verify extracting there removes those whose owner was killed (util.h owned__sweep).
 */
#ifndef SLIMZIP_VERIFY_H
#define SLIMZIP_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostdeps.h"
#include "launch.h"
#include "prune_policy.h"
#include "recorder.h"
#include "zipcheck.h"

/* --fix's rounds when max_rounds is 0. */
#define VERIFY_DEFAULT_ROUNDS 5

/* Lambda's limit: at most five layers per function. */
#define VERIFY_MAX_LAYERS 5

struct verify_missing {
	char *path; /* tree-relative */
	char comm[16];
	uint32_t pid;
	const char *via;     /* syscall or kind name (static string) */
	bool from_diagnosis; /* found by the run on the original tree */
	bool added;	     /* --fix put it into the zip this round */
	/* Its package (hostdeps__tree_package, with the tree): the pieces point into path. */
	struct tree_package pkg;
};

/* A host package the workload used that the proof run could not see (verify --isolate). */
struct verify_host_missing {
	char *package;	     /* "certifi", "@scope/name" */
	char *path;	     /* where the host has it: /usr/lib/python3/dist-packages/certifi */
	bool from_diagnosis; /* found by the run on the original tree */
};

struct verify_round {
	unsigned int round; /* 1-based */
	int cmd_status;	    /* the proof run's shell-style status */
	int diag_status;    /* the diagnosis run's status, -1 when it did not run */
	struct verify_missing *missing;
	size_t nmissing;
	struct verify_host_missing *host_missing; /* below a hidden directory (hide_dirs) */
	size_t nhost_missing;
	uint64_t lost_events; /* in either run: the lists may be incomplete */
	uint64_t zip_entries_before, zip_entries_after; /* after == before unless fixed */
	uint64_t added; /* missing files --fix put into the zip this round */
};

typedef void (*verify_round_fn)(const struct verify_round *r, void *ctx);
typedef void (*verify_modes_fn)(const struct zipcheck_result *zc, void *ctx);

struct verify_opts {
	enum recorder_hook hook; /* the recorder's for each run (record_opts.hook) */
	const char *zip_path;
	const char *tree_dir;
	char *const *argv;
	bool fix;
	unsigned int max_rounds; /* with fix; 0 = VERIFY_DEFAULT_ROUNDS */
	/*
	 * How the zip was pruned (the CLI fills it from the zip's comment, prune_policy__adopt,
	 * and the options given): where the tree was recorded, which opens the tree, and for
	 * --fix the closure rules, the globs and the zip options it rewrites with (zip.comment
	 * included). Required. Its zip.meter (NULL: none) gets the tree walk, each round
	 * ("verify round 2/5", paused before each run and each call of on_round) and --fix's zip.
	 */
	const struct prune_policy *policy;
	/*
	 * The most the extracted zip may hold (extract_opts.max_bytes); 0: the larger of the
	 * tree's size and EXTRACT_DEFAULT_MAX_BYTES (Lambda's unzipped limit).
	 */
	uint64_t max_extract;
	/* Where the zip is extracted for the proof run; NULL: beside the zip, on its filesystem. */
	const char *extract_dir;
	/*
	 * The bytes of memory taken as available when deciding whether the extraction gets a
	 * tmpfs of its own; 0: /proc/meminfo's MemAvailable. A caller's input, not the
	 * environment's: the CLI sets it for tests (SLIMZIP_TEST_MEM_AVAILABLE) so they reach
	 * the fallback of a host low on memory without being one.
	 */
	uint64_t mem_available;
	/*
	 * verify --isolate: directories hidden from the proof run (the zip's host_dirs and
	 * --isolate-dir), each under an empty read-only tmpfs in its mount namespace, unless it
	 * holds the tree, the extraction directory or the working directory, or lies in the tree.
	 * Lookups below one of paths the host has, and files the diagnosis run used below one,
	 * are host packages missing from the zip; with fix, the tree's own copies of them (where
	 * a host copy shadowed the tree's) are added. NULL/0: nothing is hidden.
	 */
	const char *const *hide_dirs;
	size_t nhide_dirs;
	/*
	 * verify --layer: Lambda layer zips (at most VERIFY_MAX_LAYERS), extracted in order into
	 * one directory (a later one's files replace an earlier one's, as Lambda extracts them
	 * into /opt) and bind-mounted read-only at /opt for both runs, with the search paths
	 * Lambda's runtimes give /opt (verify_layer.h). A file the tree has and the zip lacks
	 * is present when the layers hold it where the runtime finds it. NULL/0: none.
	 */
	const char *const *layers;
	size_t nlayers;
	int signal_fd;		      /* for every recording: record_opts.signal_fd */
	verify_round_fn on_round;     /* called after each round (the CLI prints it) */
	verify_round_fn on_diagnosis; /* called before a diagnosis run (output follows) */
	void *on_round_ctx;
	/*
	 * Run the command (proof and diagnosis runs) as this user (launch.h; NULL: as verify
	 * runs). Every directory above the tree must be searchable by it (the tree itself is
	 * replaced by the extracted zip, 0755): verify fails with -EACCES first otherwise.
	 */
	const struct launch_user *user;
	/*
	 * Before any run, every entry's mode is checked (zipcheck.h): when Lambda's unprivileged
	 * user could not use some, on_modes is called (with on_round_ctx) and verify ends there,
	 * result.modes_closed set and no run made, unless ignore_modes.
	 */
	bool ignore_modes;
	verify_modes_fn on_modes;
};

struct verify_result {
	unsigned int rounds;
	int cmd_status;	       /* of the last proof run */
	size_t nmissing;       /* in the last round */
	size_t nhost_missing;  /* in the last round: host packages the zip lacks */
	uint64_t lost_events;  /* in the last round: its verdict cannot be trusted */
	bool fixed;	       /* the zip was rewritten at least once */
	int signal;	       /* the signal that stopped verify (-EINTR), else 0 */
	uint64_t modes_closed; /* entries Lambda's unprivileged user could not use */
};

/*
 * 0 when it ran (judge by result: clean means cmd_status 0, nmissing 0, nhost_missing 0 and,
 * unless ignore_modes, modes_closed 0; rounds 0 when the mode check stopped it), or -errno.
 */
int verify__run(const struct verify_opts *o, struct verify_result *res);

/* Remove a directory tree without following symlinks (for temp dirs). 0 or -errno. */
int verify__rmtree(const char *dir);
/*
 * A fresh directory "PARENT/slimzip-verify-<pid>-XXXXXX" (0700, locked: keep *lock_fd open
 * while it is used), after removing the ones killed verifies left in parent (owned__sweep):
 * the one naming and sweep of verify's extractions and --layer's. 0 or -errno, explained.
 */
int verify__mkdtemp(const char *parent, char **path, int *lock_fd);

#endif
