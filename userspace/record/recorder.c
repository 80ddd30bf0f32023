// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The recorder object: the BPF skeleton's life cycle, its target slots, and the translation of
 * ring-buffer events and dedup-map counts into one profile per target. recorder__record() in
 * recorder_session.c drives it for a whole recording.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "events.h"
#include "hashmap.h"
#include "record.h"
#include "record.skel.h"
#include "recorder.h"
#include "util.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* Path-keyed dedup entries: the kernel only knows a hash, userspace keeps the path for it. */
struct path_key {
	uint64_t hash;
	uint32_t slot;
	char *path;
};

struct recorder {
	struct record_bpf *skel;
	struct ring_buffer *rb;
	struct profile *profiles[SLZ_MAX_TARGETS];
	bool used[SLZ_MAX_TARGETS];
	uint64_t target_ids[SLZ_MAX_TARGETS];
	struct path_key *paths;
	size_t npaths, paths_cap;
	struct idxmap *path_idx;
	char path_buf[EVENT_PATH_BUF]; /* the path of the event being consumed */
	int cb_err;
	int ncpus;
	double load_s;
};

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
	const struct recorder *r = ctx;
	const struct path_key *k = key;

	return r->paths[idx].hash == k->hash && r->paths[idx].slot == k->slot;
}

static uint64_t path_key_hash(uint64_t hash, uint32_t slot)
{
	return slz_hash_u64(hash ^ ((uint64_t)slot << 48));
}

static const char *path_for_key(const struct recorder *r, uint64_t hash, uint32_t slot)
{
	struct path_key k = {hash, slot, NULL};
	int64_t i =
		idxmap__find(r->path_idx, path_key_hash(hash, slot), path_key_eq, &k, (void *)r);

	return i >= 0 ? r->paths[i].path : NULL;
}

static int remember_path(struct recorder *r, uint64_t hash, uint32_t slot, const char *path)
{
	int err;

	if (path_for_key(r, hash, slot))
		return 0;
	err = slz_grow((void **)&r->paths, &r->paths_cap, r->npaths + 1, sizeof(*r->paths));
	if (err)
		return err;
	r->paths[r->npaths] = (struct path_key){hash, slot, strdup(path)};
	if (!r->paths[r->npaths].path)
		return -ENOMEM;
	err = idxmap__insert(r->path_idx, path_key_hash(hash, slot), (uint32_t)r->npaths);
	if (err) {
		free(r->paths[r->npaths].path);
		return err;
	}
	r->npaths++;
	return 0;
}

static int get_profile(struct recorder *r, uint32_t slot, struct profile **p)
{
	int err;

	if (!r->profiles[slot]) {
		err = profile__new(&r->profiles[slot]);
		if (err)
			return err;
	}
	*p = r->profiles[slot];
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct recorder *r = ctx;
	const struct slz_event *ev = data;
	struct event_identity id;
	struct profile_entry e;
	struct profile *p;
	uint32_t slot, gen;
	int err;

	if (event__route(ev, size, &slot, &gen) || !r->used[slot])
		return 0;
	if (event__entry(ev, size, r->path_buf, &e))
		return 0;
	err = get_profile(r, slot, &p);
	if (err)
		goto out;
	event__identity(ev, &id);
	if (id.by_path) {
		err = remember_path(r, id.path_hash, slot, e.path);
		if (err)
			goto out;
	}
	err = profile__add(p, &e);
out:
	if (err)
		r->cb_err = err;
	return err;
}

static int clear_map(int fd, size_t key_size)
{
	char key[64];

	if (key_size > sizeof(key))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, NULL, key)) {
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	}
	return 0;
}

