// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loading and attaching the recorder's programs: the hook's choice and program selection, the
 * regular skeleton or the light loader (a gen_loader blob generated at run time: the kernel
 * applies the CO-RE relocations, so libbpf reads no vmlinux BTF), the first dedup map made
 * beside the load, and the per-task programs' attach and detach (recorder__sync_attach).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/skel_internal.h>

#include "record.skel.h"
#include "recorder_internal.h"
#include "util.h"

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
 * A map installed in slot 0 waits there for slot 0 (free_slot hands out the lowest
 * first, so the first generation is slot 0's): it is no other slot's, and no program looks
 * at a slot no target names.
 */
int recorder__premade_take(struct recorder *r, uint32_t slot, bool *installed)
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

static void rec_link__close(struct rec_link *l)
{
	bpf_link__destroy(l->link);
	if (l->fd >= 0)
		close(l->fd);
	*l = (struct rec_link){NULL, -1};
}

static bool rec_link__held(const struct rec_link *l)
{
	return l->link || l->fd >= 0;
}

int recorder__attach_prog(struct bpf_program *prog, int fd, struct rec_link *link)
{
	struct bpf_link *l = NULL;
	int err = 0, lfd = -1;

	/* The light loader's programs are all tp_btf: a raw tracepoint open attaches them. */
	if (fd >= 0) {
		lfd = bpf_raw_tracepoint_open(NULL, fd);
		err = lfd < 0 ? -lfd : 0;
	} else if (!(l = bpf_program__attach(prog))) {
		err = errno ? errno : EINVAL;
	}
	if (err)
		return slz_fail(err == EPERM ? EPERM : EOPNOTSUPP, "cannot attach %s: %s",
				bpf_program__name(prog), strerror(err));
	*link = (struct rec_link){l, lfd};
	return 0;
}

static void *destroy_links_fn(void *arg)
{
	struct recorder *r = arg;

	for (uint32_t i = 0; i < r->ndying; i++)
		rec_link__close(&r->dying[i]);
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
		if (rec_link__held(&r->task_links[i]))
			r->dying[r->ndying++] = r->task_links[i];
		r->task_links[i] = (struct rec_link){NULL, -1};
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

/* The hook this recorder uses: the config's, else what the recording and tracefs allow. */
static int choose_hook(enum recorder_hook want, bool one_shot, enum recorder_hook *out)
{
	bool per_syscall_ok = syscall_tp_exists("sys_exit_openat");

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
 * Load only the chosen hook's syscall programs, and list them with the hook's exec program
 * (slz_exec, or slz_exec_note beside slz_sys_exit) as the ones every task runs. A per-syscall
 * program whose tracepoint this kernel lacks (an older kernel without faccessat2, say) stays
 * unloaded: no task can make that syscall.
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
			load = r->hook == RECORDER_HOOK_PER_SYSCALL;
		else if (prog == r->skel->progs.slz_exec_note)
			/* slz_sys_exit records the exec at execve's return (record.bpf.c) */
			load = r->hook == RECORDER_HOOK_SYS_EXIT;
		else
			continue; /* the cgroup programs: recorder__open's */
		bpf_program__set_autoload(prog, load);
		if (!load)
			continue;
		if (r->ntask_progs == RECORDER_TASK_PROGS)
			return slz_fail(EINVAL, "more per-task BPF programs than %d",
					RECORDER_TASK_PROGS);
		r->task_fds[r->ntask_progs] = -1;
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
		err = recorder__attach_prog(r->task_progs[i], r->task_fds[i], &r->task_links[i]);
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

/*
 * The light loader (issue 13's start-up): libbpf's gen_loader turns the opened object, its
 * programs chosen and sizes set, into a loader blob instead of loading it (pure userspace, no
 * bpf() call: ~0.5 ms here); the blob runs as one BPF_PROG_TYPE_SYSCALL program that creates
 * the maps and loads the programs, the kernel applying the CO-RE relocations with its own BTF.
 * libbpf 1.1 would read the 5.5 MB vmlinux BTF and scan it for each local type instead: about
 * half of `record -- /bin/true` (BENCHMARKS.md, light skeleton spike). The maps' fds are
 * handed to the object (bpf_map__reuse_fd), so everything after the load uses it as before;
 * the programs' fds stay here (libbpf has no setter), attached by raw tracepoint opens.
 */
static int load_light(struct recorder *r)
{
	LIBBPF_OPTS(gen_loader_opts, gen);
	struct bpf_object *obj = r->skel->obj;
	struct bpf_load_and_run_opts lo = {0};
	struct bpf_loader_ctx *ctx;
	struct bpf_map_desc *maps;
	struct bpf_prog_desc *progs;
	struct bpf_program *prog;
	struct bpf_map *map;
	size_t nmaps = 0, nprogs = 0, i = 0, n = 0, sz;
	int err;

	bpf_object__for_each_map(map, obj) nmaps++;
	bpf_object__for_each_program(prog, obj) nprogs++;
	err = bpf_object__gen_loader(obj, &gen);
	if (!err)
		err = bpf_object__load(obj); /* emits the loader: nothing is loaded yet */
	if (err)
		return err;
	sz = sizeof(*ctx) + nmaps * sizeof(*maps) + nprogs * sizeof(*progs);
	ctx = calloc(1, sz);
	if (!ctx)
		return -ENOMEM;
	maps = (struct bpf_map_desc *)(ctx + 1);
	progs = (struct bpf_prog_desc *)(maps + nmaps);
	ctx->sz = (__u32)sz;
	/* .rodata as set after the open: the loader copies and freezes it. */
	bpf_object__for_each_map(map, obj)
	{
		size_t vsz = 0;

		maps[i++].initial_value = (__u64)(uintptr_t)bpf_map__initial_value(map, &vsz);
	}
	lo.ctx = ctx;
	lo.data = gen.data;
	lo.data_sz = gen.data_sz;
	lo.insns = gen.insns;
	lo.insns_sz = gen.insns_sz;
	err = bpf_load_and_run(&lo); /* on failure the loader closed what it made */
	if (err)
		goto out;
	i = 0;
	bpf_object__for_each_map(map, obj)
	{
		int fd = maps[i++].map_fd;

		if (!err && bpf_map__reuse_fd(map, fd))
			err = -errno;
		close(fd);
	}
	bpf_object__for_each_program(prog, obj)
	{
		int fd;

		if (!bpf_program__autoload(prog))
			continue;
		fd = progs[n++].prog_fd; /* one per loaded program, in the object's order */
		if (r->nlight_fds == RECORDER_LIGHT_PROGS) {
			close(fd);
			err = err ? err : -E2BIG;
			continue;
		}
		r->light_fds[r->nlight_fds++] = fd;
		if (prog == r->skel->progs.slz_fork)
			r->fork_fd = fd;
		for (uint32_t t = 0; t < r->ntask_progs; t++)
			if (r->task_progs[t] == prog)
				r->task_fds[t] = fd;
	}
	if (!err) {
		/* .bss, which userspace reads and writes: the map's pages where the object's were
		 */
		size_t bsz = 0;
		long page = sysconf(_SC_PAGESIZE);
		void *at = r->skel->bss; /* the object's copy, bpf_map__initial_value's */

		bpf_map__initial_value(r->skel->maps.bss, &bsz);
		bsz = (bsz + (size_t)page - 1) / (size_t)page * (size_t)page;
		if (mmap(at, bsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 bpf_map__fd(r->skel->maps.bss), 0) == MAP_FAILED)
			err = -errno;
	}
	r->light = !err; /* else the caller drops the fds (light_drop) and loads again */
out:
	free(ctx);
	return err;
}

/* The light loader's program fds, closed (their links went before). */
static void light_drop(struct recorder *r)
{
	for (uint32_t i = 0; i < r->nlight_fds; i++)
		close(r->light_fds[i]);
	r->nlight_fds = 0;
	for (uint32_t i = 0; i < r->ntask_progs; i++)
		r->task_fds[i] = -1;
	r->fork_fd = -1;
	r->light = false;
}

/*
 * Whether the running kernel's bpf_rdonly_cast casts to void (6.17 on; record.bpf.c's
 * fd_direct), from its release: a test that costs the load no CO-RE relocation. A release
 * that does not parse, or a backport to an older one, takes the helper call: slower, never
 * refused.
 */
bool recorder__kernel_casts_to_void(void)
{
	struct utsname u;
	unsigned int major, minor;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 17);
}

/* Open the object and set what it loads and how big its maps are, for either loader. */
static int configure(struct recorder *r, const struct recorder_config *c, uint32_t ring_bytes,
		     uint32_t max_files, bool light)
{
	int err;

	r->skel = record_bpf__open();
	if (!r->skel)
		return slz_fail(errno ? errno : EINVAL, "cannot open the BPF program: %s",
				strerror(errno ? errno : EINVAL));
	r->skel->rodata->record_missing = c->record_missing;
	r->skel->rodata->fd_direct = recorder__kernel_casts_to_void();
	/* Wake the event loop early only when an eighth of the ring is waiting; it polls anyway. */
	r->skel->rodata->wakeup_bytes = ring_bytes / 8;
	err = seen_spec__init(&r->seen_spec, bpf_map__inner_map(r->skel->maps.seen),
			      c->initial_files, max_files, ring_bytes);
	if (err)
		return err;
	/*
	 * The light loader creates seen itself, so a map installed in it beside the load as
	 * load_regular does is not possible: slot 0's first map is seen0, sized as a first map.
	 * Regular loads leave seen0 at the template's one entry, unused.
	 */
	r->skel->rodata->seen0_direct = light;
	r->seen0_direct = light;
	if (light)
		bpf_map__set_max_entries(r->skel->maps.seen0, r->seen_spec.initial);
	bpf_map__set_max_entries(r->skel->maps.events, ring_bytes);
	/*
	 * A slot's counters for each slot the capacity allows (free_slot hands out the lowest, so
	 * no slot reaches cap): a one-shot record's one target does not pay the kernel for the
	 * 1,025 per-CPU counter slots (0.6-1.2 ms of its load under strace).
	 */
	bpf_map__set_max_entries(r->skel->maps.stats, r->capacity + 1);
	/*
	 * The cgroup -> answer cache holds one entry per cgroup whose tasks made a file syscall
	 * while the programs ran; an evicted answer is only walked again (slower, nothing lost).
	 * Its entries are preallocated: the template's 16,384 cost a load 0.46 ms, 4,096 0.12 ms
	 * (BENCHMARKS.md), and a one-shot record runs for one command's lifetime.
	 */
	if (c->one_shot)
		bpf_map__set_max_entries(r->skel->maps.target_cache, RECORDER_ONE_SHOT_CGROUPS);
	bpf_program__set_autoload(r->skel->progs.slz_fork, r->task_tags);
	/* A recorder that finds no targets itself does not make every mkdir format its path. */
	bpf_program__set_autoload(r->skel->progs.slz_cgroup_mkdir, c->discover);
	bpf_program__set_autoload(r->skel->progs.slz_cgroup_rmdir, c->discover);
	return select_task_progs(r);
}

/* The regular skeleton's load: libbpf reads the vmlinux BTF and relocates in userspace. */
static int load_regular(struct recorder *r)
{
	int err = seen_outer_create(r);

	if (err)
		return err;
	premade_start(r);
	err = record_bpf__load(r->skel);
	if (!err)
		return 0;
	if (err == -EPERM || err == -EACCES)
		return slz_fail(EPERM,
				"the kernel refused to load the BPF program (%s): recording "
				"needs root with CAP_BPF and CAP_PERFMON; as root, run with -vv "
				"to see the verifier's log",
				strerror(-err));
	return slz_fail(EOPNOTSUPP,
			"the kernel refused the BPF program (%s); "
			"run with -v to see libbpf's log",
			strerror(-err));
}

/*
 * The light loader's load. The first dedup map is seen0, made by the loader: slot 0's, and
 * already where the programs look (recorder__premade_take hands it out as installed).
 * 0 or -errno, unexplained: the caller loads the regular way instead.
 */
static int try_light(struct recorder *r)
{
	int err = load_light(r);

	if (err)
		return err;
	r->premade_fd = dup(bpf_map__fd(r->skel->maps.seen0));
	if (r->premade_fd < 0)
		return -errno;
	r->premade_in_slot0 = true;
	return 0;
}

int recorder__load(struct recorder *r, const struct recorder_config *c, uint32_t ring_bytes,
		   uint32_t max_files)
{
	bool light;
	int err;

	r->linger_ms = c->detach_linger_ms;
	r->task_tags = !c->no_task_tags;
	err = choose_hook(c->hook, c->one_shot, &r->hook);
	if (err)
		return err;
	light = c->one_shot && r->hook == RECORDER_HOOK_SYS_EXIT && !c->discover;
	err = configure(r, c, ring_bytes, max_files, light);
	if (err)
		return err;
	/*
	 * The light loader serves the one-shot sys_exit recording (record, run, verify of a
	 * command or a cgroup): its programs are tp_btf only. The per-syscall hook's start-up is
	 * its detach, not its load, and discover's programs stay libbpf's. A light load that
	 * fails (a kernel without BPF_PROG_TYPE_SYSCALL, a refusal) is done again the regular
	 * way, which explains a refusal as before (the verifier's log with -vv).
	 */
	if (light) {
		if (!try_light(r))
			return 0;
		premade_drop(r);
		light_drop(r);
		record_bpf__destroy(r->skel);
		r->skel = NULL;
		err = configure(r, c, ring_bytes, max_files, false);
		if (err)
			return err;
	}
	err = load_regular(r);
	if (err)
		return err;
	/*
	 * Only the cgroup programs now: they run at mkdir/rmdir, which are rare, and a watch
	 * needs them in place. The per-task programs wait for the first target
	 * (recorder__sync_attach).
	 */
	if (c->discover) {
		err = recorder__attach_prog(r->skel->progs.slz_cgroup_mkdir, -1,
					    &r->cgroup_links[0]);
		if (!err)
			err = recorder__attach_prog(r->skel->progs.slz_cgroup_rmdir, -1,
						    &r->cgroup_links[1]);
	}
	return err;
}

void recorder__unload(struct recorder *r)
{
	detach_task_progs(r, true);
	rec_link__close(&r->fork_link);
	rec_link__close(&r->cgroup_links[0]);
	rec_link__close(&r->cgroup_links[1]);
	premade_drop(r);
	light_drop(r);
	record_bpf__destroy(r->skel);
	r->skel = NULL;
}
