// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The recorder object: the BPF skeleton's life cycle, the target slots and their generations,
 * and the consumption of ring-buffer events into one profile per target (the translation
 * itself is events.c). recorder_collect.c turns a target's state into a profile with the
 * kernel's counts; recorder__record() in recorder_session.c drives a whole recording.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "record.skel.h"
#include "recorder_internal.h"
#include "util.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int recorder__check_support(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {};
	uint64_t eff;

	if (syscall(SYS_capget, &hdr, data))
		return slz_fail(errno, "cannot read capabilities: %s", strerror(errno));
	eff = (uint64_t)data[1].effective << 32 | data[0].effective;
#define HAS(c) (eff & (1ULL << (c)))
	if (!HAS(CAP_SYS_ADMIN) && !(HAS(CAP_BPF) && HAS(CAP_PERFMON)))
		return slz_fail(EPERM,
				"recording needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN "
				"for cgroups); run it with sudo");
#undef HAS
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return slz_fail(EOPNOTSUPP, "this kernel has no BTF (/sys/kernel/btf/vmlinux); "
					    "recording needs CONFIG_DEBUG_INFO_BTF=y");
	return 0;
}

static bool path_key_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct target *t = ctx;

	return t->paths[idx].hash == *(const uint64_t *)key;
}

const char *target__path(const struct target *t, uint64_t hash)
{
	int64_t i;

	if (!t->path_idx)
		return NULL;
	i = idxmap__find(t->path_idx, slz_hash_u64(hash), path_key_eq, &hash, (void *)t);
	return i >= 0 ? t->paths[i].path : NULL;
}

static int remember_path(struct target *t, uint64_t hash, const char *path)
{
	char *copy;
	int err;

	if (target__path(t, hash))
		return 0;
	if (!t->path_idx && (err = idxmap__new(&t->path_idx)))
		return err;
	err = slz_grow((void **)&t->paths, &t->paths_cap, t->npaths + 1, sizeof(*t->paths));
	if (err)
		return err;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	err = idxmap__insert(t->path_idx, slz_hash_u64(hash), (uint32_t)t->npaths);
	if (err) {
		free(copy);
		return err;
	}
	t->paths[t->npaths++] = (struct path_key){hash, copy};
	return 0;
}

/* Forget what the slot's generation recorded: profile, path keys, failure. */
static void target_clear(struct target *t)
{
	profile__free(t->profile);
	t->profile = NULL;
	for (size_t i = 0; i < t->npaths; i++)
		free(t->paths[i].path);
	free(t->paths);
	t->paths = NULL;
	t->npaths = t->paths_cap = 0;
	idxmap__free(t->path_idx);
	t->path_idx = NULL;
	t->err = 0;
	target__drop_carried(t);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct recorder *r = ctx;
	const struct slz_event *ev = data;
	struct event_identity id;
	struct profile_entry e;
	struct target *t;
	uint32_t slot, gen;
	int err;

	if (size >= SLZ_REC_KIND_END && (ev->kind & SLZ_REC_CONTROL))
		return recorder__on_cgroup_rec(r, data, size);
	if (event__route(ev, size, &slot, &gen))
		return 0;
	t = &r->targets[slot];
	if (!t->used || gen != t->gen) {
		/* Left in the ring by a removed target, or by this one before its reset. */
		r->stale_events++;
		return 0;
	}
	recorder_slot__count_event(r, slot);
	if (t->err || event__entry(ev, size, r->path_buf, &e))
		return 0;
	err = t->profile ? 0 : profile__new(&t->profile);
	event__identity(ev, &id);
	if (!err && id.by_path)
		err = remember_path(t, id.path_hash, e.path);
	if (!err)
		err = profile__add(t->profile, &e);
	/* Only this target's profile is incomplete: the others go on, and so does the ring. */
	if (err)
		t->err = err;
	else if (r->entry_fn)
		r->entry_fn(r, slot, &e, r->entry_ctx); /* before the ring moves past the event */
	return 0;
}

