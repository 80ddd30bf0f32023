// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The recorder's kernel side. A program at the exit of each file syscall (or, the other hook,
 * one tp_btf/sys_exit program for every syscall) sees its result with its arguments still in
 * pt_regs; it keeps only the file lookups of target cgroups, deduplicates
 * them per (file, kind) in the target's own hash map (which also counts accesses), and walks
 * the path only for a file not seen before. tp_btf/sched_process_exec adds what exec opens
 * inside the kernel: the binary, the #! script and the ELF interpreter.
 *
 * Targets live in slots (record.h): targets maps a cgroup to its slot and generation, seen holds
 * one dedup map per slot, stats one set of counters per slot. Userspace adds, removes and resets
 * targets while the programs run; every event and dedup key carries the generation it was made
 * for, so nothing of an old generation can pass for the slot's current one.
 *
 * discover.bpf.h adds targets the kernel finds itself: the new children of watched cgroups, or
 * every new cgroup, announced in the same ring (born and ended records) as their events.
 *
 * Hot path (a file seen before): (sys_exit hook: syscall number switch), cgroup -> target cache, fd
 * -> inode through the task's fd table, and a hit in this CPU's cache of recent keys (else one
 * lookup in the target's dedup map and an atomic add). For an open or mmap that path makes one
 * helper call and no function call (on_sys_exit): each call returns through the kernel's
 * return thunk, which made them most of the program's time (BENCHMARKS.md, issue 13's storm).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "record.h"

#if !defined(__TARGET_ARCH_x86)
#error "record.bpf.c decodes x86_64 syscall numbers and pt_regs"
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * x86_64's saved user registers, the start of struct pt_regs up to ip: its layout is the
 * ptrace ABI (arch/x86/include/uapi/asm/ptrace.h), fixed, so it is read through this type
 * without preserve_access_index, at constant offsets. The verifier still checks each load
 * against the kernel's own struct pt_regs. A CO-RE relocation instead cost the light loader a
 * linear scan of vmlinux's ~127k types at every load: pt_regs shares a slot of the kernel's
 * 31-entry candidate cache with struct linux_binprm (BENCHMARKS.md, issue 13).
 */
struct slz_pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip;
};
_Static_assert(__builtin_offsetof(struct slz_pt_regs, ip) ==
			       __builtin_offsetof(struct pt_regs, ip) &&
		       __builtin_offsetof(struct slz_pt_regs, di) ==
			       __builtin_offsetof(struct pt_regs, di),
	       "struct slz_pt_regs is x86_64's struct pt_regs");

/* Set by userspace before load. */
const volatile bool record_missing = false;
/* Wake the recorder early once this much is waiting (userspace sets a fraction of the ring). */
const volatile __u64 wakeup_bytes = 1 << 20;

#define ENOENT	      2
#define ENOTDIR	      20
#define AT_FDCWD      -100
#define AT_EMPTY_PATH 0x1000
#define MAP_ANONYMOUS 0x20
#define O_TRUNC	      01000
#define S_IFMT	      0170000
#define S_IFREG	      0100000
/*
 * struct file's f_mode bits (include/linux/fs.h). Macros, so not in BTF: both have kept these
 * values since FMODE_CREATED appeared in 4.19, through the reshuffles of the other bits.
 */
#define FMODE_WRITE   0x2
#define FMODE_CREATED 0x100000

/* x86_64 syscall numbers. */
#define NR_open	       2
#define NR_stat	       4
#define NR_lstat       6
#define NR_mmap	       9
#define NR_execve      59
#define NR_access      21
#define NR_creat       85
#define NR_readlink    89
#define NR_openat      257
#define NR_newfstatat  262
#define NR_readlinkat  267
#define NR_faccessat   269
#define NR_execveat    322
/*
 * An exec whose new image is 32-bit returns as the ia32 execve whatever the caller called
 * (the kernel's __set_personality_ia32 sets orig_ax so); a 64-bit image returns as 59. On x86_64
 * the same number is munmap: its successful returns find no note (record_exec_exit).
 */
#define NR_ia32_execve 11
#define NR_statx       332
#define NR_openat2     437
#define NR_faccessat2  439

/*
 * Turns a pointer read with bpf_probe_read_kernel into an untrusted BTF pointer, so the fields
 * behind it are read with direct (exception-table) loads instead of one helper call each.
 */
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym;

