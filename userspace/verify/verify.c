// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <zip.h>

#include "slz_vocab.h"
#include "extract.h"
#include "pathutil.h"
#include "profile.h"
#include "plan.h"
#include "recorder.h"
#include "resolve.h"
#include "util.h"
#include "verify.h"
#include "verify_host.h"
#include "verify_layer.h"

struct pruned_view {
	const char *extracted; /* NULL: the original tree (the diagnosis run) */
	const char *tree_root;
	const struct hidden_dirs *hidden; /* verify --isolate */
	const struct layers *layers;	  /* verify --layer */
};

/*
 * In the child, before exec: a private mount namespace where the pruned tree sits at the
 * original tree's path. The host's mounts are untouched.
 */
static int enter_pruned_view(void *ctx)
{
	const struct pruned_view *v = ctx;
	char cwd[PATH_MAX];
	bool have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;
	int err;

	if (unshare(CLONE_NEWNS))
		return -errno;
	/* Without this, the bind mount would propagate back to the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (v->extracted && mount(v->extracted, v->tree_root, NULL, MS_BIND | MS_REC, NULL))
		return -errno;
	/* After the tree: an extraction directory below /opt is bound before /opt is covered. */
	err = layers__enter(v->layers);
	if (err)
		return err;
	/* The host's package directories, as Lambda has them: not at all. */
	err = hidden_dirs__mount(v->hidden);
	if (err)
		return err;
	/* A cwd inside the tree still points into the original: look it up again. */
	if (have_cwd && chdir(cwd))
		return -errno;
	return 0;
}

/*
 * nftw() stops at PATH_MAX, while an extracted zip's names do not: the extractor's own. An
 * extraction on its own tmpfs (extract_on_tmpfs) goes at once, with its mount; a directory
 * that is no mount point gets EINVAL from umount2 and is removed file by file.
 */
int verify__rmtree(const char *dir)
{
	if (!umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW))
		return rmdir(dir) ? -errno : 0;
	return extract__remove(dir);
}

/*
 * Which tree entries the zip holds, as a bool per tree index; *stray (malloc'd) is the first
 * zip entry the tree lacks, which means --tree is not the tree the zip came from.
 */
static int zip_membership(const char *zip_path, const struct tree *t, bool **in_zip,
			  uint64_t *entries, char **stray)
{
	zip_t *za;
	int zerr;
	zip_int64_t n;
	bool *member;

	za = zip_open(zip_path, ZIP_RDONLY, &zerr);
	if (!za) {
		zip_error_t ze;
		int err;

		zip_error_init_with_code(&ze, zerr);
		err = slz_fail(EBADMSG,
			       "cannot read %s: %s (give the zip 'slimzip prune' or 'run' "
			       "wrote)",
			       zip_path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return err;
	}
	member = calloc(tree__count(t), sizeof(*member));
	if (!member) {
		zip_discard(za);
		return -ENOMEM;
	}
	n = zip_get_num_entries(za, 0);
	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
		char *copy;
		size_t len;
		int64_t idx;

		if (!name)
			continue;
		copy = strdup(name);
		if (!copy) {
			free(member);
			zip_discard(za);
			return -ENOMEM;
		}
		len = strlen(copy);
		if (len && copy[len - 1] == '/')
			copy[len - 1] = '\0';
		idx = tree__find_path(t, copy);
		if (idx >= 0) {
			member[idx] = true;
		} else if (!*stray) {
			*stray = copy;
			continue;
		}
		free(copy);
	}
	member[0] = true; /* the root is always there */
	zip_discard(za);
	*in_zip = member;
	*entries = (uint64_t)n;
	return 0;
}

struct missing_list {
	struct verify_missing *items;
	size_t n, cap;
	bool *listed; /* per tree index: already in the list */
};

static const char *via_name(const struct profile_entry *e)
{
	const char *name = profile__syscall_name(e->syscall_nr);

	if (name)
		return name;
	if (e->kinds & (SLZ_KIND_EXEC | SLZ_KIND_INTERP))
		return "exec";
	if (e->kinds & SLZ_KIND_MMAP)
		return "mmap";
	return (e->kinds & SLZ_KIND_OPEN) ? "open" : "stat";
}