static void *premade_fn(void *arg)
{
	struct recorder *r = arg;
	uint32_t zero = 0;

	r->premade_fd = seen_map__create(&r->seen_spec, r->seen_spec.initial);
	if (r->premade_fd < 0) {
		r->premade_fd = -1; /* recorder_slot__new_generation tries again, and explains */
		return NULL;
	}
	/* The update's grace period passes here, beside the verifier (seen_outer_create). */
	if (r->outer_fd >= 0 && !bpf_map_update_elem(r->outer_fd, &zero, &r->premade_fd, BPF_ANY))
		r->premade_in_slot0 = true;
	return NULL;
}

/*
 * The first target's dedup map is made on a thread while the skeleton loads: even without
 * preallocation a hash map zeroes its buckets (16 MiB for 1M entries, 13-29 ms of `record --
 * /bin/true` under strace; 1 MiB for the first size now), hidden behind the verifier's time
 * on the other CPU. The thread also installs it in slot 0, the first target's. A failed
 * thread start leaves it all to recorder_slot__new_generation.
 */
static void premade_start(struct recorder *r)
{
	r->premade_fd = -1;
	r->premade_in_slot0 = false;
	r->premaking = !pthread_create(&r->premade_thread, NULL, premade_fn, r);
}

static void premade_join(struct recorder *r)
{
	if (r->premaking)
		pthread_join(r->premade_thread, NULL);
	r->premaking = false;
	if (r->outer_fd >= 0)
		close(r->outer_fd);
	r->outer_fd = -1;
}

/*
 * The premade map's fd for slot (the caller's now), or -1; *installed: it is already slot's
 * in seen. A map installed in slot 0 waits there for slot 0 (free_slot hands out the lowest
 * first, so the first generation is slot 0's): it is no other slot's, and no program looks
 * at a slot no target names.
 */
static int premade_take(struct recorder *r, uint32_t slot, bool *installed)
{
	int fd;

	premade_join(r);
	*installed = false;
	if (r->premade_in_slot0 && slot != 0)
		return -1;
	*installed = r->premade_in_slot0;
	r->premade_in_slot0 = false;
	fd = r->premade_fd;
	r->premade_fd = -1;
	return fd;
}

/* A premade map no target took goes with the recorder (seen's reference with seen). */
static void premade_drop(struct recorder *r)
{
	premade_join(r);
	if (r->premade_fd >= 0)
		close(r->premade_fd);
	r->premade_fd = -1;
	r->premade_in_slot0 = false;
}

/*
 * seen, the outer map, is created here and handed to libbpf (which then skips creating it),
 * so that premade_fn can install the first dedup map while the programs load: any update of a
 * map-in-map waits for an RCU grace period (the kernel's maybe_wait_bpf_programs), 12-14 ms
 * of `record -- /bin/true` on this VM when made after the load, though no program runs yet.
 * An initial value in the BTF definition would not help: libbpf installs it by the same
 * update, in the load. The template is any map of seen_spec; the capacity is free.
 */
static int seen_outer_create(struct recorder *r)
{
	struct bpf_map *seen = r->skel->maps.seen;
	int tmpl = seen_map__create(&r->seen_spec, 1), fd, err = 0;
	LIBBPF_OPTS(bpf_map_create_opts, mo, .inner_map_fd = tmpl);

	if (tmpl < 0)
		return slz_fail(-tmpl, "cannot create a dedup map: %s", strerror(-tmpl));
	fd = bpf_map_create(bpf_map__type(seen), bpf_map__name(seen), bpf_map__key_size(seen),
			    bpf_map__value_size(seen), bpf_map__max_entries(seen), &mo);
	err = fd < 0 ? fd : 0;
	close(tmpl);
	if (!err && bpf_map__reuse_fd(seen, fd))
		err = -errno;
	if (err) {
		if (fd >= 0)
			close(fd);
		return slz_fail(-err, "cannot create the map of dedup maps: %s", strerror(-err));
	}
	r->outer_fd = fd;
	return 0;
}

