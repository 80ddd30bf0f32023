// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The recorder object: its life cycle (the programs' load and attach are recorder_load.c's),
 * the target slots and their generations, and the consumption of ring-buffer events into one
 * profile per target (the translation itself is events.c). recorder_collect.c turns a target's
 * state into a profile with the kernel's counts; recorder__record() in recorder_session.c drives a
 * whole recording.
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
	for (size_t i = 0; i < RECORDER_TASK_PROGS; i++) {
		r->task_fds[i] = -1;
		r->task_links[i] = r->dying[i] = (struct rec_link){NULL, -1};
	}
	r->fork_fd = -1;
	r->fork_link = r->cgroup_links[0] = r->cgroup_links[1] = (struct rec_link){NULL, -1};
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
	err = recorder__load(r, c, rbsz, max_files);
	if (err)
		goto err;
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
	recorder__unload(r);
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

bool recorder__light(const struct recorder *r)
{
	return r->light;
}

uint64_t recorder__stale_events(const struct recorder *r)
{
	return r->stale_events;
}

void recorder__targets_changed(struct recorder *r)
{
	__atomic_add_fetch(&r->skel->bss->targets_version, 1, __ATOMIC_SEQ_CST);
}

int recorder_slot__install(struct recorder *r, uint32_t slot, int fd)
{
	int seen = bpf_map__fd(r->skel->maps.seen);

	/* The update waits for a grace period: no program runs with the slot's old map after. */
	if (bpf_map_update_elem(seen, &slot, &fd, BPF_ANY))
		return -errno;
	if (slot || !r->seen0_direct || r->seen0_moved)
		return 0;
	/*
	 * Slot 0 leaves seen0: from the flag on the programs look in seen, which holds fd already.
	 * A program that read the flag before it changed may still use seen0: the same update
	 * again waits for it, so the caller's guarantee holds for seen0 too.
	 */
	__atomic_store_n(&r->skel->bss->seen0_moved, 1u, __ATOMIC_SEQ_CST);
	r->seen0_moved = true;
	/*
	 * Past the flag the move is made: fd is what the programs use, so a failure of the
	 * waiting update must not send the caller back to seen0 (it would close fd and read a
	 * map the programs left). Without the wait, a program that read the flag unset can
	 * still count an access or two in seen0: the one cost, and the update just succeeded.
	 */
	(void)bpf_map_update_elem(seen, &slot, &fd, BPF_ANY);
	return 0;
}

int recorder_slot__new_generation(struct recorder *r, uint32_t slot, uint32_t *gen, int *old_fd)
{
	struct slz_stats *zero;
	bool installed;
	int fd = recorder__premade_take(r, slot, &installed), err;

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
	err = installed ? 0 : recorder_slot__install(r, slot, fd);
	if (err) {
		err = slz_fail(-err, "cannot install a target's dedup map: %s", strerror(-err));
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
