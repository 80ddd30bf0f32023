// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "pathutil.h"

const char *path__below(const char *abs, const char *dir)
{
	size_t len;

	if (!dir || !*dir)
		return NULL;
	len = strlen(dir);
	while (len && dir[len - 1] == '/')
		len--;
	if (strncmp(abs, dir, len) || (abs[len] != '\0' && abs[len] != '/'))
		return NULL;
	return abs + len;
}

size_t path__clean(char *p)
{
	const char *r = p;
	size_t n = 0;

	if (*r == '/')
		p[n++] = '/';
	while (*r) {
		const char *e;
		size_t len;

		while (*r == '/')
			r++;
		e = strchrnul(r, '/');
		len = (size_t)(e - r);
		if (len && !(len == 1 && r[0] == '.')) {
			if (n && p[n - 1] != '/')
				p[n++] = '/';
			/* The write position never passes the read position: memmove. */
			memmove(p + n, r, len);
			n += len;
		}
		r = e;
	}
	p[n] = '\0';
	return n;
}
