// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ELF: a kept program or library needs what the dynamic loader will look for when it starts.
 * We search for DT_NEEDED the way ld.so does, but only inside the tree: libraries of the
 * runtime image (libc) are not ours to ship, and are counted rather than reported as errors.
 * Everything read comes through libelf, which checks offsets against the file size, so a
 * truncated or hostile file is skipped, never trusted.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfinfo.h"
#include "rules_entries.h"
#include "util.h"

/* The smallest ELF header (32-bit) is 52 bytes; anything shorter cannot be an object. */
#define ELF_MIN_SIZE 52

enum probe {
	PROBE_UNKNOWN = 0,
	PROBE_NOT_ELF = 1,
	/* otherwise PROBE_BASE + (class << 16 | machine) */
	PROBE_BASE = 2,
};

struct link_pair {
	uint32_t target; /* final in-tree entry a symlink leads to */
	uint32_t link;
};

struct elf_state {
	uint32_t *probe; /* enum probe per entry: is it an ELF, of which class and machine */
	struct link_pair *links;
	size_t nlinks, lcap;
	bool links_built;
};

static struct elf_state *elf_of(struct rules_ctx *c)
{
	return *rules_ctx__state(c);
}

/*
 * Read what the rules need from entry idx. 1 with *in filled for a readable ELF object,
 * 0 when it is not an ELF file (or an unreadable one, counted), -ENOMEM.
 */
static int elf_read(struct rules_ctx *c, uint32_t idx, bool full, struct elfinfo *in)
{
	struct tree_entry te = rules_ctx__entry(c, idx);
	unsigned char magic[SELFMAG];
	int fd, ret;
	ssize_t n;

	memset(in, 0, sizeof(*in));
	if (!S_ISREG(te.mode) || te.size < ELF_MIN_SIZE)
		return 0;
	/*
	 * Most kept files are no ELF objects, and the zip reads every one of them anyway: its
	 * first bytes, where the deflaters have them (rules_opts.head), rule those out without an
	 * open of our own (one open, pread and close per kept file, 153k in a 1M-file prune).
	 */
	if (c->o->head && (n = c->o->head(c->o->head_arg, idx, magic, sizeof(magic))) >= 0 &&
	    (n < (ssize_t)sizeof(magic) || memcmp(magic, ELFMAG, SELFMAG)))
		return 0;
	fd = rules_ctx__open(c, idx);
	if (fd < 0) {
		c->st->unreadable++;
		return 0;
	}
	ret = elfinfo__read_fd(fd, full ? ELFINFO_DYNAMIC : ELFINFO_HEADER, in);
	close(fd);
	if (ret == -ENOMEM)
		return ret;
	/* A damaged object (or a libelf that cannot read it) is skipped, never trusted. */
	if (ret < 0) {
		c->st->unreadable++;
		ret = 0;
	}
	return ret;
}

/* Cached: is entry idx an ELF object, and which class/machine (0 when not). */
static int probe(struct rules_ctx *c, uint32_t idx, uint32_t *id)
{
	struct elf_state *es = elf_of(c);
	struct elfinfo in;
	int r;

	if (es->probe[idx] == PROBE_UNKNOWN) {
		r = elf_read(c, idx, false, &in);
		if (r < 0)
			return r;
		es->probe[idx] = r > 0 ? PROBE_BASE + in.id : PROBE_NOT_ELF;
	}
	*id = es->probe[idx] == PROBE_NOT_ELF ? 0 : es->probe[idx] - PROBE_BASE;
	return 0;
}

/* dir/name is what ld.so would load: an ELF object of the same class and machine. */
static int try_candidate(struct rules_ctx *c, const char *dir, const char *name, uint32_t id,
			 bool *found)
{
	char path[RULES_PATH_MAX];
	uint32_t cid;
	int64_t idx;
	int err;

	*found = false;
	if (rules__join(path, sizeof(path), dir, name, strlen(name)))
		return 0;
	idx = tree__resolve(c->t, path, true);
	if (idx == -ENOMEM)
		return -ENOMEM;
	if (idx < 0 || !S_ISREG(rules_ctx__entry(c, (uint32_t)idx).mode))
		return 0;
	err = probe(c, (uint32_t)idx, &cid);
	if (err < 0 || cid != id)
		return err;
	*found = true;
	return rules_ctx__keep_path(c, path);
}