static int attach_prog(struct bpf_program *prog, struct bpf_link **link)
{
	struct bpf_link *l = bpf_program__attach(prog);
	int err;

	if (!l) {
		err = errno ? errno : EINVAL;
		return slz_fail(err == EPERM ? EPERM : EOPNOTSUPP, "cannot attach %s: %s",
				bpf_program__name(prog), strerror(err));
	}
	*link = l;
	return 0;
}

static void *destroy_links_fn(void *arg)
{
	struct recorder *r = arg;

	for (uint32_t i = 0; i < r->ndying; i++)
		bpf_link__destroy(r->dying[i]);
	return NULL;
}

/* A detach still closing links is done when this returns. */
static void detach_wait(struct recorder *r)
{
	if (r->detaching)
		pthread_join(r->detach_thread, NULL);
	r->detaching = false;
	r->ndying = 0;
}

/*
 * Closing a syscall tracepoint's perf link waits, under the kernel's event_mutex, for the
 * tracepoint grace periods (30-100 ms a link on this busy VM, one after another even from
 * several threads): the per-syscall hook's 14 links take about a second, which would stall a
 * daemon's loop at each last target's finish. Unless wait, a thread closes them; the next
 * attach and recorder__free join it first, so the two sets never run at once. Meanwhile the
 * closing programs record nothing (nothing is a target) and cost what they cost attached.
 * tp_btf/sys_exit's one link is freed after the grace period without waiting.
 */
static void detach_task_progs(struct recorder *r, bool wait)
{
	detach_wait(r);
	for (uint32_t i = 0; i < r->ntask_progs; i++) {
		if (r->task_links[i])
			r->dying[r->ndying++] = r->task_links[i];
		r->task_links[i] = NULL;
	}
	r->attached = false;
	if (!r->ndying)
		return;
	if (!wait && !pthread_create(&r->detach_thread, NULL, destroy_links_fn, r)) {
		r->detaching = true;
		return;
	}
	destroy_links_fn(r);
	r->ndying = 0;
}

const char *recorder_hook__name(enum recorder_hook h)
{
	switch (h) {
	case RECORDER_HOOK_SYS_EXIT:
		return "sys_exit";
	case RECORDER_HOOK_PER_SYSCALL:
		return "per-syscall";
	default:
		return "auto";
	}
}

int recorder_hook__from_env(const char *value, enum recorder_hook *out)
{
	*out = RECORDER_HOOK_AUTO;
	if (!value || !*value)
		return 0;
	if (!strcmp(value, "sys_exit"))
		*out = RECORDER_HOOK_SYS_EXIT;
	else if (!strcmp(value, "per-syscall"))
		*out = RECORDER_HOOK_PER_SYSCALL;
	else
		return slz_fail(EINVAL, "%s=%s: expected sys_exit or per-syscall (or unset it)",
				RECORDER_HOOK_ENV, value);
	return 0;
}

enum recorder_hook recorder__hook(const struct recorder *r)
{
	return r->hook;
}

#define SYSCALL_TP_PREFIX "tracepoint/syscalls/"

/*
 * Whether tracefs offers the syscall tracepoint (sys_exit_openat, ...), where libbpf 1.1
 * looks for it: under debugfs when that has a tracing directory, else /sys/kernel/tracing.
 */
static bool syscall_tp_exists(const char *name)
{
	const char *root = access("/sys/kernel/debug/tracing", F_OK) ? "/sys/kernel/tracing"
								     : "/sys/kernel/debug/tracing";
	char path[256];

	snprintf(path, sizeof(path), "%s/events/syscalls/%s/id", root, name);
	return !access(path, R_OK);
}

