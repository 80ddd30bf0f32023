// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* verify --layer: Lambda layers at /opt for the proof and diagnosis runs (verify_layer.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "lambda_layout.h"
#include "util.h"
#include "verify.h"
#include "verify_layer.h"

extern char **environ;

static int list_add(char ***v, size_t *n, const char *fmt, const char *arg)
{
	char *s;
	char **grown = realloc(*v, (*n + 1) * sizeof(**v));

	if (!grown)
		return -ENOMEM;
	*v = grown;
	if (asprintf(&s, fmt, arg) < 0)
		return -ENOMEM;
	(*v)[(*n)++] = s;
	return 0;
}

static int name_cmp_desc(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The subdirectories of dir/sub whose names start with prefix, newest version first (by name:
 * node22 before node20), each as fmt made of the name.
 */
static int list_versions(const char *dir, const char *sub, const char *prefix, const char *fmt,
			 char ***v, size_t *n)
{
	char path[4096];
	size_t first = *n;
	struct dirent *de;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	if (!d)
		return 0; /* the layers have none */
	while (!err && (de = readdir(d))) {
		/* python3.11, node22: a version number follows the prefix. */
		if (!strncmp(de->d_name, prefix, strlen(prefix)) &&
		    isdigit((unsigned char)de->d_name[strlen(prefix)]))
			err = list_add(v, n, fmt, de->d_name);
	}
	closedir(d);
	if (!err && *n - first > 1)
		qsort(*v + first, *n - first, sizeof(**v), name_cmp_desc);
	return err;
}

/* The search directories in the layers, in the order the runtimes search them. */
static int find_search_dirs(struct layers *l)
{
	int err = list_versions(l->dir, "python/lib", "python3.", "python/lib/%s/site-packages",
				&l->py, &l->npy);

	if (!err)
		err = list_add(&l->py, &l->npy, "%s", LAMBDA_PYTHON_DIR);
	if (!err)
		err = list_versions(l->dir, "nodejs", "node", "nodejs/%s/node_modules", &l->node,
				    &l->nnode);
	if (!err)
		err = list_add(&l->node, &l->nnode, "%s", LAMBDA_NODE_DIR);
	return err;
}

/* "NAME=" + what the caller's environment has + ':' + the layer paths: one entry of envp. */
static int make_var(const char *name, char *const *dirs, size_t n, char **out)
{
	const char *old = getenv(name);
	size_t len = strlen(name) + 2 + (old ? strlen(old) + 1 : 0);
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(LAYER_MOUNT) + 1 + strlen(dirs[i]) + 1;
	s = malloc(len);
	if (!s)
		return -ENOMEM;
	p = s + sprintf(s, "%s=%s", name, old && *old ? old : "");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s/%s", (old && *old) || i ? ":" : "", LAYER_MOUNT, dirs[i]);
	*out = s;
	return 0;
}

static int make_env(struct layers *l)
{
	static const char *const names[LAYER_VARS] = {"PYTHONPATH", "NODE_PATH", "LD_LIBRARY_PATH",
						      "PATH"};
	char *lib[] = {"lib"}, *bin[] = {"bin"};
	size_t n = 0, out = 0;
	int err;

	err = make_var(names[0], l->py, l->npy, &l->vars[0]);
	if (!err)
		err = make_var(names[1], l->node, l->nnode, &l->vars[1]);
	if (!err)
		err = make_var(names[2], lib, 1, &l->vars[2]);
	if (!err)
		err = make_var(names[3], bin, 1, &l->vars[3]);
	if (err)
		return err;
	while (environ && environ[n])
		n++;
	l->envp = calloc(n + LAYER_VARS + 1, sizeof(*l->envp));
	if (!l->envp)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		bool ours = false;

		for (size_t k = 0; k < LAYER_VARS && !ours; k++) {
			size_t len = strlen(names[k]);

			ours = !strncmp(environ[i], names[k], len) && environ[i][len] == '=';
		}
		if (!ours)
			l->envp[out++] = environ[i];
	}
	for (size_t k = 0; k < LAYER_VARS; k++)
		l->envp[out++] = l->vars[k];
	return 0;
}

