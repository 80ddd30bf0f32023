// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Targets the kernel finds (bpf/discover.bpf.h): the watched parents and the all switch in
 * the program's maps, the queue of prepared slots the kernel takes from, and the born and
 * ended records it leaves in the event ring, handed to the caller's callback in ring order.
 *
 * A prepared slot is a slot with a fresh generation, an empty dedup map installed in `seen`
 * and zeroed counters, but no cgroup: no targets entry names it, so nothing is recorded for
 * it until the kernel takes it. The kernel then only publishes, which it can do under the
 * cgroup locks mkdir holds; everything that allocates happens here, ahead of time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "record.skel.h"
#include "recorder_internal.h"
#include "util.h"

_Static_assert(RECORDER_WATCH_ALL == SLZ_WATCH_ALL, "one id for the all switch");
_Static_assert(sizeof(((struct recorder_cgroup_event *)0)->comm) == SLZ_COMM_LEN, "comm");

void recorder__on_cgroup(struct recorder *r, recorder_cgroup_fn fn, void *ctx)
{
	r->cgroup_fn = fn;
	r->cgroup_ctx = ctx;
}

static bool discovering(const struct recorder *r)
{
	return r->all || r->nwatches;
}

int recorder__refill(struct recorder *r)
{
	int qfd = bpf_map__fd(r->skel->maps.prepared);

	if (!r->discover || !discovering(r))
		return 0;
	while (r->nprepared < r->want_prepared && r->nused + r->nprepared < r->capacity) {
		struct slz_target v = {0};
		struct target *t;
		int old_fd, err;
		uint32_t s;

		for (s = 0; r->targets[s].used || r->targets[s].prepared; s++)
			;
		t = &r->targets[s];
		err = recorder_slot__new_generation(r, s, &v.gen, &old_fd);
		if (err)
			return err;
		if (old_fd >= 0)
			close(old_fd);
		t->gen = v.gen;
		t->prepared = true;
		r->nprepared++;
		v.slot = s;
		if (bpf_map_update_elem(qfd, NULL, &v, 0)) {
			err = slz_fail(errno, "cannot queue a prepared target slot: %s",
				       strerror(errno));
			recorder_slot__release(r, s);
			return err;
		}
	}
	return 0;
}

int recorder__take_prepared(struct recorder *r, uint32_t *slot)
{
	struct slz_target v;

	/* Whatever this pops is ours: the kernel takes only what is still queued. */
	if (bpf_map_lookup_and_delete_elem(bpf_map__fd(r->skel->maps.prepared), NULL, &v))
		return -ENOSPC;
	if (v.slot >= SLZ_MAX_TARGETS || !r->targets[v.slot].prepared ||
	    r->targets[v.slot].gen != v.gen)
		return -ENOSPC; /* cannot happen: the queue holds only what refill put there */
	*slot = v.slot;
	return 0;
}

static int need_discovery(const struct recorder *r, const char *what)
{
	if (!r->discover)
		return slz_fail(EINVAL, "%s needs a recorder opened with discover set", what);
	if (!r->cgroup_fn)
		return slz_fail(EINVAL, "%s needs a cgroup callback (recorder__on_cgroup) first",
				what);
	return 0;
}

static struct watch *watch_of(struct recorder *r, uint32_t id)
{
	for (size_t i = 0; i < SLZ_MAX_WATCHES; i++) {
		if (r->watches[i].used && r->watches[i].id == id)
			return &r->watches[i];
	}
	return NULL;
}

int recorder__add_watch(struct recorder *r, const char *parent, uint32_t watch_id)
{
	struct slz_watch v = {.id = watch_id};
	struct watch *w = NULL;
	char *dir = NULL;
	uint64_t id;
	int err;

	err = need_discovery(r, "watching a cgroup");
	if (err)
		return err;
	if (watch_id == RECORDER_WATCH_ALL)
		return slz_fail(EINVAL, "watch id %u is reserved for the all switch", watch_id);
	if (watch_of(r, watch_id))
		return slz_fail(EEXIST, "watch id %u is in use already", watch_id);
	for (size_t i = 0; i < SLZ_MAX_WATCHES && !w; i++)
		w = r->watches[i].used ? NULL : &r->watches[i];
	if (!w)
		return slz_fail(ENOSPC, "too many watched cgroups (at most %d)", SLZ_MAX_WATCHES);
	err = cgroup__resolve(parent, &dir);
	if (!err)
		err = cgroup__id(dir, &id);
	free(dir);
	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.watches), &id, &v, BPF_NOEXIST))
		return errno == EEXIST ? slz_fail(EEXIST, "cgroup %s is watched already", parent)
				       : slz_fail(errno, "cannot watch cgroup %s: %s", parent,
						  strerror(errno));
	*w = (struct watch){.used = true, .id = watch_id, .cgroup_id = id};
	r->nwatches++;
	/* A child born from now on is followed from its first task: attached before it can be. */
	err = recorder__sync_attach(r);
	if (err) {
		recorder__remove_watch(r, watch_id);
		return err;
	}
	return recorder__refill(r);
}