/*
 * The current task as an untrusted BTF pointer, for the walks that only read through it
 * (files, fs, the path). Each pointer loaded through a trusted one makes the verifier search
 * vmlinux's BTF by name for a "__safe_trusted" twin of the field's type, linearly: that was
 * ~11% of `record -- /bin/true`'s CPU (perf), in the load of the sys_exit program. Helpers that
 * need the trusted task (bpf_task_pt_regs, bpf_find_vma) get bpf_get_current_task_btf() itself.
 */
static __always_inline struct task_struct *current_task_untrusted(void)
{
	return bpf_rdonly_cast(bpf_get_current_task_btf(),
			       bpf_core_type_id_kernel(struct task_struct));
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20); /* resized by userspace */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLZ_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct slz_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slz_event);
} event_buf SEC(".maps");

#include "pathwalk.bpf.h"
#include "targets.bpf.h"
#include "discover.bpf.h"

#define PATH_MASK (SLZ_EVENT_PATH_CAP - 1)

static __always_inline struct slz_stats *stats_of(__u32 slot)
{
	return bpf_map_lookup_elem(&stats, &slot);
}

static __always_inline struct slz_event *event_start(__u32 slot, struct slz_seen_key *k, long nr)
{
	__u32 zero = 0;
	struct slz_event *ev = bpf_map_lookup_elem(&event_buf, &zero);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!ev)
		return NULL;
	ev->dev = k->dev;
	ev->ino = k->ino;
	ev->size = 0;
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->target = slot;
	ev->kind = k->kind;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->mode = 0;
	ev->flags = 0;
	ev->syscall_nr = nr;
	ev->err = 0;
	ev->path_len = 0;
	ev->gen = k->gen;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	return ev;
}

/*
 * Hand the event to userspace. A drop is counted (the profile then says events were lost and
 * prune refuses it) and the key forgotten, so a later access usually retries; a CPU that
 * cached the key in the meantime will not, which the loss count already covers.
 */
static __always_inline void event_send(struct slz_event *ev, __u32 slot, struct slz_seen_key *k,
				       bool inserted)
{
	struct slz_stats *st = stats_of(slot);
	__u32 len = ev->path_len & PATH_MASK;

	if (!st)
		return;
	if (!inserted)
		st->dedup_full++;
	if (ev->flags & SLZ_EVF_TRUNCATED)
		st->truncated++;
	/*
	 * A wakeup per event is a cross-CPU wakeup of the recorder for every new file; userspace
	 * polls on a short timer instead, and is woken early only when the buffer fills up.
	 */
	__u64 wake = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes
			     ? BPF_RB_FORCE_WAKEUP
			     : BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_output(&events, ev, SLZ_EVENT_HDR_SIZE + len, wake)) {
		st->ringbuf_drops++;
		if (inserted)
			seen_forget(slot, k);
		return;
	}
	st->events++;
}

/*
 * Whether bpf_rdonly_cast may cast to void (6.17 on), set by userspace before load from the
 * kernel's release (recorder_load.c): a load-time constant, so the verifier sees only one of
 * fd_file's two paths. Not CO-RE's enumval_exists on enum bpf_features: that relocation cost the
 * light loader a linear scan of vmlinux's ~127k types at every load, its name sharing a slot
 * of the kernel's 31-entry candidate cache with struct super_block (BENCHMARKS.md, issue 13).
 */
const volatile bool fd_direct = false;

/*
 * The struct file behind fd in the current task (task: untrusted, current_task_untrusted), as
 * an integer (0 when none). The slot is read with a direct load through the fd array cast to
 * an untrusted void pointer (a faulting load gives 0, as bpf_probe_read_kernel's failure did),
 * not with a helper call: this runs on every open and mmap of a target. A kernel before 6.17
 * casts to structs only and refuses the whole object over that cast: fd_direct is a load-time
 * constant, so the verifier there sees only the helper call and here only the load (a
 * backport to an older release takes the helper call: slower, never wrong).
 */
static __always_inline __u64 fd_file(struct task_struct *task, int fd)
{
	struct files_struct *files = task->files;
	struct fdtable *fdt;
	struct file **fds;
	__u64 f = 0;

	if (!files || fd < 0)
		return 0;
	fdt = files->fdt;
	if (!fdt || (unsigned int)fd >= fdt->max_fds)
		return 0;
	if (fd_direct) {
		__u64 *fda = bpf_rdonly_cast(fdt->fd, 0);

		return fda[(unsigned int)fd];
	}
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return 0;
	return f;
}

