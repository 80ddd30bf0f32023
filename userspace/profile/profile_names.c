// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The names profiles store for kinds and syscalls (both formats), and their parsers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "slz_vocab.h"
#include "profile.h"
#include "util.h"

/*
 * The name of each kind in the file formats, in the order lists are written. Each bit is named
 * here explicitly: the formats never depend on a kind's bit position.
 */
static const struct {
	uint32_t kind;
	const char *name;
} kind_names[] = {
	{SLZ_KIND_OPEN, "open"},	 {SLZ_KIND_MMAP, "mmap"},	{SLZ_KIND_EXEC, "exec"},
	{SLZ_KIND_INTERP, "interp"},	 {SLZ_KIND_STAT, "stat"},	{SLZ_KIND_ACCESS, "access"},
	{SLZ_KIND_READLINK, "readlink"}, {SLZ_KIND_MISSING, "missing"}, {SLZ_KIND_WRITE, "write"},
	{SLZ_KIND_CREATE, "create"},	 {SLZ_KIND_TRUNC, "truncate"},
};

/* Names are stored in profiles, not numbers: numbers differ between architectures. */
static const struct {
	int nr;
	const char *name;
} syscalls[] = {
#ifdef SYS_open
	{SYS_open, "open"},
#endif
#ifdef SYS_creat
	{SYS_creat, "creat"},
#endif
#ifdef SYS_stat
	{SYS_stat, "stat"},
#endif
#ifdef SYS_lstat
	{SYS_lstat, "lstat"},
#endif
#ifdef SYS_access
	{SYS_access, "access"},
#endif
#ifdef SYS_readlink
	{SYS_readlink, "readlink"},
#endif
	{SYS_openat, "openat"},
#ifdef SYS_openat2
	{SYS_openat2, "openat2"},
#endif
	{SYS_newfstatat, "newfstatat"},
	{SYS_statx, "statx"},
	{SYS_faccessat, "faccessat"},
#ifdef SYS_faccessat2
	{SYS_faccessat2, "faccessat2"},
#endif
	{SYS_readlinkat, "readlinkat"},
	{SYS_mmap, "mmap"},
	{SYS_execve, "execve"},
	{SYS_execveat, "execveat"},
};

const char *profile__syscall_name(int nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(syscalls); i++) {
		if (syscalls[i].nr == nr)
			return syscalls[i].name;
	}
	return NULL;
}

int profile__syscall_nr(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(syscalls); i++) {
		if (!strcmp(syscalls[i].name, name))
			return syscalls[i].nr;
	}
	return -1;
}

int profile__kinds_str(uint32_t kinds, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++) {
		if (!(kinds & kind_names[i].kind))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
				 kind_names[i].name);

		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	if (!used && snprintf(buf, len, "-") >= (int)len)
		return -ENOSPC;
	return 0;
}

int profile__kinds_parse(const char *s, uint32_t *kinds)
{
	uint32_t k = 0;

	if (!strcmp(s, "-")) {
		*kinds = 0;
		return 0;
	}
	/* Every name counts: "" and "open," are refused, not read as fewer kinds. */
	for (;;) {
		size_t n = strcspn(s, ",");
		size_t i;

		for (i = 0; i < ARRAY_SIZE(kind_names); i++) {
			if (strlen(kind_names[i].name) == n && !strncmp(s, kind_names[i].name, n))
				break;
		}
		if (i == ARRAY_SIZE(kind_names))
			return -EINVAL;
		k |= kind_names[i].kind;
		s += n;
		if (!*s)
			break;
		s++;
	}
	*kinds = k;
	return 0;
}