/*
 * One DT_RPATH/DT_RUNPATH element as a tree directory in out. $ORIGIN is the object's own
 * directory; absolute paths map as described in rules.h; relative ones depend on the working
 * directory and $LIB/$PLATFORM on the loader, which we cannot know, so they are skipped.
 */
static bool search_dir(const struct rules_ctx *c, const char *el, size_t len, const char *origin,
		       char *out, size_t cap)
{
	const char *rest = NULL, *mapped;

	if (len >= 7 && !strncmp(el, "$ORIGIN", 7) && (len == 7 || el[7] == '/'))
		rest = el + 7;
	else if (len >= 9 && !strncmp(el, "${ORIGIN}", 9) && (len == 9 || el[9] == '/'))
		rest = el + 9;
	if (rest) {
		size_t rl = len - (size_t)(rest - el);

		while (rl && *rest == '/')
			rest++, rl--;
		if (!rl) {
			if (strlen(origin) + 1 > cap)
				return false;
			strcpy(out, origin);
			return true;
		}
		return !rules__join(out, cap, origin, rest, rl);
	}
	if (!len || el[0] != '/' || memchr(el, '$', len) || len >= cap)
		return false;
	memcpy(out, el, len);
	out[len] = '\0';
	mapped = rules_ctx__map_abs(c, out);
	memmove(out, mapped, strlen(mapped) + 1);
	return true;
}

static int search_list(struct rules_ctx *c, const char *list, const char *origin, const char *name,
		       uint32_t id, bool *found)
{
	char dir[RULES_PATH_MAX];

	for (const char *p = list; p && !*found;) {
		const char *end = strchrnul(p, ':');
		int err;

		if (search_dir(c, p, (size_t)(end - p), origin, dir, sizeof(dir))) {
			err = try_candidate(c, dir, name, id, found);
			if (err < 0)
				return err;
		}
		p = *end ? end + 1 : NULL;
	}
	return 0;
}

static const char *multiarch(uint32_t id)
{
	switch (id) {
	case ELFCLASS64 << 16 | EM_X86_64:
		return "x86_64-linux-gnu";
	case ELFCLASS64 << 16 | EM_AARCH64:
		return "aarch64-linux-gnu";
	case ELFCLASS32 << 16 | EM_386:
		return "i386-linux-gnu";
	case ELFCLASS32 << 16 | EM_ARM:
		return "arm-linux-gnueabihf";
	default:
		return NULL;
	}
}

static int find_needed(struct rules_ctx *c, const struct elfinfo *in, const char *origin,
		       const char *name)
{
	static const char *const defaults[] = {"lib", "usr/lib", "lib64", "usr/lib64"};
	const char *triplet = multiarch(in->id);
	bool found = false;
	int err = 0;

	/* A name with a slash is opened as a path relative to the working directory. */
	if (!name[0] || strchr(name, '/'))
		goto out;
	if (!in->runpath && in->rpath)
		err = search_list(c, in->rpath, origin, name, in->id, &found);
	if (!err && !found && in->runpath)
		err = search_list(c, in->runpath, origin, name, in->id, &found);
	/* Debian's ld.so.cache lists the multiarch directories before the plain ones. */
	for (int i = 0; triplet && i < 2 && !err && !found; i++) {
		char dir[64];

		snprintf(dir, sizeof(dir), "%s/%s", defaults[i], triplet);
		err = try_candidate(c, dir, name, in->id, &found);
	}
	for (size_t i = 0; i < ARRAY_SIZE(defaults) && !err && !found; i++)
		err = try_candidate(c, defaults[i], name, in->id, &found);
out:
	if (!err && !found)
		rules_ctx__unresolved(c);
	return err;
}

static int pair_cmp(const void *a, const void *b)
{
	const struct link_pair *x = a, *y = b;

	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	return x->link < y->link ? -1 : x->link > y->link;
}