/* The hook this recorder uses: the config's, else the environment's, else what tracefs allows. */
static int choose_hook(enum recorder_hook want, bool one_shot, enum recorder_hook *out)
{
	const char *env = getenv(RECORDER_HOOK_ENV);
	bool per_syscall_ok = syscall_tp_exists("sys_exit_openat");

	if (want == RECORDER_HOOK_AUTO) {
		int err = recorder_hook__from_env(env, &want);

		if (err)
			return err;
	}
	if (want == RECORDER_HOOK_AUTO && one_shot)
		want = RECORDER_HOOK_SYS_EXIT;
	if (want == RECORDER_HOOK_AUTO)
		/* The cheaper where it can run (BENCHMARKS.md): only file syscalls enter BPF. */
		want = per_syscall_ok ? RECORDER_HOOK_PER_SYSCALL : RECORDER_HOOK_SYS_EXIT;
	if (want == RECORDER_HOOK_PER_SYSCALL && !per_syscall_ok)
		return slz_fail(EOPNOTSUPP,
				"the per-syscall hook needs the syscall tracepoints of tracefs "
				"(mount -t tracefs tracefs /sys/kernel/tracing), or %s=sys_exit",
				RECORDER_HOOK_ENV);
	*out = want;
	return 0;
}

/*
 * Load only the chosen hook's syscall programs, and list them with the exec program as the
 * ones every task runs. A per-syscall program whose tracepoint this kernel lacks (an older
 * kernel without faccessat2, say) stays unloaded: no task can make that syscall.
 */
static int select_task_progs(struct recorder *r)
{
	struct bpf_program *prog;

	r->ntask_progs = 0;
	bpf_object__for_each_program(prog, r->skel->obj)
	{
		const char *sec = bpf_program__section_name(prog);
		bool load;

		if (!strncmp(sec, SYSCALL_TP_PREFIX, strlen(SYSCALL_TP_PREFIX)))
			load = r->hook == RECORDER_HOOK_PER_SYSCALL &&
			       syscall_tp_exists(sec + strlen(SYSCALL_TP_PREFIX));
		else if (prog == r->skel->progs.slz_sys_exit)
			load = r->hook == RECORDER_HOOK_SYS_EXIT;
		else if (prog == r->skel->progs.slz_exec)
			load = true;
		else
			continue; /* the cgroup programs: recorder__open's */
		bpf_program__set_autoload(prog, load);
		if (!load)
			continue;
		if (r->ntask_progs == RECORDER_TASK_PROGS)
			return slz_fail(EINVAL, "more per-task BPF programs than %d",
					RECORDER_TASK_PROGS);
		r->task_progs[r->ntask_progs++] = prog;
	}
	return 0;
}

int recorder__sync_attach(struct recorder *r)
{
	bool needed = r->nused || r->nwatches || r->all;
	int err;

	if (needed)
		r->idle_since_ms = 0;
	if (needed == r->attached)
		return 0;
	if (!needed) {
		if (r->linger_ms) {
			uint64_t now = slz_mono_ms();

			if (!r->idle_since_ms)
				r->idle_since_ms = now ? now : 1; /* 0 says "needed" */
			if (now - r->idle_since_ms < r->linger_ms)
				return 0; /* recorder__consume comes back to it */
		}
		r->idle_since_ms = 0;
		detach_task_progs(r, false);
		return 0;
	}
	detach_wait(r);
	/*
	 * Attaching a tracepoint is synchronous: once the link exists, every task's next syscall
	 * exit and exec runs the program, so a command started after this returns misses nothing.
	 */
	err = 0;
	for (uint32_t i = 0; i < r->ntask_progs && !err; i++)
		err = attach_prog(r->task_progs[i], &r->task_links[i]);
	if (err) {
		detach_task_progs(r, true);
		return err;
	}
	r->attached = true;
	return 0;
}

bool recorder__attached(const struct recorder *r)
{
	return r->attached;
}