static int missing_add(struct missing_list *m, const struct tree *t, uint32_t idx,
		       const struct profile_entry *e, bool diag)
{
	struct tree_entry te;
	struct verify_missing *v;
	int err;

	if (m->listed[idx] || tree__get(t, idx, &te))
		return 0;
	err = slz_grow((void **)&m->items, &m->cap, m->n + 1, sizeof(*m->items));
	if (err)
		return err;
	v = &m->items[m->n];
	memset(v, 0, sizeof(*v));
	v->path = strdup(te.path);
	if (!v->path)
		return -ENOMEM;
	/* A path of the tree is never empty here (idx > 0): no error to expect. */
	hostdeps__tree_package(t, v->path, &v->pkg);
	v->pid = e->first_pid;
	memcpy(v->comm, e->first_comm, sizeof(v->comm));
	v->via = via_name(e);
	v->from_diagnosis = diag;
	m->listed[idx] = true;
	m->n++;
	return 0;
}

/*
 * The zip lacked tree entry idx, yet after the proof run it exists in the extracted tree
 * (extracted, NULL when gone): the run made it itself (open with O_CREAT, a temp file renamed
 * over it), so its absence is no missing file: a log, a cache the run writes before reading.
 */
static bool missing_made_by_run(const char *extracted, const struct tree *t, uint32_t idx)
{
	struct tree_entry te;
	struct stat st;
	int dfd;
	bool made;

	if (!extracted || tree__get(t, idx, &te) || !te.path[0])
		return false;
	dfd = open(extracted, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	made = !fstatat(dfd, te.path, &st, AT_SYMLINK_NOFOLLOW);
	close(dfd);
	return made;
}

/* Failed lookups in the pruned view of paths that the original tree has. */
static int missing_from_lookups(struct missing_list *m, const struct tree *t,
				const struct profile *p, const bool *in_zip, const char *extracted)
{
	struct resolve_opts here = {.at_real_path = true};
	struct tree_resolve_opts follow = {.follow_last = true, .at_real_path = true};
	struct tree_resolve_opts nofollow = {.at_real_path = true};

	for (size_t i = 0; i < profile__count(p); i++) {
		const struct profile_entry *e = profile__entry(p, i);
		char *rel = NULL;
		int64_t idx;
		int err;

		if (!(e->kinds & SLZ_KIND_MISSING))
			continue;
		if (resolve__relative(t, e->path, &here, &rel))
			continue; /* outside the tree: the runtime's business */
		idx = tree__resolve_opts(t, rel, &follow);
		if (idx < 0)
			idx = tree__resolve_opts(t, rel, &nofollow);
		free(rel);
		if (idx <= 0 || in_zip[idx] || missing_made_by_run(extracted, t, (uint32_t)idx))
			continue;
		err = missing_add(m, t, (uint32_t)idx, e, false);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Files the workload touched on the original tree that the zip lacks, except those the proof
 * run made itself in the extracted tree.
 */
static int missing_from_diagnosis(struct missing_list *m, const struct tree *t,
				  const struct profile *p, const bool *in_zip,
				  const char *extracted)
{
	struct resolve_opts ro = {.match_inodes = true, .at_real_path = true};
	struct keepset *touched = NULL;
	int err;

	err = keepset__new(t, &touched);
	if (!err)
		err = resolve__profile(touched, p, &ro, NULL);
	for (size_t idx = 1; !err && idx < tree__count(t); idx++) {
		struct tree_entry te;
		const struct profile_entry *e = NULL;
		struct profile_entry anon = {.syscall_nr = -1};

		if (!keepset__has(touched, (uint32_t)idx) || in_zip[idx] ||
		    tree__get(t, (uint32_t)idx, &te))
			continue;
		/* A listed directory that the zip lacks only matters if something is under it. */
		if (S_ISDIR(te.mode) || missing_made_by_run(extracted, t, (uint32_t)idx))
			continue;
		e = profile__find_inode(p, te.dev, te.ino);
		err = missing_add(m, t, (uint32_t)idx, e ? e : &anon, true);
	}
	keepset__free(touched);
	return err;
}

struct copy_ctx {
	struct missing_list *m;
	const struct tree *t;
};

static int add_tree_copy(uint32_t idx, const struct profile_entry *e, void *ctx)
{
	struct copy_ctx *c = ctx;

	return missing_add(c->m, c->t, idx, e, true);
}

/*
 * verify --isolate after a diagnosis run: the host packages it used below a hidden directory,
 * and the tree's own copies of them that the zip lacks (missing files, which --fix adds).
 */
static int missing_host_packages(struct missing_list *m, struct host_missing_list *hm,
				 const struct hidden_dirs *hidden, const struct tree *t,
				 const struct profile *diag, const bool *in_zip)
{
	struct copy_ctx c = {m, t};
	int err = host_missing__from_diagnosis(hm, hidden, diag, t);

	return err ? err : host_missing__tree_copies(hidden, diag, t, in_zip, add_tree_copy, &c);
}

#define TEMP_PREFIX "slimzip-verify-"

int verify__mkdtemp(const char *parent, char **path, int *lock_fd)
{
	/* What killed verifies left (extractions and layers alike): the next one cleans up. */
	owned__sweep_dirs(parent, TEMP_PREFIX, verify__rmtree);
	return owned__mkdtemp(parent, TEMP_PREFIX, path, lock_fd);
}

/*
 * The extraction gets a tmpfs of its own, mounted on its fresh directory, when memory allows:
 * the workload reads a tree of at most Lambda's 250 MB unzipped, and writing it at memory
 * speed, with no journal or writeback behind it, is most of what verify saves (py-raster's
 * 172 MB: 0.25-0.6 s instead of 0.95-1.0 s on ext4, mostly system time); removing it is one
 * umount. Sized to what the zip declares plus a page per entry (tmpfs rounds each file up),
 * so it holds no more than the directory would. Without the memory, or the right to mount,
 * the directory stays as it is, on the filesystem beside the zip.
 */
#define TMPFS_HEADROOM (64ULL << 20)

/* What the zip's entries take once extracted, as its central directory says; 0: unknown. */
static uint64_t zip_extracted_bytes(const char *zip_path)
{
	uint64_t total = 0;
	zip_int64_t n;
	zip_t *za;
	int zerr;

	za = zip_open(zip_path, ZIP_RDONLY, &zerr);
	if (!za)
		return 0;
	n = zip_get_num_entries(za, 0);
	for (zip_int64_t i = 0; i < n; i++) {
		zip_stat_t st;

		if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) || !(st.valid & ZIP_STAT_SIZE) ||
		    st.size > (1ULL << 40)) {
			total = 0;
			break;
		}
		total += st.size + 4096;
	}
	zip_discard(za);
	return total;
}

/* What the host has: MemAvailable counts the page cache the kernel can drop for a tmpfs. */
static uint64_t mem_available(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb << 10;
}

/*
 * Mount a tmpfs on d (ours, empty) for the zip, and move the lock onto its root: a sweeping
 * verify opens d by name, which now finds the tmpfs. Any failure leaves d as it was.
 */
static void extract_on_tmpfs(const struct verify_opts *o, const char *d, uint64_t max_bytes,
			     int *lock_fd)
{
	uint64_t need = zip_extracted_bytes(o->zip_path);
	char opts[64];
	int fd;

	if (!need || need > max_bytes + (max_bytes >> 2))
		return;
	if ((o->mem_available ? o->mem_available : mem_available()) < need + TMPFS_HEADROOM)
		return;
	snprintf(opts, sizeof(opts), "size=%llu,mode=0700", (unsigned long long)need);
	if (mount("slimzip-verify", d, "tmpfs", MS_NOSUID | MS_NODEV, opts))
		return;
	fd = open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || owned__lock(fd)) {
		if (fd >= 0)
			close(fd);
		umount2(d, MNT_DETACH);
		return;
	}
	close(*lock_fd);
	*lock_fd = fd;
}