int recorder__open(const struct recorder_config *c, struct recorder **out)
{
	uint32_t max_files = c->max_files ? c->max_files : RECORDER_DEFAULT_MAX_FILES;
	uint32_t rb = c->ringbuf_bytes ? c->ringbuf_bytes : RECORDER_DEFAULT_RINGBUF;
	long page = sysconf(_SC_PAGESIZE);
	struct recorder *r;
	double t0 = mono_now();
	uint32_t rbsz = (uint32_t)page;
	int err;

	err = recorder__check_support();
	if (err)
		return err;
	while (rbsz < rb && rbsz < (1u << 30))
		rbsz <<= 1;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	err = idxmap__new(&r->path_idx);
	if (err)
		goto err;
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
	bpf_map__set_max_entries(r->skel->maps.seen, max_files);
	bpf_map__set_max_entries(r->skel->maps.events, rbsz);
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
	err = record_bpf__attach(r->skel);
	if (err) {
		err = slz_fail(err == -EPERM ? EPERM : EOPNOTSUPP,
			       "cannot attach to the syscall tracepoints: %s", strerror(-err));
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
	record_bpf__destroy(r->skel);
	for (size_t i = 0; i < SLZ_MAX_TARGETS; i++)
		profile__free(r->profiles[i]);
	for (size_t i = 0; i < r->npaths; i++)
		free(r->paths[i].path);
	free(r->paths);
	idxmap__free(r->path_idx);
	free(r);
}

double recorder__load_seconds(const struct recorder *r)
{
	return r->load_s;
}

int recorder__add_target(struct recorder *r, uint64_t cgroup_id, uint32_t *slot)
{
	struct slz_stats *zero;
	uint32_t s;
	int err;

	for (s = 0; s < SLZ_MAX_TARGETS && r->used[s]; s++)
		;
	if (s == SLZ_MAX_TARGETS)
		return slz_fail(ENOSPC, "too many targets (at most %d)", SLZ_MAX_TARGETS);
	zero = calloc((size_t)r->ncpus, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(bpf_map__fd(r->skel->maps.stats), &s, zero, BPF_ANY);
	free(zero);
	if (err)
		return slz_fail(errno, "cannot reset the statistics: %s", strerror(errno));
	if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.targets), &cgroup_id, &s, BPF_NOEXIST))
		return slz_fail(errno, "cannot add the target cgroup: %s", strerror(errno));
	r->used[s] = true;
	r->target_ids[s] = cgroup_id;
	/* Cached "not a target" answers may now be wrong. */
	err = clear_map(bpf_map__fd(r->skel->maps.target_cache), sizeof(uint64_t));
	__atomic_add_fetch(&r->skel->bss->target_gen, 1, __ATOMIC_SEQ_CST);
	if (err)
		return slz_fail(err, "cannot reset the target cache: %s", strerror(-err));
	*slot = s;
	return 0;
}

int recorder__remove_target(struct recorder *r, uint32_t slot)
{
	int fd = bpf_map__fd(r->skel->maps.seen);
	struct slz_seen_key k, next;
	bool first = true;

	if (slot >= SLZ_MAX_TARGETS || !r->used[slot])
		return -ENOENT;
	bpf_map_delete_elem(bpf_map__fd(r->skel->maps.targets), &r->target_ids[slot]);
	clear_map(bpf_map__fd(r->skel->maps.target_cache), sizeof(uint64_t));
	__atomic_add_fetch(&r->skel->bss->target_gen, 1, __ATOMIC_SEQ_CST);
	r->used[slot] = false;
	profile__free(r->profiles[slot]);
	r->profiles[slot] = NULL;
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		if (next.target == slot && !bpf_map_delete_elem(fd, &next)) {
			first = true; /* iteration restarts after a delete */
			continue;
		}
		k = next;
		first = false;
	}
	return 0;
}

int recorder__epoll_fd(const struct recorder *r)
{
	return ring_buffer__epoll_fd(r->rb);
}

int recorder__consume(struct recorder *r)
{
	int n = ring_buffer__consume(r->rb);

	if (r->cb_err)
		return slz_fail(r->cb_err, "recording events failed: %s", strerror(-r->cb_err));
	return n;
}

int recorder__poll(struct recorder *r, int timeout_ms)
{
	int n = ring_buffer__poll(r->rb, timeout_ms);

	if (r->cb_err)
		return slz_fail(r->cb_err, "recording events failed: %s", strerror(-r->cb_err));
	return n == -EINTR ? 0 : n;
}

