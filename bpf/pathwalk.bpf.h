/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Path reconstruction without bpf_d_path (refused in tracepoints): walk dentry->d_parent up to
 * the task's root, crossing mounts through struct mount the way prepend_path() does, and write
 * the names right to left into a per-CPU scratch buffer.
 *
 * Verifier notes (clang 14): the walk runs under bpf_loop so its complexity does not grow with
 * the depth; the write offset lives in the map value and is re-read through a volatile load;
 * every index is masked to SLZ_WALK_MAX - 1 on a buffer of twice that size, so any masked offset
 * plus any masked length stays inside the buffer. Only the new-file path calls into this file.
 */
#ifndef SLIMZIP_BPF_PATHWALK_H
#define SLIMZIP_BPF_PATHWALK_H

#define WALK_MASK (SLZ_WALK_MAX - 1)

struct slz_walk {
	__u32 off;   /* the walked path is buf[off, SLZ_WALK_MAX) */
	__u32 flags; /* SLZ_EVF_TRUNCATED, SLZ_EVF_UNREACHABLE */
	__u32 ulen;  /* bytes of ustr, without the NUL */
	__u32 pad;
	char buf[2 * SLZ_WALK_MAX];
	char ustr[SLZ_WALK_MAX]; /* a user path string, NUL-terminated */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slz_walk);
} slz_walk_buf SEC(".maps");

/* Pointers are carried as plain integers so every loop iteration sees the same register types. */
struct walk_ctx {
	__u64 dentry;
	__u64 vfsmnt;
	__u64 mnt;
	__u64 root_dentry;
	__u64 root_mnt;
	__u64 done;
};

static __always_inline struct slz_walk *walk_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&slz_walk_buf, &zero);
}

static __always_inline __u64 mount_of(__u64 vfsmnt)
{
	return vfsmnt - bpf_core_field_offset(struct mount, mnt);
}

static long walk_step(__u32 i, struct walk_ctx *c)
{
	struct slz_walk *w = walk_buf();
	struct dentry *d = (struct dentry *)c->dentry;
	struct mount *mnt = (struct mount *)c->mnt;
	struct dentry *parent;
	const unsigned char *name;
	__u32 off, len, noff;

	if (!w)
		return 1;
	if (c->dentry == c->root_dentry && c->vfsmnt == c->root_mnt) {
		c->done = 1;
		return 1;
	}
	/*
	 * The mount root through struct mount and the name through the dentry: every read here
	 * relocates on dentry or mount, types the other programs use anyway, so no struct vfsmount
	 * or struct qstr is left to relocate (each distinct type is a scan of the kernel's BTF,
	 * and the kernel's candidate cache is small: BENCHMARKS.md, light skeleton spike).
	 */
	if (c->dentry == (__u64)BPF_CORE_READ(mnt, mnt.mnt_root)) {
		struct mount *pm = BPF_CORE_READ(mnt, mnt_parent);

		if (!pm || (__u64)pm == c->mnt) {
			/* The top of a mount tree that is not our root: detached or other ns. */
			w->flags |= SLZ_EVF_UNREACHABLE;
			c->done = 1;
			return 1;
		}
		c->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = (__u64)pm;
		c->vfsmnt = c->mnt + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || (__u64)parent == c->dentry) {
		w->flags |= SLZ_EVF_UNREACHABLE;
		c->done = 1;
		return 1;
	}
	/* d_parent was just read from this dentry (a failed read gives NULL, refused above). */
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	off = *(volatile __u32 *)&w->off;
	/* Keep off >= 1 so the final length is at most SLZ_WALK_MAX - 1 (fits the masks). */
	if (len > 255 || len + 2 > off) {
		w->flags |= SLZ_EVF_TRUNCATED;
		c->done = 1;
		return 1;
	}
	noff = off - len - 1;
	w->buf[noff & WALK_MASK] = '/';
	bpf_probe_read_kernel(&w->buf[(noff + 1) & WALK_MASK], len & WALK_MASK, name);
	*(volatile __u32 *)&w->off = noff;
	c->dentry = (__u64)parent;
	return 0;
}

/*
 * Walk (dentry, vfsmnt) up to the task's root into w->buf. Returns the path length (>= 1);
 * the path starts at w->buf[w->off]. w->flags collects TRUNCATED / UNREACHABLE.
 */