/*
 * The handlers of a lookup below (record_file, record_user_path, record_stat) are global
 * functions: the verifier checks each once, on its own with scalar arguments, instead of once
 * per call site and per branch state the caller carries into it (slz_sys_exit reaches them
 * from eight places, slz_exec from three). Their arguments are plain integers (at most five:
 * slot and generation packed as SLOT_GEN) and the task is looked up again inside. They return
 * 0; the verifier wants a scalar.
 */
#define SLOT_GEN(slot, gen) ((__u64)(gen) << 32 | (__u32)(slot))

/*
 * walk_path into this CPU's walk buffer, from the current task's root. Global (see SLOT_GEN):
 * record_file and build_user_path share one verified copy of the walk and of its bpf_loop
 * callback, which the verifier otherwise checks again at each call site. Called only for a
 * path about to be sent, so the call costs nothing on the hit path.
 */
__noinline int walk_current(__u64 dentry, __u64 vfsmnt)
{
	struct slz_walk *w = walk_buf();

	if (w)
		walk_path(w, dentry, vfsmnt, current_task_untrusted());
	return 0;
}

/* A file known by its struct file: key by (dev, ino), walk its path only when new. */
__noinline int record_file(__u64 file, __u64 slot_gen, __u32 kind, long nr)
{
	struct file *f = bpf_rdonly_cast((void *)file, bpf_core_type_id_kernel(struct file));
	__u32 slot = (__u32)slot_gen, gen = slot_gen >> 32;
	struct inode *inode = f->f_inode;
	struct slz_seen_key k = {};
	bool inserted = false;
	struct slz_event *ev;
	struct slz_walk *w;

	if (!f || !inode)
		return 0;
	k.ino = inode->i_ino;
	k.dev = inode->i_sb->s_dev;
	k.gen = gen;
	k.kind = kind;
	if (!seen_new(slot, &k, &inserted))
		return 0;
	ev = event_start(slot, &k, nr);
	w = walk_buf();
	if (!ev || !w)
		return 0;
	ev->size = BPF_CORE_READ(inode, i_size);
	ev->mode = BPF_CORE_READ(inode, i_mode);
	walk_current((__u64)BPF_CORE_READ(f, f_path.dentry), (__u64)BPF_CORE_READ(f, f_path.mnt));
	ev->flags = w->flags;
	ev->path_len = walk_copy(w, ev->path);
	event_send(ev, slot, &k, inserted);
	return 0;
}

/*
 * record_file's hit path, inline: the (dev, ino) key built as record_file builds it and found
 * in this CPU's cache of recent keys (seen_hot counts the access), with no helper and no
 * function call; anything else calls record_file, which does the whole lookup.
 */
static __always_inline void record_file_hot(struct slz_cpu_state *cs, __u64 file, __u64 slot_gen,
					    __u32 kind, long nr)
{
	struct file *f = bpf_rdonly_cast((void *)file, bpf_core_type_id_kernel(struct file));
	struct inode *inode = f->f_inode;
	struct slz_seen_key k = {};

	if (!inode)
		return; /* record_file would return at once */
	if (cs) {
		k.ino = inode->i_ino;
		k.dev = inode->i_sb->s_dev;
		k.gen = slot_gen >> 32;
		k.kind = kind;
		if (seen_hot(cs, (__u32)slot_gen, &k))
			return;
	}
	record_file(file, slot_gen, kind, nr);
}

/*
 * How an open that returned file opened it: SLZ_KIND_OPEN plus WRITE (opened for writing),
 * CREATE (the VFS created the file for this open) and TRUNC (O_TRUNC of a regular file that
 * existed). The VFS clears O_TRUNC from f_flags once it is done, so the syscall's own flags
 * argument tells it; creat() is O_CREAT | O_WRONLY | O_TRUNC.
 */
static __always_inline __u32 open_kinds(struct slz_pt_regs *regs, long nr, __u64 file)
{
	struct file *f = bpf_rdonly_cast((void *)file, bpf_core_type_id_kernel(struct file));
	struct inode *inode = f->f_inode;
	__u32 fmode = f->f_mode;
	__u32 kinds = SLZ_KIND_OPEN;
	__u64 flags = 0;

	if (fmode & FMODE_WRITE)
		kinds |= SLZ_KIND_WRITE;
	if (fmode & FMODE_CREATED)
		return kinds | SLZ_KIND_CREATE; /* a new file: nothing was truncated */
	switch (nr) {
	case NR_creat:
		flags = O_TRUNC;
		break;
	case NR_open:
		flags = regs->si;
		break;
	case NR_openat:
		flags = regs->dx;
		break;
	default: /* openat2: flags are the first member of the user's struct open_how */
		bpf_probe_read_user(&flags, sizeof(flags), (void *)regs->dx);
		break;
	}
	if ((flags & O_TRUNC) && inode && (inode->i_mode & S_IFMT) == S_IFREG)
		kinds |= SLZ_KIND_TRUNC;
	return kinds;
}

