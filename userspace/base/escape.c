// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "util.h"

int escape__text(FILE *f, const char *s, size_t len, bool escape_space)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f || (escape_space && c == ' '))
				fprintf(f, "\\x%02x", c);
			else
				fputc(c, f);
		}
	}
	return ferror(f) ? -EIO : 0;
}

/* The one-letter escapes both formats share; -1 for any other letter. */
static int control_escape(char c)
{
	switch (c) {
	case '\\':
		return '\\';
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case 'r':
		return '\r';
	default:
		return -1;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long escape__text_decode(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		if (control_escape(r[1]) >= 0) {
			*w++ = (char)control_escape(*++r);
			continue;
		}
		switch (*++r) {
		case 'x': {
			int hi = hexval(r[1]), lo = hi >= 0 ? hexval(r[2]) : -1;

			if (hi < 0 || lo < 0)
				return -EINVAL;
			*w++ = (char)(hi << 4 | lo);
			r += 2;
			break;
		}
		default:
			return -EINVAL;
		}
	}
	*w = '\0';
	return w - s;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when it is not valid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values past U+10FFFF are not valid UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool escape__is_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0, n; i < len; i += n) {
		n = utf8_len(p + i, len - i);
		if (!n)
			return false;
	}
	return true;
}

/* The escaped form of the character at p (n bytes left) into out (at least 16 bytes). */
static size_t term_char(const unsigned char *p, size_t n, bool backslash, char *out, size_t *used)
{
	size_t len = utf8_len(p, n);

	*used = len ? len : 1;
	switch (p[0]) {
	case '\\':
		return (size_t)sprintf(out, backslash ? "\\\\" : "\\");
	case '\n':
		return (size_t)sprintf(out, "\\n");
	case '\t':
		return (size_t)sprintf(out, "\\t");
	case '\r':
		return (size_t)sprintf(out, "\\r");
	}
	if (!len || p[0] < 0x20 || p[0] == 0x7f)
		return (size_t)sprintf(out, "\\x%02x", p[0]);
	/* C1 controls: U+0080..U+009F, encoded c2 80..c2 9f. */
	if (len == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return (size_t)sprintf(out, "\\x%02x\\x%02x", p[0], p[1]);
	memcpy(out, p, len);
	return len;
}

int escape__term(FILE *f, const char *s, size_t len, bool backslash)
{
	const unsigned char *p = (const unsigned char *)s;
	char out[16];

	for (size_t i = 0, used; i < len; i += used)
		fwrite(out, 1, term_char(p + i, len - i, backslash, out, &used), f);
	return ferror(f) ? -EIO : 0;
}

int escape__json(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		size_t n;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f);
			i++;
		} else if (c == '\t') {
			fputs("\\t", f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else if ((n = utf8_len(p + i, len - i)) > 0) {
			fwrite(p + i, 1, n, f);
			i += n;
		} else {
			fprintf(f, "\\udc%02x", c);
			i++;
		}
	}
	fputc('"', f);
	return ferror(f) ? -EIO : 0;
}

static int put_utf8(char *w, uint32_t cp)
{
	if (cp < 0x80) {
		w[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		w[0] = (char)(0xc0 | cp >> 6);
		w[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		w[0] = (char)(0xe0 | cp >> 12);
		w[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		w[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	w[0] = (char)(0xf0 | cp >> 18);
	w[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	w[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	w[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int read_u16(const char *r, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval(r[i]);

		if (h < 0)
			return -EINVAL;
		v = v << 4 | (uint32_t)h;
	}
	*out = v;
	return 0;
}

int escape__json_decode(const char **p, char **out, size_t *out_len)
{
	const char *r = *p, *end;
	char *buf, *w;

	if (*r != '"')
		return -EINVAL;
	/* Decoding never grows the text, so the literal's length bounds the output. */
	for (end = r + 1; *end && *end != '"'; end++) {
		if (*end == '\\' && end[1])
			end++;
	}
	if (*end != '"')
		return -EINVAL;
	buf = malloc((size_t)(end - r) + 1);
	if (!buf)
		return -ENOMEM;
	w = buf;
	for (r++; r < end; r++) {
		uint32_t cp, lo;

		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		if (control_escape(r[1]) >= 0) {
			*w++ = (char)control_escape(*++r);
			continue;
		}
		switch (*++r) {
		case '"':
		case '/':
			*w++ = *r;
			break;
		case 'b':
			*w++ = '\b';
			break;
		case 'f':
			*w++ = '\f';
			break;
		case 'u':
			if (read_u16(r + 1, &cp))
				goto bad;
			r += 4;
			if (cp >= 0xdc80 && cp <= 0xdcff) {
				*w++ = (char)(cp & 0xff); /* an escaped raw byte */
			} else if (cp >= 0xd800 && cp <= 0xdbff) {
				if (r[1] != '\\' || r[2] != 'u' || read_u16(r + 3, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					goto bad;
				r += 6;
				w += put_utf8(w, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				goto bad;
			} else {
				w += put_utf8(w, cp);
			}
			break;
		default:
			goto bad;
		}
	}
	*w = '\0';
	*out = buf;
	*out_len = (size_t)(w - buf);
	*p = end + 1;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}
