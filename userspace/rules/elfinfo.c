// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ELF reader of elfinfo.h: libelf, pread only, every offset checked by libelf. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfinfo.h"
#include "util.h"

void elfinfo__release(struct elfinfo *in)
{
	if (!in)
		return;
	free(in->interp);
	free(in->soname);
	free(in->rpath);
	free(in->runpath);
	for (size_t i = 0; i < in->nneeded; i++)
		free(in->needed[i]);
	free(in->needed);
	memset(in, 0, sizeof(*in));
}

/* Several DT_RPATH entries are legal; ld.so searches them in order, as one list. */
static int append_list(char **dst, const char *s)
{
	char *n;

	if (!*dst) {
		*dst = strdup(s);
		return *dst ? 0 : -ENOMEM;
	}
	if (asprintf(&n, "%s:%s", *dst, s) < 0)
		return -ENOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

static int add_needed(struct elfinfo *in, const char *s)
{
	if (slz_grow((void **)&in->needed, &in->ncap, in->nneeded + 1, sizeof(*in->needed)))
		return -ENOMEM;
	in->needed[in->nneeded] = strdup(s);
	if (!in->needed[in->nneeded])
		return -ENOMEM;
	in->nneeded++;
	return 0;
}

static int read_dynamic(Elf *e, struct elfinfo *in)
{
	Elf_Scn *scn = NULL;
	int err = 0;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t entsz, cnt;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		d = elf_getdata(scn, NULL);
		entsz = gelf_fsize(e, ELF_T_DYN, 1, EV_CURRENT);
		if (!d || !entsz)
			return -EBADMSG;
		cnt = d->d_size / entsz;
		for (size_t i = 0; i < cnt && !err; i++) {
			GElf_Dyn dyn;
			const char *s;

			if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_SONAME &&
			    dyn.d_tag != DT_RPATH && dyn.d_tag != DT_RUNPATH)
				continue;
			/* elf_strptr refuses offsets outside the string table. */
			s = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
			if (!s)
				continue;
			switch (dyn.d_tag) {
			case DT_NEEDED:
				err = add_needed(in, s);
				break;
			case DT_SONAME:
				if (!in->soname && !(in->soname = strdup(s)))
					err = -ENOMEM;
				break;
			case DT_RPATH:
				err = append_list(&in->rpath, s);
				break;
			case DT_RUNPATH:
				err = append_list(&in->runpath, s);
				break;
			}
		}
		/* One dynamic section per object; a second one would be ignored by ld.so. */
		break;
	}
	return err;
}

static int read_interp(Elf *e, struct elfinfo *in)
{
	size_t n;

	if (elf_getphdrnum(e, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_INTERP)
			continue;
		/* rawchunk checks the range against the file; the string must end inside it. */
		d = elf_getdata_rawchunk(e, ph.p_offset, ph.p_filesz, ELF_T_BYTE);
		if (!d || !d->d_buf || !d->d_size || !memchr(d->d_buf, '\0', d->d_size))
			return 0;
		in->interp = strdup(d->d_buf);
		return in->interp ? 0 : -ENOMEM;
	}
	return 0;
}

int elfinfo__read_fd(int fd, unsigned int flags, struct elfinfo *in)
{
	unsigned char magic[SELFMAG];
	Elf *e = NULL;
	GElf_Ehdr eh;
	int cls, ret = 0;

	memset(in, 0, sizeof(*in));
	if (pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    memcmp(magic, ELFMAG, SELFMAG))
		return 0;
	/* Idempotent; libelf refuses to work before it is called once. */
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	/* ELF_C_READ reads lazily with pread; a file truncated under mmap would SIGBUS us. */
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) ||
	    (cls = gelf_getclass(e)) == ELFCLASSNONE) {
		ret = -EBADMSG;
		goto out;
	}
	in->type = eh.e_type;
	in->id = (uint32_t)cls << 16 | eh.e_machine;
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		goto out;
	ret = 1;
	if (!(flags & ELFINFO_DYNAMIC))
		goto out;
	if ((ret = read_interp(e, in)) < 0 || (ret = read_dynamic(e, in)) < 0)
		goto out;
	ret = 1;
out:
	elf_end(e);
	if (ret <= 0) {
		uint16_t type = in->type;
		uint32_t id = in->id;

		elfinfo__release(in);
		in->type = type;
		in->id = id;
	}
	return ret;
}

int elfinfo__read_path(const char *path, unsigned int flags, struct elfinfo *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), ret;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -errno;
	ret = elfinfo__read_fd(fd, flags, out);
	close(fd);
	return ret;
}