/* One dedup key's count into p, found by inode or, for path keys, by the path behind the hash. */
static void add_key_count(struct recorder *r, uint32_t slot, struct profile *p,
			  const struct slz_seen_key *key, uint64_t count)
{
	struct event_identity id;

	if (key->target != slot || !count)
		return;
	event__key_identity(key, &id);
	if (id.by_path) {
		const char *path = path_for_key(r, id.path_hash, slot);

		if (path)
			profile__add_count(p, 0, 0, path, count);
	} else {
		profile__add_count(p, id.dev, id.ino, "", count);
	}
}

/* Hits still pending in the CPUs' hot caches (not yet moved into the dedup map). */
static int add_pending_counts(struct recorder *r, uint32_t slot, struct profile *p)
{
	struct slz_cpu_state *percpu = calloc((size_t)r->ncpus, sizeof(*percpu));
	uint32_t zero = 0;
	int err = 0;

	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.cpu_state), &zero, percpu)) {
		err = -errno;
		goto out;
	}
	for (int c = 0; c < r->ncpus; c++) {
		for (int i = 0; i < SLZ_HOT_SLOTS; i++)
			add_key_count(r, slot, p, &percpu[c].hot[i].key, percpu[c].hot[i].pending);
	}
out:
	free(percpu);
	return err;
}

/* Kernel access counts of slot into p; batched when the kernel supports it. */
static int add_counts(struct recorder *r, uint32_t slot, struct profile *p)
{
	int fd = bpf_map__fd(r->skel->maps.seen);
	enum { BATCH = 4096 };
	struct slz_seen_key *keys = malloc(BATCH * sizeof(*keys));
	uint64_t *vals = malloc(BATCH * sizeof(*vals));
	struct slz_seen_key k, next;
	uint64_t out_batch, in_batch;
	bool first = true, batched = true;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 count = BATCH;
		DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);

		err = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys, vals,
					   &count, &opts);
		if (err && errno != ENOENT) {
			if (first) {
				batched = false;
				err = 0;
				break;
			}
			err = -errno;
			goto out;
		}
		for (__u32 i = 0; i < count; i++)
			add_key_count(r, slot, p, &keys[i], vals[i]);
		if (err) { /* ENOENT: that was the last batch */
			err = 0;
			break;
		}
		in_batch = out_batch;
		first = false;
	}
	if (batched)
		goto out;
	first = true;
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		uint64_t v;

		first = false;
		k = next;
		if (next.target == slot && !bpf_map_lookup_elem(fd, &next, &v))
			add_key_count(r, slot, p, &next, v);
	}
out:
	free(keys);
	free(vals);
	return err;
}

static int read_stats(struct recorder *r, uint32_t slot, struct slz_stats *sum)
{
	struct slz_stats *percpu = calloc((size_t)r->ncpus, sizeof(*percpu));

	memset(sum, 0, sizeof(*sum));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.stats), &slot, percpu)) {
		free(percpu);
		return -errno;
	}
	for (int c = 0; c < r->ncpus; c++) {
		sum->events += percpu[c].events;
		sum->ringbuf_drops += percpu[c].ringbuf_drops;
		sum->dedup_full += percpu[c].dedup_full;
		sum->truncated += percpu[c].truncated;
	}
	free(percpu);
	return 0;
}

int recorder__profile(struct recorder *r, uint32_t slot, struct profile **out)
{
	struct profile *p = NULL, *live;
	struct profile_header *h;
	struct slz_stats st;
	int err;

	if (slot >= SLZ_MAX_TARGETS || !r->used[slot])
		return -ENOENT;
	err = get_profile(r, slot, &live);
	if (!err)
		err = profile__new(&p);
	if (!err)
		err = profile__merge(p, live);
	if (!err)
		err = add_counts(r, slot, p);
	if (!err)
		err = add_pending_counts(r, slot, p);
	if (!err)
		err = read_stats(r, slot, &st);
	if (err) {
		profile__free(p);
		return slz_fail(err, "cannot collect the profile: %s", strerror(-err));
	}
	h = profile__header(p);
	h->lost_events = st.ringbuf_drops;
	h->dedup_full = st.dedup_full;
	h->truncated_paths = st.truncated;
	h->merged_from = 1;
	*out = p;
	return 0;
}