/* Read a user path string into w->ustr; returns its length without the NUL, or -1. */
static __always_inline int read_ustr(struct slz_walk *w, const char *s)
{
	long n;

	if (!s)
		return -1;
	n = bpf_probe_read_user_str(w->ustr, sizeof(w->ustr), s);
	if (n <= 1)
		return -1;
	w->ulen = (__u32)(n - 1) & WALK_MASK;
	return (int)w->ulen;
}

/* The directory a relative user path starts from: cwd or dirfd. 0 on success. */
static __always_inline int base_dir(struct task_struct *task, int dfd, __u64 *dentry, __u64 *mnt)
{
	if (dfd == AT_FDCWD) {
		*dentry = (__u64)BPF_CORE_READ(task, fs, pwd.dentry);
		*mnt = (__u64)BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *f = (struct file *)fd_file(task, dfd);

		if (!f)
			return -1;
		*dentry = (__u64)BPF_CORE_READ(f, f_path.dentry);
		*mnt = (__u64)BPF_CORE_READ(f, f_path.mnt);
	}
	return 0;
}

/*
 * Build base + '/' + w->ustr (or w->ustr alone when absolute) into ev->path, ev and w being
 * this CPU's event and walk buffers (event_start and read_ustr filled them). The base
 * directory is walked here, so this runs only for events about to be sent. Global (see
 * SLOT_GEN): record_user_path and record_stat share one verified copy.
 */
__noinline int build_user_path(__u64 bd, __u64 bm)
{
	struct slz_walk *w = walk_buf();
	__u32 zero = 0, ulen, blen = 0;
	struct slz_event *ev = bpf_map_lookup_elem(&event_buf, &zero);

	if (!w || !ev)
		return 0;
	ulen = w->ulen & WALK_MASK;

	if (w->ustr[0] == '/') {
		w->flags = 0;
		bpf_probe_read_kernel(ev->path, ulen, w->ustr);
		ev->path_len = ulen;
		ev->flags |= SLZ_EVF_USER_SUFFIX;
		return 0;
	}
	walk_current(bd, bm);
	ev->flags |= w->flags;
	blen = walk_copy(w, ev->path);
	if (blen == 1) /* the base is "/" */
		blen = 0;
	if (blen >= SLZ_WALK_MAX - 1) {
		ev->flags |= SLZ_EVF_TRUNCATED;
		ev->path_len = blen;
		return 0;
	}
	ev->path[blen & WALK_MASK] = '/';
	bpf_probe_read_kernel(&ev->path[(blen + 1) & WALK_MASK], ulen, w->ustr);
	ev->path_len = blen + 1 + ulen;
	ev->flags |= SLZ_EVF_USER_SUFFIX;
	return 0;
}

/*
 * A lookup known only by its path string (a user string): key by a hash of (base dir, string).
 * kind_err is the kind, with the positive errno of a missing file in the high half. nr -1 is
 * exec's #! script: the filename exec copied to the top of the new stack (bprm->exec, auxv's
 * AT_EXECFN), bprm->filename's bytes.
 */
__noinline int record_user_path(int dfd, __u64 upath, __u64 slot_gen, __u64 kind_err, long nr)
{
	struct task_struct *task = current_task_untrusted();
	__u32 slot = (__u32)slot_gen, gen = slot_gen >> 32;
	__u32 kind = (__u32)kind_err;
	int err = (int)(kind_err >> 32);
	struct slz_walk *w = walk_buf();
	struct slz_seen_key k = {};
	bool inserted = false;
	struct slz_event *ev;
	__u64 bd, bm;
	int ulen;

	if (!w)
		return 0;
	ulen = read_ustr(w, (const char *)upath);
	if (ulen <= 0)
		return 0;
	if (w->ustr[0] == '/') {
		bd = (__u64)BPF_CORE_READ(task, fs, root.dentry);
		bm = (__u64)BPF_CORE_READ(task, fs, root.mnt);
	} else if (base_dir(task, dfd, &bd, &bm)) {
		return 0;
	}
	k.dev = SLZ_DEV_PATH_HASH;
	k.ino = hash_ustr((__u32)ulen, bd, bm);
	k.gen = gen;
	k.kind = kind;
	if (!seen_new(slot, &k, &inserted))
		return 0;
	ev = event_start(slot, &k, nr);
	if (!ev)
		return 0;
	ev->flags = SLZ_EVF_PATH_ONLY;
	ev->err = err;
	build_user_path(bd, bm);
	event_send(ev, slot, &k, inserted);
	return 0;
}