int recorder__remove_watch(struct recorder *r, uint32_t watch_id)
{
	struct watch *w = watch_of(r, watch_id);

	if (!w)
		return slz_fail(ENOENT, "no watch with id %u", watch_id);
	/* Gone already when its cgroup was removed and the kernel's entry with it: fine. */
	bpf_map_delete_elem(bpf_map__fd(r->skel->maps.watches), &w->cgroup_id);
	w->used = false;
	r->nwatches--;
	recorder__sync_attach(r);
	return 0;
}

int recorder__set_all(struct recorder *r, bool on)
{
	int err = on ? need_discovery(r, "following every cgroup") : 0;

	if (err)
		return err;
	r->all = on;
	if (on && (err = recorder__sync_attach(r))) {
		r->all = false;
		return err;
	}
	__atomic_store_n(&r->skel->bss->watch_all, on ? 1u : 0u, __ATOMIC_SEQ_CST);
	if (!on)
		recorder__sync_attach(r);
	return recorder__refill(r);
}

int recorder__refused(const struct recorder *r, uint32_t watch_id, uint64_t *n)
{
	struct slz_watch v;
	struct watch *w;

	if (watch_id == RECORDER_WATCH_ALL) {
		*n = __atomic_load_n(&r->skel->bss->all_refused, __ATOMIC_SEQ_CST);
		return 0;
	}
	w = watch_of((struct recorder *)r, watch_id);
	if (!w)
		return slz_fail(ENOENT, "no watch with id %u", watch_id);
	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.watches), &w->cgroup_id, &v))
		v.refused = 0; /* its cgroup is gone, and the kernel's count with it */
	*n = v.refused;
	return 0;
}

uint64_t recorder__ended_lost(const struct recorder *r)
{
	return __atomic_load_n(&r->skel->bss->ended_lost, __ATOMIC_SEQ_CST);
}

/* A record's strings end within their arrays, whatever the kernel wrote. */
static void rec_event(const struct slz_cgroup_rec *rec, char *name, char *path,
		      struct recorder_cgroup_event *ev)
{
	size_t nl = rec->name_len < SLZ_CGROUP_NAME_MAX ? rec->name_len : SLZ_CGROUP_NAME_MAX - 1;
	size_t pl = rec->path_len < SLZ_CGROUP_PATH_MAX ? rec->path_len : SLZ_CGROUP_PATH_MAX - 1;

	memcpy(name, rec->name, nl);
	name[strnlen(name, nl)] = '\0';
	memcpy(path, rec->path, pl);
	path[strnlen(path, pl)] = '\0';
	*ev = (struct recorder_cgroup_event){
		.kind = rec->kind == SLZ_REC_BORN ? RECORDER_CGROUP_BORN : RECORDER_CGROUP_ENDED,
		.slot = rec->target,
		.cgroup_id = rec->cgroup_id,
		.parent_id = rec->parent_id,
		.watch_id = rec->watch,
		.level = (uint32_t)rec->level,
		.name = rec->kind == SLZ_REC_BORN ? name : "",
		.path = path,
		.path_truncated = rec->flags & SLZ_CGF_PATH_TRUNCATED,
		.pid = rec->pid,
	};
	memcpy(ev->comm, rec->comm, sizeof(ev->comm));
	ev->comm[sizeof(ev->comm) - 1] = '\0';
}

int recorder__on_cgroup_rec(struct recorder *r, const void *data, size_t size)
{
	const struct slz_cgroup_rec *rec = data;
	char name[SLZ_CGROUP_NAME_MAX], path[SLZ_CGROUP_PATH_MAX];
	struct recorder_cgroup_event ev;
	struct target *t;
	int err;

	if (size < sizeof(*rec) || rec->target >= SLZ_MAX_TARGETS)
		return 0;
	t = &r->targets[rec->target];
	if (rec->kind == SLZ_REC_BORN) {
		/* Only what refill queued can be taken; anything else would be a kernel bug. */
		if (!t->prepared || t->gen != rec->gen) {
			r->stale_events++;
			return 0;
		}
		recorder_slot__occupy(r, rec->target, rec->cgroup_id);
		/*
		 * Attached already while its watch exists; this covers a born record still in the
		 * ring after the last watch went.
		 */
		err = recorder__sync_attach(r);
		if (err) {
			r->cgroup_err = err;
			return err;
		}
	} else if (rec->kind == SLZ_REC_ENDED) {
		/* The end of a target removed meanwhile (or of its slot's earlier holder). */
		if (!t->used || t->gen != rec->gen || t->cgroup_id != rec->cgroup_id)
			return 0;
	} else {
		return 0;
	}
	if (!r->cgroup_fn)
		return 0;
	rec_event(rec, name, path, &ev);
	err = r->cgroup_fn(r, &ev, r->cgroup_ctx);
	if (err < 0) {
		r->cgroup_err = err;
		return err;
	}
	return 0;
}