int recorder__open(const struct recorder_config *c, struct recorder **out)
{
	uint32_t max_files = c->max_files ? c->max_files : RECORDER_DEFAULT_MAX_FILES;
	uint32_t rb = c->ringbuf_bytes ? c->ringbuf_bytes : RECORDER_DEFAULT_RINGBUF;
	uint32_t cap = c->max_targets ? c->max_targets : SLZ_MAX_TARGETS;
	long page = sysconf(_SC_PAGESIZE);
	struct recorder *r;
	double t0 = mono_now();
	uint32_t rbsz = (uint32_t)page;
	int err;

	err = recorder__check_support();
	if (err)
		return err;
	if (cap > SLZ_MAX_TARGETS)
		return slz_fail(EINVAL, "at most %d targets (asked for %u)", SLZ_MAX_TARGETS, cap);
	while (rbsz < rb && rbsz < (1u << 30))
		rbsz <<= 1;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < SLZ_MAX_TARGETS; i++)
		r->targets[i].seen_fd = -1;
	r->premade_fd = -1;
	r->outer_fd = -1;
	r->capacity = cap;
	r->discover = c->discover;
	r->want_prepared = c->prepared ? c->prepared : RECORDER_DEFAULT_PREPARED;
	r->ncpus = libbpf_num_possible_cpus();
	if (r->ncpus <= 0) {
		err = slz_fail(EOPNOTSUPP, "cannot count the possible CPUs");
		goto err;
	}
	r->skel = record_bpf__open();
	if (!r->skel) {
		err = slz_fail(errno ? errno : EINVAL, "cannot open the BPF program: %s",
			       strerror(errno ? errno : EINVAL));
		goto err;
	}
	r->skel->rodata->record_missing = c->record_missing;
	/* Wake the event loop early only when an eighth of the ring is waiting; it polls anyway. */
	r->skel->rodata->wakeup_bytes = rbsz / 8;
	err = seen_spec__init(&r->seen_spec, bpf_map__inner_map(r->skel->maps.seen),
			      c->initial_files, max_files, rbsz);
	if (!err)
		err = seen_outer_create(r);
	if (err)
		goto err;
	premade_start(r);
	bpf_map__set_max_entries(r->skel->maps.events, rbsz);
	/*
	 * A slot's counters for each slot the capacity allows (free_slot hands out the lowest, so
	 * no slot reaches cap): a one-shot record's one target does not pay the kernel for the
	 * 1,025 per-CPU counter slots (0.6-1.2 ms of its load under strace).
	 */
	bpf_map__set_max_entries(r->skel->maps.stats, cap + 1);
	r->task_tags = !c->no_task_tags;
	bpf_program__set_autoload(r->skel->progs.slz_fork, r->task_tags);
	/* A recorder that finds no targets itself does not make every mkdir format its path. */
	bpf_program__set_autoload(r->skel->progs.slz_cgroup_mkdir, c->discover);
	bpf_program__set_autoload(r->skel->progs.slz_cgroup_rmdir, c->discover);
	r->linger_ms = c->detach_linger_ms;
	err = choose_hook(c->hook, c->one_shot, &r->hook);
	if (!err)
		err = select_task_progs(r);
	if (err)
		goto err;
	err = record_bpf__load(r->skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			err = slz_fail(
				EPERM,
				"the kernel refused to load the BPF program (%s): recording "
				"needs root with CAP_BPF and CAP_PERFMON; as root, run with -vv "
				"to see the verifier's log",
				strerror(-err));
		else
			err = slz_fail(EOPNOTSUPP,
				       "the kernel refused the BPF program (%s); "
				       "run with -v to see libbpf's log",
				       strerror(-err));
		goto err;
	}
	/*
	 * Only the cgroup programs now: they run at mkdir/rmdir, which are rare, and a watch
	 * needs them in place. The per-task programs wait for the first target
	 * (recorder__sync_attach).
	 */
	if (c->discover) {
		err = attach_prog(r->skel->progs.slz_cgroup_mkdir,
				  &r->skel->links.slz_cgroup_mkdir);
		if (!err)
			err = attach_prog(r->skel->progs.slz_cgroup_rmdir,
					  &r->skel->links.slz_cgroup_rmdir);
		if (err)
			goto err;
	}
	r->rb = ring_buffer__new(bpf_map__fd(r->skel->maps.events), on_event, r, NULL);
	if (!r->rb) {
		err = slz_fail(errno, "cannot open the ring buffer: %s", strerror(errno));
		goto err;
	}
	r->load_s = mono_now() - t0;
	*out = r;
	return 0;
err:
	recorder__free(r);
	return err;
}

void recorder__free(struct recorder *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	detach_task_progs(r, true);
	premade_drop(r);
	record_bpf__destroy(r->skel);
	for (size_t i = 0; i < SLZ_MAX_TARGETS; i++) {
		target_clear(&r->targets[i]);
		if (r->targets[i].seen_fd >= 0)
			close(r->targets[i].seen_fd);
	}
	free(r);
}