/* A userspace st_dev (as stat() writes it) in the kernel's encoding, as dedup keys hold it. */
static __always_inline __u64 user_dev_to_kernel(__u64 d)
{
	__u64 major = ((d >> 8) & 0xfff) | ((d >> 32) & ~0xfffULL);
	__u64 minor = (d & 0xff) | ((d >> 12) & ~0xffULL);

	return (major << 20) | (minor & 0xfffff);
}

/*
 * The dedup key of a stat-family result: identity from the user's stat buffer (a struct statx
 * for statx, else a struct stat). -1 when the buffer cannot be read.
 */
static __always_inline int stat_key(void *ubuf, bool is_statx, __u32 gen, struct slz_seen_key *k)
{
	if (!ubuf)
		return -1;
	if (is_statx) {
		__u32 devmm[2];

		if (bpf_probe_read_user(&k->ino, sizeof(k->ino), ubuf + 32) ||
		    bpf_probe_read_user(devmm, sizeof(devmm), ubuf + 136))
			return -1;
		k->dev = ((__u64)devmm[0] << 20) | (devmm[1] & 0xfffff);
	} else {
		__u64 di[2];

		if (bpf_probe_read_user(di, sizeof(di), ubuf))
			return -1;
		k->dev = user_dev_to_kernel(di[0]);
		k->ino = di[1];
	}
	k->gen = gen;
	k->kind = SLZ_KIND_STAT;
	return 0;
}

/*
 * stat-family results: identity from the user's stat buffer (stat_key), path from the user
 * string.
 */
__noinline int record_stat(int dfd, __u64 upath_u, __u64 ubuf_u, __u64 slot_gen, long nr)
{
	struct task_struct *task = current_task_untrusted();
	const char *upath = (const char *)upath_u;
	__u32 slot = (__u32)slot_gen, gen = slot_gen >> 32;
	void *ubuf = (void *)ubuf_u;
	bool is_statx = nr == NR_statx;
	struct slz_seen_key k = {};
	bool inserted = false;
	struct slz_event *ev;
	struct slz_walk *w;
	__u64 bd, bm;

	if (stat_key(ubuf, is_statx, gen, &k))
		return 0;
	if (!seen_new(slot, &k, &inserted))
		return 0;
	w = walk_buf();
	if (!w)
		goto undo;
	if (read_ustr(w, upath) <= 0)
		goto undo;
	if (w->ustr[0] == '/') {
		bd = 0;
		bm = 0;
	} else if (base_dir(task, dfd, &bd, &bm)) {
		goto undo;
	}
	ev = event_start(slot, &k, nr);
	if (!ev)
		goto undo;
	if (is_statx) {
		__u16 mode = 0;

		bpf_probe_read_user(&mode, sizeof(mode), ubuf + 28);
		bpf_probe_read_user(&ev->size, sizeof(ev->size), ubuf + 40);
		ev->mode = mode;
	} else {
		bpf_probe_read_user(&ev->mode, sizeof(ev->mode), ubuf + 24);
		bpf_probe_read_user(&ev->size, sizeof(ev->size), ubuf + 48);
	}
	build_user_path(bd, bm);
	event_send(ev, slot, &k, inserted);
	return 0;
undo:
	/* fstat-like calls (empty path) and unreadable strings are not lookups: forget them. */
	if (inserted)
		seen_forget(slot, &k);
	return 0;
}

/*
 * record_stat's hit path, inline (as record_file_hot): the key from the user's buffer found in
 * this CPU's cache counts the access; anything else calls record_stat, which reads it again.
 */
static __always_inline void record_stat_hot(struct slz_cpu_state *cs, int dfd, __u64 upath,
					    __u64 ubuf, __u64 slot_gen, long nr)
{
	struct slz_seen_key k = {};

	if (cs) {
		if (stat_key((void *)ubuf, nr == NR_statx, slot_gen >> 32, &k))
			return; /* record_stat would return at once */
		if (seen_hot(cs, (__u32)slot_gen, &k))
			return;
	}
	record_stat(dfd, upath, ubuf, slot_gen, nr);
}