static __always_inline __u32 walk_path(struct slz_walk *w, __u64 dentry, __u64 vfsmnt,
				       struct task_struct *task)
{
	struct walk_ctx c = {};
	__u32 off;

	w->off = SLZ_WALK_MAX;
	w->flags = 0;
	c.dentry = dentry;
	c.vfsmnt = vfsmnt;
	c.mnt = mount_of(vfsmnt);
	c.root_dentry = (__u64)BPF_CORE_READ(task, fs, root.dentry);
	c.root_mnt = (__u64)BPF_CORE_READ(task, fs, root.mnt);
	/* Enough steps for every path that fits the buffer: only the byte limit truncates. */
	bpf_loop(SLZ_WALK_STEPS, walk_step, &c, 0);
	if (!c.done)
		w->flags |= SLZ_EVF_TRUNCATED;
	off = *(volatile __u32 *)&w->off;
	if (off >= SLZ_WALK_MAX) {
		w->buf[SLZ_WALK_MAX - 1] = '/';
		off = SLZ_WALK_MAX - 1;
		w->off = off;
	}
	return SLZ_WALK_MAX - off;
}

/* Copy the walked path to the start of dst (an event's path), returning its length. */
static __always_inline __u32 walk_copy(struct slz_walk *w, char *dst)
{
	__u32 off = *(volatile __u32 *)&w->off;
	__u32 len = SLZ_WALK_MAX - off;

	bpf_probe_read_kernel(dst, len & WALK_MASK, &w->buf[off & WALK_MASK]);
	return len & WALK_MASK;
}

/* A 64-bit hash of the user string in w->ustr (ulen bytes), word at a time. */
struct hash_ctx {
	__u64 h;
	__u32 len;
};

static long hash_step(__u32 i, struct hash_ctx *c)
{
	struct slz_walk *w = walk_buf();
	__u32 off = i * 8;
	__u64 v;

	if (!w || off >= c->len)
		return 1;
	v = *(__u64 *)&w->ustr[off & (SLZ_WALK_MAX - 8)];
	if (c->len - off < 8)
		v &= (1ULL << ((c->len - off) * 8)) - 1;
	c->h = (c->h ^ v) * 0x9e3779b97f4a7c15ULL;
	c->h ^= c->h >> 32;
	return 0;
}

static __always_inline __u64 hash_mix(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Kernels since 6.8 give each mount a 64-bit id that is never reused. */
struct mount___unique {
	__u64 mnt_id_unique;
} __attribute__((preserve_access_index));

/*
 * A hash of (base directory, user string) for path-keyed dedup. The directory is named by what
 * stays true while it lives and is not reused right after it dies (inode number, device,
 * i_generation), unlike its dentry address; the mount id tells bind mounts of it apart, as
 * their paths differ. mnt_id can be reused after an unmount, mnt_id_unique cannot.
 */
static __always_inline __u64 hash_ustr(__u32 ulen, __u64 base_dentry, __u64 base_mnt)
{
	struct inode *inode = BPF_CORE_READ((struct dentry *)base_dentry, d_inode);
	struct mount *m = (struct mount *)mount_of(base_mnt);
	struct hash_ctx c = {};
	__u64 ino, dev, gen, mid;

	ino = BPF_CORE_READ(inode, i_ino);
	dev = BPF_CORE_READ(inode, i_sb, s_dev);
	gen = BPF_CORE_READ(inode, i_generation);
	if (bpf_core_field_exists(struct mount___unique, mnt_id_unique))
		mid = BPF_CORE_READ((struct mount___unique *)m, mnt_id_unique);
	else
		mid = (__u32)BPF_CORE_READ(m, mnt_id);
	c.h = hash_mix(ino ^ 0x51a2b3c4d5e6f708ULL) ^ hash_mix((dev << 32 | gen) + ulen);
	c.h = hash_mix(c.h ^ mid);
	c.len = ulen;
	bpf_loop((ulen + 7) / 8, hash_step, &c, 0);
	c.h = hash_mix(c.h);
	/* Never collide with the marker used as dev for path-keyed entries. */
	return c.h == SLZ_DEV_PATH_HASH ? 1 : c.h;
}

#endif /* SLIMZIP_BPF_PATHWALK_H */