/* Every symlink of the tree with its final in-tree target, sorted by target. */
static int build_links(struct rules_ctx *c)
{
	struct elf_state *es = elf_of(c);

	es->links_built = true;
	for (uint32_t i = 1; i < c->n; i++) {
		struct tree_entry e = rules_ctx__entry(c, i);
		int64_t t;

		if (!S_ISLNK(e.mode))
			continue;
		t = tree__resolve(c->t, e.path, true);
		if (t == -ENOMEM)
			return -ENOMEM;
		if (t <= 0)
			continue;
		if (slz_grow((void **)&es->links, &es->lcap, es->nlinks + 1, sizeof(*es->links)))
			return -ENOMEM;
		es->links[es->nlinks++] = (struct link_pair){(uint32_t)t, i};
	}
	if (es->nlinks > 1)
		qsort(es->links, es->nlinks, sizeof(*es->links), pair_cmp);
	return 0;
}

/* libfoo.so.1 -> libfoo.so.1.2.3 and libfoo.so -> libfoo.so.1 beside a kept libfoo.so.1.2.3. */
static int keep_soname_links(struct rules_ctx *c, uint32_t idx)
{
	struct elf_state *es = elf_of(c);
	uint32_t dir = rules_ctx__entry(c, idx).parent;
	size_t lo = 0, hi;
	int err;

	if (!es->links_built && (err = build_links(c)) < 0)
		return err;
	hi = es->nlinks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (es->links[mid].target < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < es->nlinks && es->links[lo].target == idx; lo++) {
		struct tree_entry le = rules_ctx__entry(c, es->links[lo].link);

		if (le.parent != dir)
			continue;
		err = rules_ctx__keep_path(c, le.path);
		if (err < 0)
			return err;
	}
	return 0;
}

static int elf_entry(struct rules_ctx *c, uint32_t idx)
{
	struct tree_entry e = rules_ctx__entry(c, idx);
	struct elfinfo in;
	const char *origin;
	int err = 0, r;

	if (S_ISLNK(e.mode)) {
		int64_t t = tree__resolve(c->t, e.path, true);
		uint32_t id;

		if (t == -ENOMEM)
			return -ENOMEM;
		if (t <= 0 || !S_ISREG(rules_ctx__entry(c, (uint32_t)t).mode))
			return 0;
		err = probe(c, (uint32_t)t, &id);
		if (err < 0 || !id)
			return err;
		return rules_ctx__keep_path(c, e.path);
	}
	r = elf_read(c, idx, true, &in);
	if (r >= 0)
		elf_of(c)->probe[idx] = r > 0 ? PROBE_BASE + in.id : PROBE_NOT_ELF;
	if (r <= 0)
		return r;
	origin = rules_ctx__entry(c, e.parent).path;
	for (size_t i = 0; i < in.nneeded && !err; i++)
		err = find_needed(c, &in, origin, in.needed[i]);
	if (!err && in.interp && in.interp[0] == '/')
		err = rules_ctx__keep_path(c, rules_ctx__map_abs(c, in.interp));
	if (!err && in.soname && in.type == ET_DYN)
		err = keep_soname_links(c, idx);
	elfinfo__release(&in);
	return err;
}

static int elf_run(struct rules_ctx *c)
{
	void **state = rules_ctx__state(c);
	struct elf_state *es;

	if (!*state) {
		if (elf_version(EV_CURRENT) == EV_NONE)
			return slz_fail(ENOTSUP, "libelf is too old for this build (%s)",
					elf_errmsg(-1));
		es = calloc(1, sizeof(*es));
		if (!es)
			return -ENOMEM;
		*state = es;
		es->probe = calloc(c->n ? c->n : 1, sizeof(*es->probe));
		if (!es->probe)
			return -ENOMEM;
	}
	return rules_ctx__scan(c, elf_entry);
}

static void elf_release(void *state)
{
	struct elf_state *es = state;

	free(es->probe);
	free(es->links);
	free(es);
}

const struct rule rule_elf = {
	.name = "elf",
	.run = elf_run,
	.release = elf_release,
};
