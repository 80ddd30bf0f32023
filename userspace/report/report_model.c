// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The report page's model, from a prune report, a verify report or profiles. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hashmap.h"
#include "host.h"
#include "prune_report.h"
#include "report_internal.h"
#include "resolve.h"
#include "util.h"

/* Enough of a file to tell a report from a profile: reports start with their schema member. */
#define DETECT_BYTES 4096

int report_input__detect(const char *path, enum report_input *kind)
{
	char buf[DETECT_BYTES + 1];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*kind = REPORT_INPUT_PROFILE;
	if (fd < 0)
		return slz_fail(errno, "cannot open %s: %s", path, strerror(errno));
	n = read(fd, buf, DETECT_BYTES);
	close(fd);
	if (n < 0)
		return slz_fail(errno, "cannot read %s: %s", path, strerror(errno));
	buf[n] = '\0';
	/* Both writers put the member that names the report first: no full parse needed. */
	if (!strncmp(buf, "{\"slimzip_report\":", 18))
		*kind = REPORT_INPUT_PRUNE;
	else if (!strncmp(buf, "{\"command\":\"verify\"", 19))
		*kind = REPORT_INPUT_VERIFY;
	return 0;
}

int report_model__new(struct report_model **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->zip_bytes = -1;
	return 0;
}

void report_model__free(struct report_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].path);
		free(m->files[i].why);
	}
	for (size_t i = 0; i < m->npk; i++) {
		free(m->pk[i].name);
		free(m->pk[i].kind);
	}
	for (size_t i = 0; i < m->ngroups; i++) {
		free(m->groups[i].package);
		free(m->groups[i].kind);
		free(m->groups[i].where);
		for (size_t j = 0; j < m->groups[i].nfiles; j++)
			free(m->groups[i].files[j]);
		free(m->groups[i].files);
	}
	free(m->files);
	free(m->pk);
	free(m->groups);
	free(m->tree);
	free(m->title);
	free(m->verdict);
	free(m);
}

size_t report_model__nfiles(const struct report_model *m)
{
	return m->nfiles;
}

static int add_file(struct report_model *m, const char *path, uint64_t bytes,
		    enum report_state state, const char *why)
{
	struct report_file *f;
	int err = slz_grow((void **)&m->files, &m->files_cap, m->nfiles + 1, sizeof(*m->files));

	if (err)
		return err;
	f = &m->files[m->nfiles];
	*f = (struct report_file){.path = strdup(path), .bytes = bytes, .state = state};
	f->why = why ? strdup(why) : NULL;
	if (!f->path || (why && !f->why)) {
		free(f->path);
		free(f->why);
		return -ENOMEM;
	}
	m->nfiles++;
	return 0;
}

/* json-c's accessors, typed: the member or NULL when absent or of another type. */
static json_object *member(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static uint64_t member_u64(json_object *o, const char *key)
{
	json_object *v = member(o, key, json_type_int);

	return v ? json_object_get_uint64(v) : 0;
}

static const char *member_str(json_object *o, const char *key)
{
	json_object *v = member(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

/*
 * json-c decodes the writer's \udcHH (a byte that is not UTF-8) to U+FFFD-like bytes or
 * keeps them as CESU: either way a C string; the page escapes it again.
 */
static json_object *parse(const char *buf, size_t len, const char *name)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *root;

	if (!tok)
		return NULL;
	root = json_tokener_parse_ex(tok, buf, (int)(len > INT32_MAX ? INT32_MAX : len));
	if (root && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		slz_fail(EBADMSG, "%s is not a slimzip report: not a JSON object", name);
		return NULL;
	}
	return root;
}

/* The reasons of a kept entry ("why": [...]) as one "a, b" string. */
static int join_why(json_object *arr, char **out)
{
	size_t n = arr ? json_object_array_length(arr) : 0, len = 1;
	char *s;

	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);

		len += (json_object_is_type(v, json_type_string) ? strlen(json_object_get_string(v))
								 : 0) +
		       2;
	}
	s = malloc(len);
	if (!s)
		return -ENOMEM;
	*s = '\0';
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(v, json_type_string))
			continue;
		if (*s)
			strcat(s, ", ");
		strcat(s, json_object_get_string(v));
	}
	*out = s;
	return 0;
}

