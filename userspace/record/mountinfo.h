/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Parsing /proc/<pid>/mountinfo (proc(5)): enough to find the cgroup v2 mount. */
#ifndef SLIMZIP_MOUNTINFO_H
#define SLIMZIP_MOUNTINFO_H

#include <stdio.h>

struct mount_info {
	unsigned int id, parent_id, major, minor;
	char *root;	   /* the mount's root inside its filesystem, unescaped */
	char *mount_point; /* unescaped */
	char *mount_opts;
	char *fstype;
	char *source;
	char *super_opts;
};

/* Parse one line (without or with its '\n'); strings are allocated. -EINVAL on a bad line. */
int mountinfo__parse_line(const char *line, struct mount_info *out);
void mountinfo__clear(struct mount_info *m); /* frees the strings, NULL-safe */
/* Decode the octal escapes the kernel writes for ' ', '\t', '\n' and '\\' (in place). */
void mountinfo__unescape(char *s);
/* The first mount of fstype in a mountinfo stream. -ENOENT when there is none. */
int mountinfo__find_fstype(FILE *f, const char *fstype, struct mount_info *out);
/* Same, on /proc/self/mountinfo. */
int mountinfo__find_self(const char *fstype, struct mount_info *out);

#endif