/*
 * Extract the zip into a fresh directory in o->extract_dir, or else beside the zip: on the
 * filesystem the user chose for the output, not in TMPDIR (often a small tmpfs); the
 * directory is a tmpfs of its own when memory allows (extract_on_tmpfs). At most
 * o->max_extract bytes, by default the larger of the tree's size and Lambda's unzipped limit.
 * *lock_fd keeps the directory ours (owned__mkdtemp) until it is removed.
 */
static int extract_fresh(const struct verify_opts *o, const struct tree *t, char **dir,
			 int *lock_fd)
{
	EXTRACT_OPTS(eo, .max_bytes = o->max_extract);
	char *zip_dir = strdup(o->zip_path), *d = NULL;
	const char *parent;
	uint64_t tree_bytes = 0;
	int err, fd = -1;

	if (!zip_dir)
		return -ENOMEM;
	if (!eo.max_bytes) {
		tree__totals(t, NULL, &tree_bytes);
		eo.max_bytes = tree_bytes > EXTRACT_DEFAULT_MAX_BYTES ? tree_bytes
								      : EXTRACT_DEFAULT_MAX_BYTES;
	}
	parent = o->extract_dir ? o->extract_dir : dirname(zip_dir);
	err = verify__mkdtemp(parent, &d, &fd);
	free(zip_dir);
	if (err)
		return err;
	extract_on_tmpfs(o, d, eo.max_bytes, &fd);
	/*
	 * mkdtemp makes it 0700, which keeps other users out of a half-extracted tree; once
	 * complete, the tree's root must read like the original to the workload (and to --user).
	 */
	err = extract__zip(o->zip_path, d, &eo);
	if (!err && chmod(d, 0755))
		err = slz_fail(errno, "cannot open up %s: %s", d, strerror(errno));
	if (err == -EFBIG)
		err = slz_fail(EFBIG, "%s; --max-extract BYTES sets the cap", slz_errmsg());
	if (err) {
		verify__rmtree(d);
		close(fd);
		free(d);
		return err;
	}
	*dir = d;
	*lock_fd = fd;
	return 0;
}