static int add_entries(struct report_model *m, json_object *arr, enum report_state state)
{
	size_t n = arr ? json_object_array_length(arr) : 0;
	int err = 0;

	for (size_t i = 0; !err && i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i), *why;
		const char *path = member_str(e, "path"), *type = member_str(e, "type");
		char *joined = NULL;

		/* Files carry the bytes; directories and links would be empty cells. */
		if (!path || !type || strcmp(type, "file"))
			continue;
		why = NULL;
		if (state == REPORT_KEPT && (why = member(e, "why", json_type_array)))
			err = join_why(why, &joined);
		if (!err)
			err = add_file(m, path, member_u64(e, "size"), state,
				       state == REPORT_KEPT ? joined : member_str(e, "why"));
		free(joined);
	}
	return err;
}

static int add_packages(struct report_model *m, json_object *arr)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *name = member_str(e, "package"), *kind = member_str(e, "kind");
		struct report_package *p;
		int err;

		if (!name)
			continue;
		err = slz_grow((void **)&m->pk, &m->pk_cap, m->npk + 1, sizeof(*m->pk));
		if (err)
			return err;
		p = &m->pk[m->npk];
		*p = (struct report_package){
			.name = strdup(name),
			.kind = strdup(kind ? kind : ""),
			.kept_files = member_u64(e, "kept_files"),
			.kept_bytes = member_u64(e, "kept_bytes"),
			.dropped_files = member_u64(e, "dropped_files"),
			.dropped_bytes = member_u64(e, "dropped_bytes"),
		};
		if (!p->name || !p->kind) {
			free(p->name);
			free(p->kind);
			return -ENOMEM;
		}
		m->npk++;
	}
	return 0;
}

static int set_str(char **field, const char *s)
{
	free(*field);
	*field = s ? strdup(s) : NULL;
	return s && !*field ? -ENOMEM : 0;
}

int report_model__add_prune_json(struct report_model *m, const char *buf, size_t len,
				 const char *name)
{
	json_object *root = parse(buf, len, name), *v;
	int err;

	if (!root)
		return -EBADMSG;
	v = member(root, "slimzip_report", json_type_int);
	if (!v || json_object_get_int64(v) < 2 || json_object_get_int64(v) > PRUNE_REPORT_SCHEMA) {
		json_object_put(root);
		return slz_fail(EBADMSG,
				"%s is no prune report this slimzip reads (its slimzip_report "
				"schema must be 2..%d): write it again with prune --report",
				name, PRUNE_REPORT_SCHEMA);
	}
	if (m->has_prune || m->has_profile) {
		json_object_put(root);
		return slz_fail(EEXIST,
				"%s: give one prune report, or profiles, not both or two reports",
				name);
	}
	m->has_prune = true;
	err = set_str(&m->tree, member_str(root, "tree"));
	if (!err && member(root, "zip_bytes", json_type_int) && member_u64(root, "zip_bytes"))
		m->zip_bytes = (int64_t)member_u64(root, "zip_bytes");
	if (!err)
		err = add_entries(m, member(root, "kept", json_type_array), REPORT_KEPT);
	if (!err)
		err = add_entries(m, member(root, "dropped", json_type_array), REPORT_DROPPED);
	if (!err)
		err = add_packages(m, member(root, "packages", json_type_array));
	json_object_put(root);
	return err;
}