double recorder__load_seconds(const struct recorder *r)
{
	return r->load_s;
}

uint64_t recorder__stale_events(const struct recorder *r)
{
	return r->stale_events;
}

void recorder__targets_changed(struct recorder *r)
{
	__atomic_add_fetch(&r->skel->bss->targets_version, 1, __ATOMIC_SEQ_CST);
}

int recorder_slot__new_generation(struct recorder *r, uint32_t slot, uint32_t *gen, int *old_fd)
{
	struct slz_stats *zero;
	bool installed;
	int fd = premade_take(r, slot, &installed), err;

	if (fd < 0)
		fd = seen_map__create(&r->seen_spec, r->seen_spec.initial);
	if (fd < 0)
		return slz_fail(-fd, "cannot create a target's dedup map: %s", strerror(-fd));
	zero = calloc((size_t)r->ncpus, sizeof(*zero));
	if (!zero) {
		err = -ENOMEM;
		goto err;
	}
	err = bpf_map_update_elem(bpf_map__fd(r->skel->maps.stats), &slot, zero, BPF_ANY);
	free(zero);
	if (err) {
		err = slz_fail(errno, "cannot reset the statistics: %s", strerror(errno));
		goto err;
	}
	if (!installed &&
	    bpf_map_update_elem(bpf_map__fd(r->skel->maps.seen), &slot, &fd, BPF_ANY)) {
		err = slz_fail(errno, "cannot install a target's dedup map: %s", strerror(errno));
		goto err;
	}
	if (!++r->last_gen)
		++r->last_gen; /* 0 is what an empty answer holds */
	*gen = r->last_gen;
	*old_fd = r->targets[slot].seen_fd;
	r->targets[slot].seen_fd = fd;
	r->targets[slot].seen_cap = r->seen_spec.initial;
	target__drop_carried(&r->targets[slot]);
	return 0;
err:
	/* An installed map stays in slot 0 (seen holds it) until slot 0's next generation. */
	close(fd);
	return err;
}

/* The lowest slot neither a target nor prepared; the caller checked the capacity. */
static uint32_t free_slot(const struct recorder *r)
{
	uint32_t s;

	for (s = 0; s < SLZ_MAX_TARGETS && (r->targets[s].used || r->targets[s].prepared); s++)
		;
	return s;
}

void recorder_slot__occupy(struct recorder *r, uint32_t slot, uint64_t cgroup_id)
{
	struct target *t = &r->targets[slot];

	if (t->prepared) {
		t->prepared = false;
		r->nprepared--;
	}
	t->used = true;
	t->cgroup_id = cgroup_id;
	r->nused++;
}

void recorder_slot__release(struct recorder *r, uint32_t slot)
{
	struct target *t = &r->targets[slot];

	/* A program that still found the map keeps its reference; the kernel frees it after. */
	bpf_map_delete_elem(bpf_map__fd(r->skel->maps.seen), &slot);
	if (t->seen_fd >= 0)
		close(t->seen_fd);
	t->seen_fd = -1;
	if (t->prepared) {
		t->prepared = false;
		r->nprepared--;
	}
}

int recorder__add_target(struct recorder *r, uint64_t cgroup_id, uint32_t *slot)
{
	struct slz_target v;
	int old_fd, err;
	uint32_t s;

	if (r->nused + r->nprepared < r->capacity) {
		s = free_slot(r);
		err = recorder_slot__new_generation(r, s, &v.gen, &old_fd);
		if (err)
			return err;
		if (old_fd >= 0)
			close(old_fd);
	} else if (r->nused < r->capacity && !recorder__take_prepared(r, &s)) {
		/* The capacity is in the kernel's queue: an explicit target takes one back. */
		v.gen = r->targets[s].gen;
	} else {
		return slz_fail(ENOSPC, "too many targets (at most %u)", r->capacity);
	}
	v.slot = s;
	if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.targets), &cgroup_id, &v, BPF_NOEXIST)) {
		err = errno == EEXIST ? slz_fail(EEXIST, "cgroup %llu is a target already",
						 (unsigned long long)cgroup_id)
				      : slz_fail(errno, "cannot add the target cgroup: %s",
						 strerror(errno));
		recorder_slot__release(r, s);
		return err;
	}
	r->targets[s].gen = v.gen;
	recorder_slot__occupy(r, s, cgroup_id);
	/* Cached "not a target" answers for this cgroup and its descendants are now wrong. */
	recorder__targets_changed(r);
	err = recorder__sync_attach(r);
	if (err) {
		recorder__remove_target(r, s);
		return err;
	}
	*slot = s;
	return 0;
}