/*
 * One run: the proof run in view (view->extracted set), or the diagnosis run on the original
 * tree, in a namespace of its own only for the layers (view NULL: none).
 */
static int record_once(const struct verify_opts *o, const struct pruned_view *view,
		       struct profile **p, int *status, int *stopped_by)
{
	struct record_opts ro = {
		.hook = o->hook,
		.argv = o->argv,
		.record_missing = view && view->extracted,
		.child_setup = view ? enter_pruned_view : NULL,
		.child_ctx = (void *)view,
		.signal_fd = o->signal_fd,
		.stop_signal = stopped_by,
		.user = o->user,
	};
	int err = recorder__record(&ro, p, status);

	/*
	 * Whoever signals verify wants it to stop, not to see the command's death diagnosed: the
	 * run it stopped tells nothing about the zip.
	 */
	if (*stopped_by) {
		profile__free(*p);
		*p = NULL;
		return slz_fail(EINTR,
				"interrupted by signal %d (%s): verify stopped without a verdict",
				*stopped_by, strsignal(*stopped_by));
	}
	return err;
}

/*
 * Rewrite the zip: what it holds plus the missing files, closed under the rules, planned on
 * the tree already open.
 */
static int fix_zip(const struct verify_opts *o, const struct tree *t, const bool *in_zip,
		   struct missing_list *m, uint64_t *entries_after, uint64_t *added)
{
	struct prune_plan pl = {0};
	struct zipwrite_stats zs = {0};
	struct keepset *seed = NULL;
	int err;

	err = keepset__new(t, &seed);
	for (size_t i = 1; !err && i < tree__count(t); i++) {
		if (in_zip[i] || m->listed[i])
			err = keepset__add(seed, (uint32_t)i, KEEP_VERIFY_FIX, 0, NULL);
	}
	if (!err)
		err = prune__plan(t, o->policy, NULL, 0, seed, &pl);
	if (!err)
		err = zipwrite__write(pl.keep, o->zip_path, &o->policy->zip, &zs);
	if (!err) {
		*entries_after = zs.entries;
		/* What --fix achieved: missing files now in the zip (a --drop may keep them out).
		 */
		*added = 0;
		for (size_t i = 0; i < m->n; i++) {
			int64_t idx = tree__find_path(t, m->items[i].path);

			m->items[i].added =
				idx > 0 && !in_zip[idx] && keepset__has(pl.keep, (uint32_t)idx);
			*added += m->items[i].added;
		}
	}
	prune_plan__release(&pl);
	keepset__free(seed);
	return err;
}

/*
 * The proof run's user reaches the tree by its path: every directory above it must let that
 * user search it (the tree's own directory is the extracted zip's, 0755). Checked by the mode
 * bits (ACLs are not read), naming the first one that does not.
 */
