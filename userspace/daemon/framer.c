// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The protocol's framer: NUL-terminated messages out of a byte stream. Every byte is looked
 * at once, when it is fed: a message over the limit fails the framer at the feed that makes
 * it so, whole or not, so a client cannot make the daemon hold more than the limit plus one
 * read of bytes that lead nowhere.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "util.h"

struct proto_framer {
	char *buf;
	size_t len, cap;
	size_t start;	/* where the next message not yet handed out begins */
	size_t checked; /* where the message still open begins: before it, all end in a NUL */
	size_t max;
	bool failed;
};

int proto_framer__new(size_t max, struct proto_framer **out)
{
	struct proto_framer *f = calloc(1, sizeof(*f));

	if (!f)
		return slz_fail(ENOMEM, "out of memory");
	f->max = max;
	*out = f;
	return 0;
}

void proto_framer__free(struct proto_framer *f)
{
	if (!f)
		return;
	free(f->buf);
	free(f);
}

static int fail(struct proto_framer *f)
{
	f->failed = true;
	return slz_fail(EMSGSIZE, "a message longer than %zu bytes; the connection is closed",
			f->max);
}

int proto_framer__feed(struct proto_framer *f, const void *data, size_t len)
{
	size_t from;

	if (f->failed)
		return -EMSGSIZE;
	if (!len)
		return 0;
	/* What was handed out is gone; messages already returned become invalid here. */
	if (f->start) {
		memmove(f->buf, f->buf + f->start, f->len - f->start);
		f->len -= f->start;
		f->checked -= f->start;
		f->start = 0;
	}
	if (slz_grow((void **)&f->buf, &f->cap, f->len + len + 1, 1))
		return slz_fail(ENOMEM, "out of memory");
	from = f->len;
	memcpy(f->buf + f->len, data, len);
	f->len += len;
	for (const char *p = f->buf + from, *end = f->buf + f->len; p < end;) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		if (!nul)
			break;
		if ((size_t)(nul - (f->buf + f->checked)) > f->max)
			return fail(f);
		f->checked = (size_t)(nul - f->buf) + 1;
		p = nul + 1;
	}
	if (f->len - f->checked > f->max)
		return fail(f);
	return 0;
}

int proto_framer__next(struct proto_framer *f, const char **msg, size_t *len)
{
	const char *nul;

	if (f->failed)
		return -EMSGSIZE;
	if (f->start >= f->checked)
		return 0;
	nul = memchr(f->buf + f->start, '\0', f->checked - f->start);
	*msg = f->buf + f->start;
	*len = (size_t)(nul - *msg);
	f->start = (size_t)(nul - f->buf) + 1;
	return 1;
}

size_t proto_framer__pending(const struct proto_framer *f)
{
	return f->len - f->checked;
}