/* True when an AT_EMPTY_PATH call really names no path (an fstat in disguise). */
static __always_inline bool empty_path(const char *upath, __u64 flags)
{
	char c = 0;

	if (!(flags & AT_EMPTY_PATH))
		return false;
	if (!upath)
		return true;
	bpf_probe_read_user(&c, 1, upath);
	return c == 0;
}

/* bpf_find_vma callback: the file mapped at the address, as an integer. */
static long vma_file(struct task_struct *task, struct vm_area_struct *vma, __u64 *out)
{
	*out = (__u64)BPF_CORE_READ(vma, vm_file); /* read: record_file takes a plain integer */
	return 0;
}

/*
 * What exec opened inside the kernel, recorded once the new image runs (task the current task,
 * trusted: bpf_find_vma's; file the binary exec ran, script the user address of its #! script's
 * name or 0; ip the entry point): the binary, the script, and the ELF interpreter, whatever is
 * mapped at the entry point unless it is the binary itself. Both exec paths call it: slz_exec
 * at sched_process_exec, the sys_exit hook at execve's return.
 */
static __always_inline void record_exec(struct task_struct *task, __u64 file, __u64 script,
					__u64 ip, __u64 sg)
{
	__u64 interp = 0;

	if (file)
		record_file(file, sg, SLZ_KIND_EXEC, -1);
	if (script)
		record_user_path(AT_FDCWD, script, sg, SLZ_KIND_EXEC, -1);
	bpf_find_vma(task, ip, vma_file, &interp, 0);
	if (interp && file &&
	    (__u64)BPF_CORE_READ((struct file *)interp, f_inode) !=
		    (__u64)BPF_CORE_READ((struct file *)file, f_inode))
		record_file(interp, sg, SLZ_KIND_INTERP, -1);
}

/*
 * The sys_exit hook's exec. slz_exec_note, at sched_process_exec, notes what exec ran in the
 * task's storage, and slz_sys_exit records it at that execve's successful return, through the
 * global functions its other cases verified already: slz_exec, which calls them itself, cost
 * the load their verification a second time (3,668 insns, ~9 ms of `record -- /bin/true`);
 * the note costs 39.
 * The binary's struct file outlives the exec: the new mm's exe_file holds it. Every exec
 * notes and its execve's return takes the note, target or not, so a note is live for
 * microseconds. Task storage: one note per task, freed with it (a task killed in between
 * leaves nothing behind), and none evicted by other CPUs' execs as an LRU map's could be; a
 * note that cannot be made (no memory) is counted in exec_notes_lost, which every profile
 * reports as lost events.
 */
struct slz_exec_note {
	__u64 file;   /* bprm->file, as an integer (record_file's) */
	__u64 script; /* a #! script's name (bprm->exec, user memory), else 0 */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct slz_exec_note);
} exec_notes SEC(".maps");

volatile __u64 exec_notes_lost;

/*
 * slz_sys_exit's half, at a successful execve or execveat (the new image's first syscall
 * exit; ip its entry point). Global (see SLOT_GEN): the note's lookup and the target's are
 * verified once, beside on_sys_exit's switch rather than inside it.
 */
__noinline int record_exec_exit(__u64 ip)
{
	struct slz_exec_note *note =
		bpf_task_storage_get(&exec_notes, bpf_get_current_task_btf(), 0, 0);
	struct slz_exec_note n;
	__u32 gen;
	int target;

	/* None: an exec before slz_exec_note was attached, or (ia32's number) a munmap. */
	if (!note || !note->file)
		return 0;
	n = *note;
	note->file = 0;
	note->script = 0;
	target = current_target(&gen);
	if (target >= 0)
		record_exec(bpf_get_current_task_btf(), n.file, n.script, ip,
			    SLOT_GEN(target, gen));
	return 0;
}

/* The access kind of a file syscall of on_sys_exit's, 0 for any other. */
static __always_inline __u32 syscall_kind(long nr)
{
	switch (nr) {
	case NR_open:
	case NR_creat:
	case NR_openat:
	case NR_openat2:
		return SLZ_KIND_OPEN;
	case NR_mmap:
		return SLZ_KIND_MMAP;
	case NR_stat:
	case NR_lstat:
	case NR_newfstatat:
	case NR_statx:
		return SLZ_KIND_STAT;
	case NR_access:
	case NR_faccessat:
	case NR_faccessat2:
		return SLZ_KIND_ACCESS;
	case NR_readlink:
	case NR_readlinkat:
		return SLZ_KIND_READLINK;
	default:
		return 0;
	}
}