static int check_user_reaches(const struct launch_user *u, const char *root)
{
	int err = 0;

	/* root is a realpath: "/", "/a", "/a/b" are the directories above "/a/b/tree". */
	for (size_t i = 0; !err && root[i] && root[i + 1]; i++) {
		struct stat st;
		char *dir;

		if (root[i] != '/')
			continue;
		dir = strndup(root, i ? i : 1);
		if (!dir)
			return -ENOMEM;
		if (stat(dir, &st))
			err = slz_fail(errno, "cannot stat %s: %s", dir, strerror(errno));
		else if (!launch_user__may(u, &st, 1))
			err = slz_fail(
				EACCES,
				"--user %s cannot reach the tree %s: %s (mode %04o, owner %u, "
				"group %u) is not searchable by that user; move the tree and "
				"the zip below directories it can search, e.g. a mktemp -d "
				"made 0755",
				u->name, root, dir, (unsigned int)(st.st_mode & 07777),
				(unsigned int)st.st_uid, (unsigned int)st.st_gid);
		free(dir);
	}
	return err;
}

/*
 * Before any run: the zip's entry modes (zipcheck.h), then the user's way to the tree. 0 to
 * go on (res->modes_closed says whether verify stops), or -errno.
 */
static int check_before_runs(const struct verify_opts *o, const struct tree *t,
			     struct verify_result *res)
{
	struct zipcheck_result zc;
	int err = zipcheck__run(o->zip_path, &zc);

	if (!err && zc.closed) {
		res->modes_closed = zc.closed;
		if (o->on_modes)
			o->on_modes(&zc, o->on_round_ctx);
	}
	zipcheck_result__release(&zc);
	/*
	 * A zip whose directory cannot be read is refused by the first round's reading of it,
	 * which explains it in the words it always has: no check of it here.
	 */
	if (err && err != -ENOMEM)
		err = 0;
	if (!err && o->user)
		err = check_user_reaches(o->user, tree__root(t));
	return err;
}

static void missing_clear(struct missing_list *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->items[i].path);
	free(m->items);
	free(m->listed);
	memset(m, 0, sizeof(*m));
}

/*
 * verify --layer: the layers extracted where the zip is (or in extract_dir), at most as much
 * as the zip may hold. The tree must not lie below /opt, which the layers cover in the runs.
 */
static int prepare_layers(const struct verify_opts *o, const struct tree *t, struct layers *l)
{
	char *zip_dir;
	int err;

	if (!o->nlayers)
		return 0;
	if (path__below(tree__root(t), LAYER_MOUNT))
		return slz_fail(EINVAL,
				"the tree %s lies in %s, which --layer covers with the layers in "
				"the runs: move the tree elsewhere",
				tree__root(t), LAYER_MOUNT);
	zip_dir = strdup(o->zip_path);
	if (!zip_dir)
		return -ENOMEM;
	err = layers__prepare(o, o->extract_dir ? o->extract_dir : dirname(zip_dir), o->max_extract,
			      l);
	free(zip_dir);
	return err;
}

/*
 * What the runs find of the tree: the zip's entries, and with layers the files the layers
 * hold where the runtime looks (*present is in_zip itself without layers). Only the zip's
 * own entries seed --fix.
 */
