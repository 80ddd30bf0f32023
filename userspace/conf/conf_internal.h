/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Inside the config parser: the conf under construction and the parser's state, shared by
 * conf.c (lines, sections, the last checks) and conf_keys.c (one key = value at a time).
 */
#ifndef SLIMZIP_CONF_INTERNAL_H
#define SLIMZIP_CONF_INTERNAL_H

#include "conf.h"

/* The keys of each section, in the order of conf_keys.c's tables (seen[] is indexed so). */
enum daemon_key {
	DK_STATE_DIR,
	DK_RUNTIME_DIR,
	DK_SOCKET,
	DK_GROUP,
	DK_LINGER,
	DK_MAX_TARGETS,
	DK_ALL,
	DK_COUNT
};
enum watch_key { WK_PARENT, WK_MATCH, WK_NAME, WK_FUNCTION, WK_LINGER, WK_COUNT };
enum function_key {
	FK_TREE,
	FK_OUTPUT,
	FK_TREE_PATH_AS,
	FK_KEEP,
	FK_DROP,
	FK_RULES,
	FK_MODES,
	FK_MTIME,
	FK_LEVEL,
	FK_KEEP_CREATED,
	FK_STRICT_HOST,
	FK_COMMAND,
	FK_RUNTIME,
	FK_LAYERS,
	FK_COUNT
};
#define CONF_KEYS_MAX FK_COUNT /* keys of the largest section */

struct strvec {
	char **v;
	size_t n, cap;
};

struct fn_entry {
	struct conf_function pub;
	unsigned int seen[CONF_KEYS_MAX]; /* the line each key was first given on, 0: not yet */
	struct strvec keep, drop, commands, layers; /* pointers into conf.strings */
};

struct watch_entry {
	struct conf_watch pub;
	unsigned int seen[CONF_KEYS_MAX];
	const char *function_name; /* resolved to pub.function once every section is read */
};

struct conf {
	struct conf_daemon daemon;
	unsigned int daemon_line; /* of [daemon], 0 when the file has none */
	unsigned int daemon_seen[CONF_KEYS_MAX];
	struct watch_entry **watches;
	size_t n_watches, cap_watches;
	struct fn_entry **functions;
	size_t n_functions, cap_functions;
	struct strvec strings; /* every string the conf owns */
	const char *file;      /* the name it was parsed under */
};

enum sect_type {
	SECT_NONE,
	SECT_DAEMON,
	SECT_WATCH,
	SECT_FUNCTION,
};

struct parser {
	struct conf *c;
	const char *file;     /* for messages */
	const char *base_dir; /* relative paths are joined to it; NULL: left as they are */
	enum conf_kind kind;
	const char *text; /* the whole file */
	size_t pos, len;
	unsigned int line; /* of the line handed to inih last */
	int err;	   /* the first error: parsing stops there */
	enum sect_type sect;
	void *cur; /* struct watch_entry or fn_entry of the current section */
	unsigned int *seen;
	const char *sect_name; /* NAME of [watch NAME] / [function NAME] */
};

/* "FILE:LINE: " and the rest; records the first error only. Returns p->err. */
int conf__error(struct parser *p, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A copy of s (len bytes) that c owns until conf__free. NULL when out of memory. */
char *conf__strndup(struct conf *c, const char *s, size_t len);
int strvec__push(struct strvec *v, char *s);
/* One key = value line of the current section (p->sect). 0 or p->err. */
int conf_key__set(struct parser *p, const char *key, const char *value);
/* Whether name is a valid NAME of [watch NAME] / [function NAME]. */
bool conf__valid_section_name(const char *name, size_t len);

#endif