/*
 * What every recording hook runs at a syscall's exit: nr is the syscall, regs its user
 * registers (the arguments as the task passed them), ret its result, task the current task
 * (bpf_get_current_task_btf(), or NULL to have it fetched here once the syscall is known to be
 * one of ours). The per-syscall programs pass nr as a constant, so each keeps only its own
 * case of the switches below.
 *
 * The hit path (a target's file seen before, in this CPU's cache) calls one helper here
 * (bpf_get_current_task_btf) and no function: current_target_hot and record_file_hot read the
 * task's cgroup, fd table and inode through direct loads; only a miss calls the global
 * functions, which do the whole work again.
 */
static __always_inline int on_sys_exit(struct task_struct *btask, struct slz_pt_regs *regs, long nr,
				       long ret)
{
	struct slz_cpu_state *cs;
	struct task_struct *task;
	int dfd = AT_FDCWD, target;
	__u64 upath, sg;
	__u32 kind, gen;

	/* What needs no target: the syscalls and results that are never recorded go first. */
	switch (nr) {
	case NR_mmap:
		if ((unsigned long)ret >= (unsigned long)-4095L)
			return 0;
		if ((regs->r10 & MAP_ANONYMOUS) || (int)regs->r8 < 0)
			return 0;
		break;
	case NR_execve:
	case NR_execveat:
	case NR_ia32_execve:
		/* Failed: the old image goes on, nothing was executed (and nothing noted). */
		return ret ? 0 : record_exec_exit(regs->ip);
	default:
		if (!syscall_kind(nr))
			return 0;
		if (ret < 0 && (!record_missing || (ret != -ENOENT && ret != -ENOTDIR)))
			return 0;
		break;
	}
	if (!btask)
		btask = bpf_get_current_task_btf();
	task = bpf_rdonly_cast(btask, bpf_core_type_id_kernel(struct task_struct));
	cs = cpu_state_get();
	target = current_target_hot(task, cs, &gen);
	if (target < 0)
		return 0;
	sg = SLOT_GEN(target, gen);
	/*
	 * slz_sys_exit reads the number again: to the verifier a new unknown value, so every
	 * syscall that got here shares one walk of the target lookup above instead of one walk
	 * per number the first switch told apart (BENCHMARKS.md, issue 13: a fifth of its
	 * instructions). The per-syscall programs' nr is a constant either way.
	 */
	if (!__builtin_constant_p(nr))
		nr = *(volatile unsigned long *)&regs->orig_ax;
	kind = syscall_kind(nr);

	switch (nr) {
	case NR_open:
	case NR_creat:
	case NR_stat:
	case NR_lstat:
	case NR_access:
	case NR_readlink:
		upath = regs->di;
		break;
	default:
		dfd = (int)regs->di;
		upath = regs->si;
		break;
	}

	if (ret < 0 && kind != SLZ_KIND_MMAP) {
		record_user_path(dfd, upath, sg, (__u64)(-ret) << 32 | SLZ_KIND_MISSING, nr);
		return 0;
	}
	switch (kind) {
	case SLZ_KIND_OPEN: {
		__u64 f = fd_file(task, (int)ret);

		if (f)
			record_file_hot(cs, f, sg, open_kinds(regs, nr, f), nr);
		break;
	}
	case SLZ_KIND_MMAP: {
		__u64 f = fd_file(task, (int)regs->r8);

		if (f)
			record_file_hot(cs, f, sg, SLZ_KIND_MMAP, nr);
		break;
	}
	case SLZ_KIND_STAT:
		if (nr == NR_stat || nr == NR_lstat) {
			record_stat_hot(cs, dfd, upath, regs->si, sg, nr);
		} else if (nr == NR_newfstatat) {
			if (!empty_path((const char *)upath, regs->r10))
				record_stat_hot(cs, dfd, upath, regs->dx, sg, nr);
		} else {
			if (!empty_path((const char *)upath, regs->dx))
				record_stat_hot(cs, dfd, upath, regs->r8, sg, nr);
		}
		break;
	case SLZ_KIND_ACCESS:
	case SLZ_KIND_READLINK:
		record_user_path(dfd, upath, sg, kind, nr);
		break;
	}
	return 0;
}