static int layers_present(const struct tree *t, const struct layers *l, bool *in_zip,
			  bool **present)
{
	bool *p;

	*present = in_zip;
	if (!l->dir)
		return 0;
	p = malloc(tree__count(t) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memcpy(p, in_zip, tree__count(t) * sizeof(*p));
	for (size_t i = 1; i < tree__count(t); i++) {
		struct tree_entry te;

		if (!p[i] && !tree__get(t, (uint32_t)i, &te))
			p[i] = layers__provide(l, te.path);
	}
	*present = p;
	return 0;
}

int verify__run(const struct verify_opts *o, struct verify_result *res)
{
	unsigned int max_rounds =
		o->fix ? (o->max_rounds ? o->max_rounds : VERIFY_DEFAULT_ROUNDS) : 1;
	struct tree *t = NULL;
	struct layers layers = {.lock_fd = -1};
	struct pruned_view diag_view = {0};
	int err;

	memset(res, 0, sizeof(*res));
	err = prune_policy__open_tree(o->policy, o->tree_dir, &t);
	if (err)
		return err;
	err = check_before_runs(o, t, res);
	if (!err)
		err = prepare_layers(o, t, &layers);
	diag_view = (struct pruned_view){.tree_root = tree__root(t), .layers = &layers};
	if (err || (res->modes_closed && !o->ignore_modes))
		max_rounds = 0; /* no run: the verdict is already in */
	for (unsigned int round = 1; round <= max_rounds; round++) {
		struct verify_round vr = {.round = round, .diag_status = -1};
		struct missing_list m = {0};
		struct host_missing_list hm = {0};
		struct hidden_dirs hidden = {0};
		struct profile *proof = NULL, *diag = NULL;
		struct pruned_view view = {.tree_root = tree__root(t), .layers = &layers};
		char *extracted = NULL, *stray = NULL;
		bool *in_zip = NULL, *present = NULL;
		int lock_fd = -1;

		/* The line stays through the extraction; the workload's output clears it. */
		slz_progress__update(o->policy->zip.meter,
				     &(struct slz_progress_state){.phase = "verify round",
								  .done = round,
								  .total = max_rounds});
		err = zip_membership(o->zip_path, t, &in_zip, &vr.zip_entries_before, &stray);
		if (!err && stray)
			err = slz_fail(EXDEV,
				       "%s holds '%s', which %s lacks: give --tree the directory "
				       "the zip was pruned from",
				       o->zip_path, stray, o->tree_dir);
		free(stray);
		vr.zip_entries_after = vr.zip_entries_before;
		if (!err)
			err = layers_present(t, &layers, in_zip, &present);
		if (!err)
			err = extract_fresh(o, t, &extracted, &lock_fd);
		if (!err)
			err = hidden_dirs__prepare(o, tree__root(t), extracted, &hidden);
		view.extracted = extracted;
		view.hidden = &hidden;
		slz_progress__pause(o->policy->zip.meter);
		if (!err)
			err = record_once(o, &view, &proof, &vr.cmd_status, &res->signal);
		m.listed = err ? NULL : calloc(tree__count(t), sizeof(bool));
		if (!err && !m.listed)
			err = -ENOMEM;
		if (!err) {
			vr.lost_events = profile__header_const(proof)->lost_events;
			err = missing_from_lookups(&m, t, proof, present, extracted);
		}
		if (!err)
			err = host_missing__from_lookups(&hm, &hidden, proof);
		if (!err && (vr.cmd_status != 0 || m.n || hm.n)) {
			if (o->on_diagnosis)
				o->on_diagnosis(&vr, o->on_round_ctx);
			err = record_once(o, layers.dir ? &diag_view : NULL, &diag, &vr.diag_status,
					  &res->signal);
			if (!err) {
				vr.lost_events += profile__header_const(diag)->lost_events;
				err = missing_from_diagnosis(&m, t, diag, present, extracted);
			}
			if (!err)
				err = missing_host_packages(&m, &hm, &hidden, t, diag, present);
		}
		/* Kept until here: what the proof run made in it is no missing file. */
		if (extracted) {
			verify__rmtree(extracted);
			close(lock_fd);
			free(extracted);
		}
		if (!err && o->fix && m.n) {
			err = fix_zip(o, t, in_zip, &m, &vr.zip_entries_after, &vr.added);
			res->fixed = res->fixed || (!err && vr.added);
		}
		if (!err) {
			vr.missing = m.items;
			vr.nmissing = m.n;
			vr.host_missing = hm.items;
			vr.nhost_missing = hm.n;
			res->rounds = round;
			res->cmd_status = vr.cmd_status;
			res->nmissing = m.n;
			res->nhost_missing = hm.n;
			res->lost_events = vr.lost_events;
			slz_progress__pause(o->policy->zip.meter); /* --fix's zip line */
			if (o->on_round)
				o->on_round(&vr, o->on_round_ctx);
		}
		missing_clear(&m);
		host_missing__clear(&hm);
		hidden_dirs__release(&hidden);
		profile__free(proof);
		profile__free(diag);
		if (present != in_zip)
			free(present);
		free(in_zip);
		/*
		 * Clean, or nothing more can be done: a failure with no file to add, or a fix that
		 * added nothing (what is missing is --drop'ped).
		 */
		if (err || !vr.nmissing || !o->fix || !vr.added)
			break;
	}
	layers__release(&layers);
	tree__free(t);
	return err;
}