int recorder__find_target(const struct recorder *r, uint64_t cgroup_id, uint32_t *slot)
{
	for (uint32_t s = 0; s < SLZ_MAX_TARGETS; s++) {
		if (r->targets[s].used && r->targets[s].cgroup_id == cgroup_id) {
			*slot = s;
			return 0;
		}
	}
	return slz_fail(ENOENT, "cgroup %llu is no target", (unsigned long long)cgroup_id);
}

static struct target *target_of(struct recorder *r, uint32_t slot)
{
	if (slot >= SLZ_MAX_TARGETS || !r->targets[slot].used) {
		slz_fail(ENOENT, "no target in slot %u", slot);
		return NULL;
	}
	return &r->targets[slot];
}

int recorder__remove_target(struct recorder *r, uint32_t slot)
{
	struct target *t = target_of(r, slot);

	if (!t)
		return -ENOENT;
	bpf_map_delete_elem(bpf_map__fd(r->skel->maps.targets), &t->cgroup_id);
	recorder__targets_changed(r);
	recorder_slot__release(r, slot);
	t->used = false;
	r->nused--;
	target_clear(t);
	/* The last target gone (and no watch): untargeted tasks stop paying for the programs. */
	recorder__sync_attach(r);
	/* The freed slot may go back to the kernel's queue; a failure shows at the next consume. */
	recorder__refill(r);
	return 0;
}

int recorder__reset_target(struct recorder *r, uint32_t slot)
{
	struct target *t = target_of(r, slot);
	struct slz_target v = {.slot = slot};
	int old_fd, err;

	if (!t)
		return -ENOENT;
	err = recorder_slot__new_generation(r, slot, &v.gen, &old_fd);
	if (err)
		return err;
	/*
	 * The programs find the new map from now on but keep the old generation until they see
	 * this: until then their keys carry the old generation and their events are dropped.
	 */
	if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.targets), &t->cgroup_id, &v, BPF_EXIST))
		err = slz_fail(errno, "cannot reset the target: %s", strerror(errno));
	recorder__targets_changed(r);
	close(old_fd);
	if (err) {
		/* The slot holds an empty map of a generation nobody uses: drop the target. */
		recorder__remove_target(r, slot);
		return err;
	}
	t->gen = v.gen;
	target_clear(t);
	return 0;
}

int recorder__epoll_fd(const struct recorder *r)
{
	return ring_buffer__epoll_fd(r->rb);
}

/* What a consuming call returns: events, the callback's error, or the ring's. */
static int consumed(struct recorder *r, int n)
{
	int err;

	if (r->cgroup_err) {
		err = r->cgroup_err;
		r->cgroup_err = 0;
		return err; /* explained by the callback */
	}
	if (n == -EINTR)
		return 0;
	if (n < 0)
		return slz_fail(-n, "reading events failed: %s", strerror(-n));
	/* Born targets took prepared slots: the next burst of new cgroups needs them. */
	err = recorder__refill(r);
	return err ? err : n;
}

int recorder__consume(struct recorder *r)
{
	if (r->idle_since_ms)
		recorder__sync_attach(r); /* a lingering attach whose time is up */
	return consumed(r, ring_buffer__consume(r->rb));
}

int recorder__poll(struct recorder *r, int timeout_ms)
{
	if (r->idle_since_ms)
		recorder__sync_attach(r);
	return consumed(r, ring_buffer__poll(r->rb, timeout_ms));
}
