// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The config parser: lines and sections here, keys in conf_keys.c.
 *
 * inih splits "key = value" lines, trims them and strips comments; everything else that
 * decides what a line means happens in our reader, which hands inih one line per call (so
 * inih's line count is ours):
 *  - Leading blanks go before inih sees a line: Debian builds inih with multi-line values,
 *    where an indented line continues the previous key, which would read as a repeated key.
 *    An indented line is an ordinary line here.
 *  - Section headers are parsed by us and reach inih as blank lines: inih cuts section names
 *    at 49 bytes without a word (two long names would then collide) and calls nobody for an
 *    empty section, so a duplicate empty section would go unnoticed.
 *  - A line longer than inih's buffer is refused: inih would silently read its end as the
 *    next line.
 *  - A line that is neither comment, header nor "key = value" is refused with our words.
 * inih's own options are process-wide variables in Debian's build; we read none and set none.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Debian's libinih is built with INI_HANDLER_LINENO=1: its handlers take the line number. */
#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "conf_internal.h"
#include "pathutil.h"
#include "util.h"

/* A config or manifest is a few KiB; anything this large is not one. */
#define CONF_FILE_MAX (1u << 20)

int conf__error(struct parser *p, unsigned int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (p->err)
		return p->err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->err = slz_fail(EINVAL, "%s:%u: %s", p->file, line, msg);
	return p->err;
}

char *conf__strndup(struct conf *c, const char *s, size_t len)
{
	char *d = strndup(s, len);

	if (d && strvec__push(&c->strings, d)) {
		free(d);
		d = NULL;
	}
	return d;
}

int strvec__push(struct strvec *v, char *s)
{
	if (slz_grow((void **)&v->v, &v->cap, v->n + 1, sizeof(*v->v)))
		return -ENOMEM;
	v->v[v->n++] = s;
	return 0;
}

bool conf__valid_section_name(const char *name, size_t len)
{
	if (!len || len > CONF_SECTION_NAME_MAX || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._@+-", name[i]))
			return false;
	return true;
}

/* inih's rule for where a value (or a key) ends: at one of chars, or a ';' after a blank. */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static const char *sect_word(enum sect_type t)
{
	return t == SECT_WATCH ? "watch" : "function";
}

static int defined_again(struct parser *p, enum sect_type t, const char *name, unsigned int first)
{
	return conf__error(
		p, p->line,
		"[%s %s] is defined again (first at line %u); give each %s a name of its "
		"own",
		sect_word(t), name, first, sect_word(t));
}

/* A zeroed entry of size bytes appended to the list *items (n, cap); NULL: out of memory. */
static void *add_entry(void ***items, size_t *n, size_t *cap, size_t size)
{
	void *e = calloc(1, size);

	if (!e || slz_grow((void **)items, cap, *n + 1, sizeof(**items))) {
		free(e);
		return NULL;
	}
	(*items)[(*n)++] = e;
	return e;
}

static int new_section(struct parser *p, enum sect_type t, const char *name, size_t len)
{
	struct conf *c = p->c;
	char *copy;

	if (!conf__valid_section_name(name, len))
		return conf__error(p, p->line,
				   "[%s %.*s]: the name must be 1 to %d letters, digits or ._@+- "
				   "(not . or ..); rename the section",
				   sect_word(t), (int)len, name, CONF_SECTION_NAME_MAX);
	copy = conf__strndup(c, name, len);
	if (!copy)
		return p->err = -ENOMEM;
	if (t == SECT_WATCH) {
		struct watch_entry *w;

		for (size_t i = 0; i < c->n_watches; i++)
			if (!strcmp(c->watches[i]->pub.name, copy))
				return defined_again(p, t, copy, c->watches[i]->pub.line);
		w = add_entry((void ***)&c->watches, &c->n_watches, &c->cap_watches, sizeof(*w));
		if (!w)
			return p->err = -ENOMEM;
		w->pub.name = copy;
		w->pub.line = p->line;
		p->cur = w;
		p->seen = w->seen;
	} else {
		struct fn_entry *f;

		for (size_t i = 0; i < c->n_functions; i++)
			if (!strcmp(c->functions[i]->pub.name, copy))
				return defined_again(p, t, copy, c->functions[i]->pub.line);
		f = add_entry((void ***)&c->functions, &c->n_functions, &c->cap_functions,
			      sizeof(*f));
		if (!f)
			return p->err = -ENOMEM;
		f->pub.name = copy;
		f->pub.line = p->line;
		p->cur = f;
		p->seen = f->seen;
	}
	p->sect = t;
	p->sect_name = copy;
	return 0;
}

/* "[...]" at the start of line (blanks stripped already). */
static int section_header(struct parser *p, const char *line)
{
	const char *close = strchr(line, ']'), *word, *name, *end, *rest;
	size_t wlen, nlen;

	if (!close)
		return conf__error(p, p->line,
				   "'%s' has no closing ']'; write [daemon], [watch NAME] or "
				   "[function NAME]",
				   line);
	for (rest = close + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest && *rest != ';' && *rest != '#')
		return conf__error(
			p, p->line,
			"text after the section header: '%s'; put it on a line of its own", rest);
	for (word = line + 1; word < close && isspace((unsigned char)*word); word++)
		;
	for (end = word; end < close && !isspace((unsigned char)*end); end++)
		;
	wlen = (size_t)(end - word);
	for (name = end; name < close && isspace((unsigned char)*name); name++)
		;
	for (end = close; end > name && isspace((unsigned char)end[-1]); end--)
		;
	nlen = (size_t)(end - name);

	if (wlen == 6 && !memcmp(word, "daemon", 6) && p->kind == CONF_DAEMON) {
		if (nlen)
			return conf__error(p, p->line,
					   "[daemon] takes no name; write [daemon] alone");
		if (p->c->daemon_line)
			return conf__error(
				p, p->line,
				"[daemon] is defined again (first at line %u); merge the "
				"two sections",
				p->c->daemon_line);
		p->c->daemon_line = p->line;
		p->sect = SECT_DAEMON;
		p->cur = &p->c->daemon;
		p->seen = p->c->daemon_seen;
		p->sect_name = NULL;
		return 0;
	}
	if ((wlen == 5 && !memcmp(word, "watch", 5) && p->kind == CONF_DAEMON) ||
	    (wlen == 8 && !memcmp(word, "function", 8))) {
		enum sect_type t = wlen == 5 ? SECT_WATCH : SECT_FUNCTION;

		if (!nlen)
			return conf__error(p, p->line, "[%s] needs a name: write [%s NAME]",
					   sect_word(t), sect_word(t));
		return new_section(p, t, name, nlen);
	}
	if (p->kind != CONF_DAEMON)
		return conf__error(p, p->line,
				   "unknown section [%.*s]; a batch manifest holds [function NAME] "
				   "sections only",
				   (int)(close - line - 1), line + 1);
	return conf__error(p, p->line,
			   "unknown section [%.*s]; sections are [daemon], [watch NAME] and "
			   "[function NAME]",
			   (int)(close - line - 1), line + 1);
}

/* inih's reader: the next line into str (at most num bytes with its NUL), or NULL at the end. */
static char *read_line(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *s, *nl;
	size_t n;

	if (p->err || p->pos >= p->len)
		return NULL;
	s = p->text + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += n + (nl ? 1 : 0);
	p->line++;
	if (memchr(s, '\0', n)) {
		conf__error(p, p->line, "the line holds a NUL byte; this is not a text file");
		return NULL;
	}
	if (p->line == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
		s += 3;
		n -= 3;
	}
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	/* inih wants 3 bytes beyond the longest line (its own "\r\n" and NUL). */
	if (num < 4 || n > (size_t)num - 3) {
		conf__error(p, p->line,
			    "the line is %zu bytes long, more than the %d this parser reads; "
			    "shorten it (a long command can live in a script)",
			    n, num - 3);
		return NULL;
	}
	memcpy(str, s, n);
	str[n] = '\0';
	if (str[0] == '[') {
		if (section_header(p, str))
			return NULL;
		str[0] = '\0';
	} else if (str[0] && str[0] != ';' && str[0] != '#') {
		const char *sep = find_chars_or_comment(str, "=:");

		if (*sep != '=' && *sep != ':') {
			conf__error(p, p->line,
				    "'%s' is neither a [section] nor a key = value line; fix or "
				    "remove it ('#' starts a comment)",
				    str);
			return NULL;
		}
		if (sep == str) {
			conf__error(p, p->line, "'%s' has no key before '%c'; write key = value",
				    str, *sep);
			return NULL;
		}
	}
	return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value, int lineno)
{
	struct parser *p = user;

	if (p->err)
		return 1;
	if (p->sect == SECT_NONE) {
		conf__error(p, p->line, "'%s' is outside any section; put it under %s", name,
			    p->kind != CONF_DAEMON ? "a [function NAME] section"
						   : "[daemon], [watch NAME] or [function NAME]");
		return 1;
	}
	conf_key__set(p, name, value);
	/* Our errors are in p; a 0 would only make inih report the line once more. */
	return 1;
}

/* The checks that need the whole file, in the order of the sections' lines. */
static int check_function(struct parser *p, struct fn_entry *f)
{
	f->pub.keep = (const char *const *)f->keep.v;
	f->pub.n_keep = f->keep.n;
	f->pub.drop = (const char *const *)f->drop.v;
	f->pub.n_drop = f->drop.n;
	f->pub.commands = (const char *const *)f->commands.v;
	f->pub.n_commands = f->commands.n;
	f->pub.layers = (const char *const *)f->layers.v;
	f->pub.n_layers = f->layers.n;
	/* Beside a SAM template, the template says where a function's code is. */
	if (!f->pub.tree && p->kind != CONF_SAM_COMMANDS)
		return conf__error(p, f->pub.line,
				   "[function %s] has no tree; add tree = the directory to prune",
				   f->pub.name);
	if (p->kind != CONF_DAEMON && !f->pub.n_commands)
		return conf__error(p, f->pub.line,
				   "[function %s] has no command; add command = what runs its "
				   "workload (repeatable)",
				   f->pub.name);
	return 0;
}

static int check_watch(struct parser *p, struct watch_entry *w)
{
	struct conf *c = p->c;

	if (!w->pub.parent)
		return conf__error(p, w->pub.line,
				   "[watch %s] has no parent; add parent = the cgroup whose new "
				   "children it follows (e.g. /system.slice/runner.service)",
				   w->pub.name);
	if (!w->pub.match)
		w->pub.match = "*";
	if (!w->pub.name_template)
		w->pub.name_template = "{name}";
	if (!w->seen[WK_LINGER]) /* [daemon]'s, wherever [daemon] is in the file */
		w->pub.linger = c->daemon.linger;
	if (w->function_name) {
		w->pub.function = conf__find_function(c, w->function_name);
		if (!w->pub.function)
			return conf__error(p, w->seen[WK_FUNCTION],
					   "[watch %s] names function '%s', which no [function] "
					   "section defines; add [function %s] or fix the name",
					   w->pub.name, w->function_name, w->function_name);
	}
	return 0;
}

static int finish(struct parser *p)
{
	struct conf *c = p->c;
	struct conf_daemon *d = &c->daemon;
	size_t wi = 0, fi = 0;
	int err = 0;

	if (!d->state_dir)
		d->state_dir = CONF_DEFAULT_STATE_DIR;
	if (!d->runtime_dir)
		d->runtime_dir = CONF_DEFAULT_RUNTIME_DIR;
	if (!d->socket) {
		size_t len = strlen(d->runtime_dir) + sizeof("/" CONF_SOCKET_NAME);
		char *s = malloc(len);

		if (!s || strvec__push(&c->strings, s)) {
			free(s);
			return -ENOMEM;
		}
		snprintf(s, len, "%s/%s", strcmp(d->runtime_dir, "/") ? d->runtime_dir : "",
			 CONF_SOCKET_NAME);
		d->socket = s;
	}
	/* Merge by line, so the problem reported is the first of the file. */
	while (!err && (wi < c->n_watches || fi < c->n_functions)) {
		if (fi == c->n_functions ||
		    (wi < c->n_watches && c->watches[wi]->pub.line < c->functions[fi]->pub.line))
			err = check_watch(p, c->watches[wi++]);
		else
			err = check_function(p, c->functions[fi++]);
	}
	return err;
}

static int parse(struct parser *p, struct conf **out)
{
	struct conf *c = calloc(1, sizeof(*c));
	int ret;

	*out = NULL;
	if (!c)
		return slz_fail(ENOMEM, "out of memory reading %s", p->file);
	c->daemon.linger = CONF_DEFAULT_LINGER;
	c->daemon.max_targets = CONF_MAX_TARGETS;
	p->c = c;
	/* Kept for what is checked after the parse (conf__apply_sam's FILE:LINE). */
	c->file = conf__strndup(c, p->file, strlen(p->file));
	if (!c->file) {
		conf__free(c);
		return slz_fail(ENOMEM, "out of memory reading %s", p->file);
	}
	ret = ini_parse_stream(read_line, p, on_key, p);
	if (!p->err && ret > 0)
		/* A line our reader let through and inih refused: nothing we know of. */
		conf__error(p, (unsigned int)ret, "inih cannot read this line; fix or remove it");
	else if (!p->err && ret < 0)
		p->err = slz_fail(ENOMEM, "out of memory reading %s", p->file);
	if (!p->err)
		p->err = finish(p);
	if (p->err == -ENOMEM)
		slz_fail(ENOMEM, "out of memory reading %s", p->file);
	if (p->err) {
		conf__free(c);
		return p->err;
	}
	*out = c;
	return 0;
}

int conf__parse_string(const char *text, const char *name, const char *base_dir,
		       enum conf_kind kind, struct conf **out)
{
	struct parser p = {
		.file = name,
		.base_dir = base_dir,
		.kind = kind,
		.text = text,
		.len = strlen(text),
	};

	return parse(&p, out);
}

/* The directory of path as an absolute path (malloc'd): relative paths in the file start there. */
static int file_dir(const char *path, char **out)
{
	const char *slash = strrchr(path, '/');
	char cwd[PATH_MAX], *dir;
	size_t dlen = slash ? (size_t)(slash - path) : 0;

	if (path[0] == '/') {
		dir = strndup(path, dlen ? dlen : 1);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return slz_fail(errno, "cannot find the current directory: %s",
					strerror(errno));
		if (asprintf(&dir, "%s/%.*s", cwd, (int)dlen, path) < 0)
			dir = NULL;
	}
	if (!dir)
		return -ENOMEM;
	path__clean(dir);
	*out = dir;
	return 0;
}

int conf__parse_file(const char *path, enum conf_kind kind, struct conf **out)
{
	struct parser p = {.file = path, .kind = kind};
	char *text = NULL, *dir = NULL;
	size_t cap = 0, len = 0;
	FILE *f;
	int err;

	*out = NULL;
	f = fopen(path, "re");
	if (!f)
		return slz_fail(errno, "cannot open config '%s': %s", path, strerror(errno));
	for (;;) {
		size_t n;

		if (slz_grow((void **)&text, &cap, len + 4096 + 1, 1)) {
			err = slz_fail(ENOMEM, "out of memory reading %s", path);
			goto out;
		}
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
		if (len > CONF_FILE_MAX) {
			err = slz_fail(EFBIG,
				       "config '%s' is larger than %u bytes; is it the right file?",
				       path, CONF_FILE_MAX);
			goto out;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		err = slz_fail(EIO, "cannot read config '%s'", path);
		goto out;
	}
	err = file_dir(path, &dir);
	if (err)
		goto out;
	p.text = text;
	p.len = len;
	p.base_dir = dir;
	err = parse(&p, out);
out:
	fclose(f);
	free(text);
	free(dir);
	return err;
}

void conf__free(struct conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_watches; i++)
		free(c->watches[i]);
	for (size_t i = 0; i < c->n_functions; i++) {
		free(c->functions[i]->keep.v);
		free(c->functions[i]->drop.v);
		free(c->functions[i]->commands.v);
		free(c->functions[i]->layers.v);
		free(c->functions[i]);
	}
	for (size_t i = 0; i < c->strings.n; i++)
		free(c->strings.v[i]);
	free(c->strings.v);
	free(c->watches);
	free(c->functions);
	free(c);
}

const struct conf_daemon *conf__daemon(const struct conf *c)
{
	return &c->daemon;
}

size_t conf__watch_count(const struct conf *c)
{
	return c->n_watches;
}

const struct conf_watch *conf__watch(const struct conf *c, size_t i)
{
	return i < c->n_watches ? &c->watches[i]->pub : NULL;
}

size_t conf__function_count(const struct conf *c)
{
	return c->n_functions;
}

const struct conf_function *conf__function(const struct conf *c, size_t i)
{
	return i < c->n_functions ? &c->functions[i]->pub : NULL;
}

const struct conf_function *conf__find_function(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_functions; i++)
		if (!strcmp(c->functions[i]->pub.name, name))
			return &c->functions[i]->pub;
	return NULL;
}