static int add_group(struct report_model *m, uint64_t round, json_object *g, json_object *missing)
{
	const char *pkg = member_str(g, "package"), *kind = member_str(g, "kind");
	size_t n = missing ? json_object_array_length(missing) : 0;
	struct report_group *rg;
	int err = slz_grow((void **)&m->groups, &m->groups_cap, m->ngroups + 1, sizeof(*m->groups));

	if (err)
		return err;
	rg = &m->groups[m->ngroups++];
	*rg = (struct report_group){.round = round};
	if (set_str(&rg->package, pkg ? pkg : "") || set_str(&rg->kind, kind ? kind : "") ||
	    set_str(&rg->where, member_str(g, "where")))
		return -ENOMEM;
	/* The group's files: the round's missing files of its package and kind. */
	rg->files = calloc(n ? n : 1, sizeof(*rg->files));
	if (!rg->files)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(missing, i);
		const char *p = member_str(e, "package"), *k = member_str(e, "package_kind");
		const char *path = member_str(e, "path");

		if (!path || !p || !k || strcmp(p, rg->package) || strcmp(k, rg->kind))
			continue;
		rg->files[rg->nfiles] = strdup(path);
		if (!rg->files[rg->nfiles++])
			return -ENOMEM;
	}
	return 0;
}

int report_model__add_verify_json(struct report_model *m, const char *buf, size_t len,
				  const char *name)
{
	json_object *root = parse(buf, len, name), *rounds;
	const char *cmd;
	int err = 0;

	if (!root)
		return -EBADMSG;
	cmd = member_str(root, "command");
	rounds = member(root, "rounds", json_type_array);
	if (!cmd || strcmp(cmd, "verify") || !rounds) {
		json_object_put(root);
		return slz_fail(EBADMSG,
				"%s is no verify report (no \"command\": \"verify\" with rounds): "
				"write it with verify --report",
				name);
	}
	if (m->has_verify) {
		json_object_put(root);
		return slz_fail(EEXIST, "%s: give one verify report, not two", name);
	}
	m->has_verify = true;
	if (!m->tree)
		err = set_str(&m->tree, member_str(root, "tree"));
	if (!err)
		err = set_str(&m->verdict, member_str(root, "verdict"));
	for (size_t i = 0; !err && i < json_object_array_length(rounds); i++) {
		json_object *r = json_object_array_get_idx(rounds, i);
		json_object *groups = member(r, "packages", json_type_array);
		json_object *missing = member(r, "missing", json_type_array);

		for (size_t j = 0; !err && groups && j < json_object_array_length(groups); j++)
			err = add_group(m, member_u64(r, "round"),
					json_object_array_get_idx(groups, j), missing);
	}
	json_object_put(root);
	return err;
}

/* Reports beyond this are refused rather than read: 1 GiB of JSON is no report of a tree. */
#define REPORT_MAX_BYTES (1ULL << 30)

int report_model__add_report(struct report_model *m, const char *path, enum report_input kind)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	if (!f)
		return slz_fail(errno, "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if ((err = slz_grow((void **)&buf, &cap, len + 65536 + 1, 1)))
			break;
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
		if (len > REPORT_MAX_BYTES) {
			err = slz_fail(EFBIG, "%s is larger than a report can be (1 GiB)", path);
			break;
		}
	}
	if (!err && ferror(f))
		err = slz_fail(EIO, "cannot read %s", path);
	fclose(f);
	if (!err)
		err = kind == REPORT_INPUT_PRUNE ? report_model__add_prune_json(m, buf, len, path)
						 : report_model__add_verify_json(m, buf, len, path);
	free(buf);
	return err == -ENOMEM ? slz_fail(ENOMEM, "out of memory reading %s", path) : err;
}

/* A profile's entry stands for a regular file it touched (not a failed lookup, no directory). */
static bool profile_file(const struct profile_entry *e)
{
	return (e->kinds & ~SLZ_KIND_MISSING) && !S_ISDIR(e->mode) &&
	       (!e->mode || S_ISREG(e->mode));
}

