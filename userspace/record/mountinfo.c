// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"
#include "util.h"

void mountinfo__unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

void mountinfo__clear(struct mount_info *m)
{
	if (!m)
		return;
	free(m->root);
	free(m->mount_point);
	free(m->mount_opts);
	free(m->fstype);
	free(m->source);
	free(m->super_opts);
	memset(m, 0, sizeof(*m));
}

/* Next space-separated field of *s, NUL-terminated in place; NULL when the line ends. */
static char *next_field(char **s)
{
	char *p = *s, *start;

	while (*p == ' ')
		p++;
	if (!*p)
		return NULL;
	start = p;
	while (*p && *p != ' ')
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return start;
}

static int dup_field(char *v, char **out, bool unescape)
{
	if (!v)
		return -EINVAL;
	if (unescape)
		mountinfo__unescape(v);
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

/* 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue */
int mountinfo__parse_line(const char *line, struct mount_info *out)
{
	char *copy = strdup(line), *s = copy, *f[6], *opt;
	struct mount_info m = {};
	char tail;
	int err = -EINVAL;

	if (!copy)
		return -ENOMEM;
	copy[strcspn(copy, "\n")] = '\0';
	for (int i = 0; i < 6; i++) {
		f[i] = next_field(&s);
		if (!f[i])
			goto out;
	}
	if (sscanf(f[0], "%u%c", &m.id, &tail) != 1 ||
	    sscanf(f[1], "%u%c", &m.parent_id, &tail) != 1 ||
	    sscanf(f[2], "%u:%u%c", &m.major, &m.minor, &tail) != 2)
		goto out;
	/* Optional fields (shared:N, master:N, ...) up to the lone "-" separator. */
	do {
		opt = next_field(&s);
		if (!opt)
			goto out;
	} while (strcmp(opt, "-"));
	if ((err = dup_field(f[3], &m.root, true)) ||
	    (err = dup_field(f[4], &m.mount_point, true)) ||
	    (err = dup_field(f[5], &m.mount_opts, false)) ||
	    (err = dup_field(next_field(&s), &m.fstype, true)) ||
	    (err = dup_field(next_field(&s), &m.source, true)))
		goto out;
	opt = next_field(&s);
	err = dup_field(opt ? opt : (char *)"", &m.super_opts, false);
out:
	free(copy);
	if (err) {
		mountinfo__clear(&m);
		return err;
	}
	*out = m;
	return 0;
}

int mountinfo__find_fstype(FILE *f, const char *fstype, struct mount_info *out)
{
	char *line = NULL;
	size_t cap = 0;
	int err = -ENOENT;

	while (getline(&line, &cap, f) > 0) {
		struct mount_info m;

		if (mountinfo__parse_line(line, &m))
			continue; /* tolerate lines from a future format */
		if (!strcmp(m.fstype, fstype)) {
			*out = m;
			err = 0;
			break;
		}
		mountinfo__clear(&m);
	}
	free(line);
	return err;
}

int mountinfo__find_self(const char *fstype, struct mount_info *out)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err;

	if (!f)
		return slz_fail(errno, "cannot read /proc/self/mountinfo: %s", strerror(errno));
	err = mountinfo__find_fstype(f, fstype, out);
	fclose(f);
	return err;
}
