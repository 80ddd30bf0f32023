/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --keep GLOB, --drop GLOB (both repeatable) and --keep-from FILE.
 *
 * Patterns match tree-relative paths ("lib/x.py", never a leading '/'), gitignore style:
 *   - '*' matches any run of characters, '?' one character (a whole UTF-8 sequence), and
 *     "[...]" one character of a set: ranges "a-z", negation "[!...]" or "[^...]", a leading
 *     ']' taken literally, classes "[:alpha:]" (alnum alpha blank cntrl digit graph lower print
 *     punct space upper xdigit). None of them ever matches '/'; a leading '.' is not special
 *     ("*" matches ".env").
 *   - '\' makes the next character literal ("\*", "\[", "\ ", "\#", "\!").
 *   - "**" as a whole component matches any number of whole components, zero included.
 *     (Examples are written with spaces around "**" because a C comment cannot hold them.)
 *     "a/ ** /b" matches a/b and a/x/y/b; "** /x.py" matches x.py at any depth; a trailing
 *     "dir/ **" matches everything inside dir but not dir itself. "**" inside a component
 *     ("a**b") is an ordinary '*'.
 *   - A pattern without a '/' matches the last component at any depth ("*.pyc",
 *     "__pycache__"). A pattern with a '/' before its end is anchored at the tree root, and a
 *     leading '/' (or "./") anchors one without: "/setup.py" matches only the top-level file.
 *   - A trailing '/' restricts the pattern to directories ("build/").
 *   - A pattern that matches a directory applies to everything under it.
 *   - Components "." and "..", an empty pattern, an unclosed '[', an unknown "[:class:]", a
 *     trailing lone '\' and a leading '!' (gitignore's negation: use --drop) are rejected with
 *     -EINVAL and a message naming the pattern.
 *
 * --keep-from reads one pattern per line; blank lines and lines whose first non-blank
 * character is '#' are ignored; leading and trailing blanks are trimmed ("\ " keeps one);
 * errors name FILE:LINE.
 *
 * Order of application: globs__apply_keep() with the other keep sources, globs__apply_drop()
 * last of all, because a drop wins over every reason to keep (the directory completion and
 * symlink closure must not run after it, or they could bring an ancestor or link back).
 */
#ifndef SLIMZIP_GLOBS_H
#define SLIMZIP_GLOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keepset.h"

enum glob_action {
	GLOB_KEEP = 0,
	GLOB_DROP = 1,
};

struct globs;

int globs__new(struct globs **out);
void globs__free(struct globs *g); /* NULL-safe */
/* Compile and append one pattern. 0, -EINVAL (slz_errmsg names the pattern), -ENOMEM. */
int globs__add(struct globs *g, enum glob_action action, const char *pattern);
/* Append every pattern of a --keep-from style file. -errno; messages name FILE:LINE. */
int globs__add_file(struct globs *g, enum glob_action action, const char *path);

/*
 * The --keep-from line that matches relpath (tree-relative) and nothing else: anchored with a
 * leading '/', every '*', '?', '[', '\' and blank escaped. A newline or carriage return, which
 * no line can hold, becomes '?' (any one character), so the line matches relpath and at most
 * names that differ from it there. malloc'd into *out; 0, -EINVAL for an empty path, -ENOMEM.
 */
int globs__literal(const char *relpath, char **out);

size_t globs__count(const struct globs *g);
/* Pattern i as the user wrote it, its action, and how many tree entries it matched directly in
 * the last apply of that action (0 hits deserve a warning: probably a typo). */
const char *globs__pattern(const struct globs *g, size_t i);
enum glob_action globs__action(const struct globs *g, size_t i);
uint64_t globs__hits(const struct globs *g, size_t i);

/*
 * Keep (KEEP_GLOB) every entry a keep pattern matches, and everything under a matched
 * directory. *matched (NULL allowed) counts the entries matched. 0 or -errno.
 */
int globs__apply_keep(struct globs *g, struct keepset *k, uint64_t *matched);
/* Remove every entry a drop pattern matches, and everything under it. *removed (NULL allowed)
 * counts entries that had been kept. 0 or -errno. */
int globs__apply_drop(struct globs *g, struct keepset *k, uint64_t *removed);

/*
 * One pattern against one relative path, with the rules above (an ancestor match counts; every
 * ancestor is taken as a directory, the path itself is one when is_dir). 1 match, 0 no match,
 * -EINVAL for an invalid pattern. For the unit and fuzz tests: the matching rules on their own,
 * without a tree.
 */
int globs__match(const char *pattern, const char *relpath, bool is_dir);

#endif