static int add_profile_tree(struct report_model *m, const struct profile *p, const struct tree *t)
{
	const char *recorded = profile__header_const(p)->boot_id;
	char now[64];
	struct resolve_opts o = {
		.match_inodes =
			recorded && !host__boot_id(now, sizeof(now)) && !strcmp(recorded, now),
	};
	size_t n = tree__count(t);
	uint8_t *used = calloc(n ? n : 1, 1);
	struct tree_entry te;
	int err = 0;

	if (!used)
		return -ENOMEM;
	/* The tree entry each profile entry stands for, as prune matches them. */
	for (size_t i = 0; i < profile__count(p); i++) {
		const struct profile_entry *e = profile__entry(p, i);
		bool by_inode;
		int64_t idx;

		if (!profile_file(e))
			continue;
		idx = resolve__entry(t, e, &o, &by_inode);
		if (idx == -ENOMEM) {
			free(used);
			return -ENOMEM;
		}
		if (idx > 0)
			used[idx] = 1;
	}
	slz_errclear();
	for (size_t i = 1; !err && i < n; i++) {
		if (tree__get(t, (uint32_t)i, &te) || !S_ISREG(te.mode))
			continue;
		err = add_file(m, te.path, te.size, used[i] ? REPORT_KEPT : REPORT_DROPPED,
			       used[i] ? "used" : "not-used");
	}
	free(used);
	if (!err)
		err = set_str(&m->tree, tree__root(t));
	return err;
}

int report_model__add_profile(struct report_model *m, const struct profile *p, const struct tree *t)
{
	int err = 0;

	if (m->has_prune)
		return slz_fail(EEXIST, "give one prune report, or profiles, not both");
	m->has_profile = true;
	if (t)
		err = add_profile_tree(m, p, t);
	for (size_t i = 0; !t && !err && i < profile__count(p); i++) {
		const struct profile_entry *e = profile__entry(p, i);
		char kinds[128];

		if (!profile_file(e))
			continue;
		profile__kinds_str(e->kinds, kinds, sizeof(kinds));
		err = add_file(m, e->path, e->size, REPORT_KEPT, kinds);
	}
	if (!err && !m->title)
		err = set_str(&m->title, profile__header_const(p)->command);
	return err ? err : report_model__packages_from_files(m, t);
}

static bool pk_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct report_model *m = ctx;

	return !strcmp(m->pk[idx].name, key);
}

int report_model__packages_from_files(struct report_model *m, const struct tree *t)
{
	struct idxmap *index = NULL;
	int err = idxmap__new(&index);

	for (size_t i = 0; i < m->npk; i++) {
		free(m->pk[i].name);
		free(m->pk[i].kind);
	}
	m->npk = 0;
	for (size_t i = 0; !err && i < m->nfiles; i++) {
		const struct report_file *f = &m->files[i];
		/* A profile's absolute paths are named from below the root. */
		const char *rel = f->path + (f->path[0] == '/');
		enum hostdep_kind kind = HOSTDEP_TOP_FILE;
		char *name = *rel ? prune_report__package_name(t, rel, &kind) : strdup("/");
		uint64_t h;
		int64_t at;

		if (!name) {
			err = -ENOMEM;
			break;
		}
		h = slz_hash_bytes(name, strlen(name), 0);
		at = idxmap__find(index, h, pk_eq, name, m);
		if (at < 0) {
			err = slz_grow((void **)&m->pk, &m->pk_cap, m->npk + 1, sizeof(*m->pk));
			if (!err)
				err = idxmap__insert(index, h, (uint32_t)m->npk);
			if (err) {
				free(name);
				break;
			}
			at = (int64_t)m->npk;
			m->pk[m->npk++] = (struct report_package){
				.name = name, .kind = strdup(hostdeps__kind_name(kind))};
			if (!m->pk[at].kind)
				err = -ENOMEM;
		} else {
			free(name);
		}
		if (f->state == REPORT_KEPT) {
			m->pk[at].kept_files++;
			m->pk[at].kept_bytes += f->bytes;
		} else {
			m->pk[at].dropped_files++;
			m->pk[at].dropped_bytes += f->bytes;
		}
	}
	idxmap__free(index);
	return err;
}
