// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile_fmt.h"
#include "profile_io.h"
#include "profiles.h"
#include "util.h"

/* Every header field of src into dst, through the one table of header keys. */
static int copy_header(struct profile *dst, const struct profile *src)
{
	const struct profile_header *s = profile__header_const(src);
	struct profile_header *d = profile__header(dst);
	int err = 0;

	for (size_t i = 0; i < profile_fmt__nheader_keys && !err; i++) {
		const struct header_key *k = &profile_fmt__header_keys[i];
		void *to = profile_fmt__header_field(d, k);
		const void *from = profile_fmt__header_field(s, k);

		switch (k->kind) {
		case HDR_STR:
			err = profile__set_str(dst, to, *(char *const *)from);
			break;
		case HDR_TIME:
			memcpy(to, from, sizeof(int64_t));
			break;
		case HDR_INT:
			memcpy(to, from, sizeof(int));
			break;
		case HDR_U64:
			memcpy(to, from, sizeof(uint64_t));
			break;
		case HDR_FILES:
			break;
		}
	}
	return err;
}

/* The length of an absolute path without its trailing slashes ("/" stays 1). */
static size_t trimmed_len(const char *s)
{
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		n--;
	return n;
}

/* path with the first map whose from leads it rewritten (malloc'd), or NULL for no match. */
static char *map_path(const char *path, const struct profile_map *maps, size_t nmaps, int *err)
{
	*err = 0;
	for (size_t i = 0; path && i < nmaps; i++) {
		size_t fn = trimmed_len(maps[i].from), tn = trimmed_len(maps[i].to);
		const char *rest;
		char *out;

		/* By whole components: /a leads /a and /a/b, not /ab; "/" leads everything. */
		if (fn == 1)
			rest = path[1] ? path : ""; /* "/" itself is the root, "" below it */
		else if (!strncmp(path, maps[i].from, fn) && (!path[fn] || path[fn] == '/'))
			rest = path + fn;
		else
			continue;
		/* rest is "" or starts with '/': to "/" then gives rest itself (or "/"). */
		if (tn == 1)
			tn = 0;
		if (asprintf(&out, "%.*s%s", (int)tn, maps[i].to, tn || *rest ? rest : "/") < 0) {
			*err = -ENOMEM;
			return NULL;
		}
		return out;
	}
	return NULL;
}

int profile__remap(const struct profile *src, const struct profile_map *maps, size_t nmaps,
		   struct profile **out)
{
	struct profile *p = NULL;
	char *root = NULL;
	int err;

	*out = NULL;
	for (size_t i = 0; i < nmaps; i++) {
		if (maps[i].from[0] != '/' || maps[i].to[0] != '/')
			return slz_fail(EINVAL,
					"cannot map %s to %s: both must be absolute paths "
					"(FROM=TO, e.g. /home/ci/build=/var/task)",
					maps[i].from, maps[i].to);
	}
	err = profile__new(&p);
	if (!err)
		err = copy_header(p, src);
	if (!err) {
		root = map_path(profile__header_const(src)->tree_root, maps, nmaps, &err);
		if (root) {
			free(profile__header(p)->tree_root);
			profile__header(p)->tree_root = root;
		}
	}
	for (size_t i = 0; !err && i < profile__count(src); i++) {
		struct profile_entry e = *profile__entry(src, i);
		char *mapped = map_path(e.path, maps, nmaps, &err);

		if (mapped)
			e.path = mapped;
		if (!err)
			err = profile__add(p, &e);
		free(mapped);
	}
	if (err) {
		profile__free(p);
		return err == -ENOMEM ? slz_fail(ENOMEM, "out of memory") : err;
	}
	*out = p;
	return 0;
}

int profiles__load_mapped(const char *const *paths, size_t n, const struct profile_map *maps,
			  size_t nmaps, struct profile **merged)
{
	struct profile *p = NULL, *more = NULL, *mapped = NULL;
	const char *root_of = NULL; /* the file whose tree root p holds */
	int err = 0;

	*merged = NULL;
	if (!n)
		return slz_fail(EINVAL, "no profile to read");
	for (size_t i = 0; i < n && !err; i++) {
		const char *mine, *theirs;

		err = profile__read(paths[i], &more);
		if (!err && nmaps) {
			err = profile__remap(more, maps, nmaps, &mapped);
			profile__free(more);
			more = mapped;
			mapped = NULL;
		}
		if (err)
			break;
		if (!p) {
			p = more;
			more = NULL;
			if (profile__header_const(p)->tree_root)
				root_of = paths[i];
			continue;
		}
		mine = profile__header_const(p)->tree_root;
		theirs = profile__header_const(more)->tree_root;
		if (mine && theirs && strcmp(mine, theirs))
			err = slz_fail(EXDEV,
				       "%s was recorded with its tree at %s, %s at %s: they cannot "
				       "merge unless one is mapped onto the other (--map %s=%s)",
				       paths[i], theirs, root_of, mine, theirs, mine);
		if (!err && !mine && theirs)
			root_of = paths[i];
		if (!err)
			err = profile__merge(p, more);
		profile__free(more);
		more = NULL;
	}
	profile__free(more);
	if (err) {
		profile__free(p);
		return err;
	}
	*merged = p;
	return 0;
}

int profiles__load(const char *const *paths, size_t n, struct profile **merged)
{
	return profiles__load_mapped(paths, n, NULL, 0, merged);
}
