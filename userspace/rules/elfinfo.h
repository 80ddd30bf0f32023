/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the dynamic loader reads of an ELF object: its class and machine, the interpreter, the
 * soname, DT_NEEDED and the search lists (DT_RPATH, DT_RUNPATH). One reader for the ELF rule
 * (tree files) and for prune's host-dependency classification (the runtime's own files).
 * Everything goes through libelf, which checks offsets against the file size, so a truncated
 * or hostile file is refused, never trusted; the file is read with pread (ELF_C_READ), never
 * mapped, so one truncated meanwhile cannot SIGBUS the reader.
 */
#ifndef SLIMZIP_RULES_ELFINFO_H
#define SLIMZIP_RULES_ELFINFO_H

#include <stddef.h>
#include <stdint.h>

struct elfinfo {
	uint16_t type; /* e_type: ET_EXEC, ET_DYN, ... */
	uint32_t id;   /* class << 16 | machine: what a candidate library must match */
	char *interp;  /* PT_INTERP, NULL when none */
	char *soname;  /* DT_SONAME, NULL when none */
	char *rpath;   /* every DT_RPATH joined with ':' (ld.so searches them as one list) */
	char *runpath; /* the same for DT_RUNPATH */
	char **needed; /* DT_NEEDED in order */
	size_t nneeded;
	size_t ncap;
};

enum elfinfo_flags {
	ELFINFO_HEADER = 0, /* type and id only: is it an object, of which class and machine */
	ELFINFO_DYNAMIC = 1u << 0, /* also interp, soname, needed, rpath, runpath */
};

/*
 * Read the ELF object open at fd (any offset; pread is used). 1 for an executable or shared
 * object (ET_EXEC, ET_DYN) with *out filled as flags ask; 0 when fd holds no ELF magic, or an
 * object of another type (out->type and out->id are still set); -EBADMSG when it has the magic
 * but libelf cannot read it (damaged, truncated; out->type and out->id set as far as read);
 * -ENOTSUP when libelf is unusable; -ENOMEM. Never explains (slz_errmsg is left alone): the
 * callers count such files. Release *out in every case.
 */
int elfinfo__read_fd(int fd, unsigned int flags, struct elfinfo *out);
/* The same for a path, opened read-only and non-blocking (a FIFO cannot hang the reader):
 * also -errno of open(). */
int elfinfo__read_path(const char *path, unsigned int flags, struct elfinfo *out);
/* Free what *in holds and zero it; NULL-safe. */
void elfinfo__release(struct elfinfo *in);

#endif
