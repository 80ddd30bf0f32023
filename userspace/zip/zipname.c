// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "util.h"
#include "zipname.h"

int zipname__check_name(const char *name, size_t len)
{
	size_t start = 0;

	if (!len)
		return slz_fail(EINVAL, "the zip holds an entry with an empty name");
	if (memchr(name, '\0', len))
		return slz_fail(EINVAL, "entry \"%s...\" has a NUL byte in its name", name);
	if (name[0] == '/')
		return slz_fail(EINVAL, "entry %.*s has an absolute name", (int)len, name);
	/* A trailing '/' marks a directory entry; every component before it must be real. */
	if (name[len - 1] == '/')
		len--;
	if (!len)
		return slz_fail(EINVAL, "the zip holds an entry named \"/\"");
	while (start <= len) {
		const char *c = name + start, *slash = memchr(c, '/', len - start);
		size_t clen = slash ? (size_t)(slash - c) : len - start;

		if (clen == 0 || (clen == 1 && c[0] == '.'))
			return slz_fail(EINVAL, "entry %.*s has an empty or \".\" component",
					(int)len, name);
		if (clen == 2 && c[0] == '.' && c[1] == '.')
			return slz_fail(EINVAL,
					"entry %.*s has a \"..\" component (it would be written "
					"outside the destination)",
					(int)len, name);
		if (clen > NAME_MAX)
			return slz_fail(ENAMETOOLONG,
					"entry %.*s has a component of %zu bytes, more than a file "
					"name can hold (%d)",
					(int)len, name, clen, NAME_MAX);
		start += clen + 1;
	}
	return 0;
}

int zipname__check_link(const char *name, const char *target)
{
	long depth = 0;
	const char *p;

	if (!target[0])
		return slz_fail(EINVAL, "symlink %s has an empty target", name);
	if (target[0] == '/')
		return slz_fail(EXDEV, "symlink %s -> %s has an absolute target", name, target);
	/* The link lives in the entry's directory: start at that directory's depth. */
	for (p = name; *p; p++)
		if (*p == '/' && p[1])
			depth++;
	for (p = target; *p;) {
		const char *slash = strchr(p, '/');
		size_t clen = slash ? (size_t)(slash - p) : strlen(p);

		if (clen == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return slz_fail(EXDEV, "symlink %s -> %s points outside the root",
						name, target);
		} else if (clen && !(clen == 1 && p[0] == '.')) {
			depth++;
		}
		p += clen;
		if (*p == '/')
			p++;
	}
	return 0;
}