int layers__prepare(const struct verify_opts *o, const char *parent, uint64_t max_bytes,
		    struct layers *l)
{
	EXTRACT_OPTS(eo, .max_bytes = max_bytes, .replace = true);
	struct stat st;
	int err;

	memset(l, 0, sizeof(*l));
	l->lock_fd = -1;
	if (!o->nlayers)
		return 0;
	if (o->nlayers > VERIFY_MAX_LAYERS)
		return slz_fail(EINVAL, "%zu layers: Lambda takes at most %d per function",
				o->nlayers, VERIFY_MAX_LAYERS);
	/* The mount point is the host's: verify makes nothing outside its own directories. */
	if (stat(LAYER_MOUNT, &st) || !S_ISDIR(st.st_mode))
		return slz_fail(ENOTDIR,
				"--layer needs a directory %s to mount the layers over (it stays "
				"as it is outside the runs); create it",
				LAYER_MOUNT);
	err = verify__mkdtemp(parent, &l->dir, &l->lock_fd);
	for (size_t i = 0; !err && i < o->nlayers; i++) {
		err = extract__zip(o->layers[i], l->dir, &eo);
		if (err)
			err = slz_fail(-err, "layer %s: %s", o->layers[i], slz_errmsg());
	}
	/* Lambda's /opt reads like any directory to the function's user. */
	if (!err && chmod(l->dir, 0755))
		err = slz_fail(errno, "cannot open up %s: %s", l->dir, strerror(errno));
	if (!err)
		err = find_search_dirs(l);
	if (!err)
		err = make_env(l);
	if (err) {
		if (err == -ENOMEM)
			slz_fail(ENOMEM, "out of memory");
		layers__release(l);
	}
	return err;
}

static void list_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void layers__release(struct layers *l)
{
	if (!l)
		return;
	if (l->dir) {
		extract__remove(l->dir);
		free(l->dir);
	}
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	free(l->envp);
	for (size_t k = 0; k < LAYER_VARS; k++)
		free(l->vars[k]);
	list_free(l->py, l->npy);
	list_free(l->node, l->nnode);
	memset(l, 0, sizeof(*l));
	l->lock_fd = -1;
}

int layers__enter(const struct layers *l)
{
	if (!l || !l->dir)
		return 0;
	if (mount(l->dir, LAYER_MOUNT, NULL, MS_BIND | MS_REC, NULL))
		return -errno;
	if (mount(NULL, LAYER_MOUNT, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL))
		return -errno;
	/* This child's own environment: execvp passes environ on. No allocation here. */
	environ = l->envp;
	return 0;
}

static bool has(const struct layers *l, const char *sub, const char *rel)
{
	char path[8192];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", l->dir, sub, rel) >= sizeof(path))
		return false;
	return !lstat(path, &st);
}

bool layers__provide(const struct layers *l, const char *rel)
{
	enum lambda_area areas[2];
	size_t n;

	if (!l || !l->dir || !*rel)
		return false;
	/*
	 * Where lambda_layout.h says a layer puts it: a tree's node_modules/X in the layer's
	 * nodejs/node_modules/X (or a versioned one), its node_modules the layer's directory itself
	 * (Node stats it on its way up); lib/ and bin/ where LD_LIBRARY_PATH and PATH find them in
	 * both, or a Python package of that name; the rest on a python/ directory.
	 */
	n = lambda_layout__areas(rel, areas);
	for (size_t a = 0; a < n; a++) {
		const char *inner = lambda_layout__inner(areas[a], rel);

		if (areas[a] == LAMBDA_OPT && has(l, ".", inner))
			return true;
		for (size_t i = 0; areas[a] == LAMBDA_NODE && i < l->nnode; i++)
			if (has(l, l->node[i], inner))
				return true;
		for (size_t i = 0; areas[a] == LAMBDA_PYTHON && i < l->npy; i++)
			if (has(l, l->py[i], inner))
				return true;
	}
	return false;
}