/*
 * Two ways to reach on_sys_exit; userspace loads and attaches one (recorder_config.hook).
 *
 * tp_btf/sys_exit: one program that every syscall of every task enters, file syscall or not,
 * and that switches on the number.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(slz_sys_exit, struct slz_pt_regs *regs, long ret)
{
	return on_sys_exit(NULL, regs, regs->orig_ax, ret);
}

/*
 * tracepoint/syscalls/sys_exit_NAME: one program per file syscall. The kernel tests a bitmap
 * of the enabled syscalls before it enters BPF, so any other syscall never runs a program.
 * The context holds only the number and the result; the arguments are the task's saved user
 * registers (the same pt_regs tp_btf/sys_exit is handed), found at task->stack + pt_regs_off:
 * no second program at sys_enter (nor a map to pair the two).
 */
/*
 * Where a task's saved user registers sit from the bottom of its kernel stack: task_pt_regs()
 * is task->stack plus a constant of the kernel's build (THREAD_SIZE less the top padding and
 * the size of struct pt_regs), so the first program run learns it from bpf_task_pt_regs and
 * the others add it to task->stack with a direct load instead of a helper call. 0: not yet
 * known. Every CPU that writes it writes the same value.
 */
__u32 pt_regs_off;

static __always_inline struct slz_pt_regs *user_regs(struct task_struct *t)
{
	struct task_struct *ut = bpf_rdonly_cast(t, bpf_core_type_id_kernel(struct task_struct));
	__u64 stack = (__u64)ut->stack, off = pt_regs_off, regs;

	if (off && stack)
		return bpf_rdonly_cast((void *)(stack + off),
				       bpf_core_type_id_kernel(struct pt_regs));
	regs = (__u64)bpf_task_pt_regs(t);
	if (stack && regs > stack && regs - stack < (1 << 20))
		pt_regs_off = regs - stack;
	return bpf_rdonly_cast((void *)regs, bpf_core_type_id_kernel(struct pt_regs));
}

#define SYS_EXIT_PROG(name, nr)                                                                    \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int slz_##name(struct trace_event_raw_sys_exit *ctx)                                       \
	{                                                                                          \
		struct task_struct *t = bpf_get_current_task_btf();                                \
                                                                                                   \
		return on_sys_exit(t, user_regs(t), nr, ctx->ret);                                 \
	}

/* Exactly the syscalls of on_sys_exit's switch (x86_64 names: stat is newstat). */
SYS_EXIT_PROG(open, NR_open)
SYS_EXIT_PROG(creat, NR_creat)
SYS_EXIT_PROG(openat, NR_openat)
SYS_EXIT_PROG(openat2, NR_openat2)
SYS_EXIT_PROG(mmap, NR_mmap)
SYS_EXIT_PROG(newstat, NR_stat)
SYS_EXIT_PROG(newlstat, NR_lstat)
SYS_EXIT_PROG(newfstatat, NR_newfstatat)
SYS_EXIT_PROG(statx, NR_statx)
SYS_EXIT_PROG(access, NR_access)
SYS_EXIT_PROG(faccessat, NR_faccessat)
SYS_EXIT_PROG(faccessat2, NR_faccessat2)
SYS_EXIT_PROG(readlink, NR_readlink)
SYS_EXIT_PROG(readlinkat, NR_readlinkat)

/* The per-syscall hook's exec: all of it at sched_process_exec (no program sees execve). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(slz_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	/* Read, not loaded: a global function takes the pointer only as a plain integer. */
	__u64 file = (__u64)BPF_CORE_READ(bprm, file), sg;
	__u32 gen;
	int target = current_target(&gen);

	if (target < 0)
		return 0;
	sg = SLOT_GEN(target, gen);
	/* A #! script (or binfmt_misc): the kernel replaced interp; filename is the script. */
	record_exec(bpf_get_current_task_btf(), file,
		    bprm->interp != bprm->filename ? BPF_CORE_READ(bprm, exec) : 0,
		    ((struct slz_pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf()))->ip, sg);
	return 0;
}

/* The sys_exit hook's exec: what it ran, noted for execve's return (exec_notes). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(slz_exec_note, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct slz_exec_note *n =
		bpf_task_storage_get(&exec_notes, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!n) {
		__sync_fetch_and_add(&exec_notes_lost, 1);
		return 0;
	}
	n->file = (__u64)BPF_CORE_READ(bprm, file);
	/* A #! script (or binfmt_misc): the kernel replaced interp; filename is the script. */
	n->script = bprm->interp != bprm->filename ? BPF_CORE_READ(bprm, exec) : 0;
	return 0;
}
