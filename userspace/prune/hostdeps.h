/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the workload used from outside the tree, and whether Lambda has it. Every profile entry
 * with a successful access whose path is not below the tree (and that did not match a tree
 * file by inode) is one of:
 *  - expected: the runtime image has it on Lambda too. The ELF interpreter, the glibc family
 *    (libc, libm, libpthread, libdl, librt, libresolv, libutil, libanl, libnss_*, ld-linux*,
 *    gconv modules, and libgcc_s), the runtime's executable (what was exec'd: python3*, node*),
 *    the runtime's standard library (a .../lib/pythonX.Y/ directory, all of it but
 *    site-packages and dist-packages), and the shared objects reachable by DT_NEEDED from
 *    those ELF files (libssl for Python's _ssl: Lambda's runtime ships what it links).
 *  - a host dependency, which Lambda lacks: a file below a package directory (a component
 *    site-packages, dist-packages or node_modules, or Debian's nodejs directories such as
 *    /usr/share/nodejs and /usr/lib/nodejs), or a shared object (an ELF object, or a *.so /
 *    *.so.N name that cannot be read) that was mapped or opened and is not expected. Each is
 *    grouped into a package: the Python top-level name after site-/dist-packages (x.py -> x,
 *    x/... -> x, x-1.0.dist-info -> x), the node_modules package (@scope/name), a shared
 *    object's soname (else its file name).
 *  - other: everything else (/etc, /proc, /dev, /tmp, locales, the user's home, the package
 *    directories themselves as listed, .pth files), counted. Programs other than the runtime
 *    that the workload executed from the host are other too, and so are the shared objects
 *    only they need: they are the host's tools, not the function's code.
 * Only the paths are judged, plus the ELF headers of candidate shared objects, read from the
 * host as it is now (elfinfo); nothing is written.
 */
#ifndef SLIMZIP_PRUNE_HOSTDEPS_H
#define SLIMZIP_PRUNE_HOSTDEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "tree.h"

enum hostdep_class {
	HOSTDEP_EXPECTED = 0,
	HOSTDEP_PACKAGE = 1, /* in a package directory: a host dependency */
	/* A shared object outside the package directories: expected when reached by DT_NEEDED
	 * from an expected ELF file, other when only a host program needs it, else a host
	 * dependency. What hostdeps__class_of() says before the files are read. */
	HOSTDEP_LIBRARY = 2,
	HOSTDEP_OTHER = 3,
};

enum hostdep_kind {
	HOSTDEP_PYTHON = 0, /* below site-packages or dist-packages */
	HOSTDEP_NODE = 1,   /* below node_modules or a nodejs directory */
	HOSTDEP_SHARED = 2, /* a shared object */
	/* Only in a tree (hostdeps__tree_package): */
	HOSTDEP_LIB = 3,      /* the tree's top-level lib/ or lib64/ (Lambda's LD_LIBRARY_PATH) */
	HOSTDEP_TOP_DIR = 4,  /* another top-level directory: the function's own code or data */
	HOSTDEP_TOP_FILE = 5, /* a file at the tree's top that is no Python module */
};

struct hostdep_package {
	const char *name; /* "certifi", "@scope/name", "libyaml-0.so.2" */
	enum hostdep_kind kind;
	/*
	 * The directory it was found in: the package directory (/usr/lib/python3/dist-packages,
	 * .../node_modules), which verify --isolate hides, or a shared object's own directory.
	 */
	const char *dir;
	const char *first_path; /* the first file of it the profile names */
	uint64_t files;		/* entries of it the workload touched (directories not counted) */
	uint64_t bytes;		/* their sizes */
};

/* Entries outside the tree with a successful access, by class (each counted once by path). */
struct hostdeps_counts {
	uint64_t outside;
	uint64_t expected;
	uint64_t host; /* in packages */
	uint64_t other;
};

struct hostdeps;

/* An empty classification for entries outside tree t (t stays the caller's). 0 or -ENOMEM. */
int hostdeps__new(const struct tree *t, struct hostdeps **out);
void hostdeps__free(struct hostdeps *h); /* NULL-safe */
/*
 * Collect p's entries outside the tree (merged by path with those of earlier profiles).
 * match_inodes: p's (dev, ino) are of this boot, so an entry whose inode is a tree file is the
 * tree's, whatever its path. 0 or -ENOMEM.
 */
int hostdeps__add_profile(struct hostdeps *h, const struct profile *p, bool match_inodes);
/* Classify what was collected (reads ELF headers from the host). 0 or -ENOMEM. */
int hostdeps__classify(struct hostdeps *h);

/* The host packages, sorted by name (then directory), valid until hostdeps__free(). */
size_t hostdeps__count(const struct hostdeps *h);
const struct hostdep_package *hostdeps__package(const struct hostdeps *h, size_t i);
void hostdeps__counts(const struct hostdeps *h, struct hostdeps_counts *out);
/* The class a collected path got (tests, tools), or -ENOENT when it was not collected. */
int hostdeps__entry_class(const struct hostdeps *h, const char *path);
/*
 * The package directories (Python and Node, not shared objects' directories, which also
 * hold glibc) the packages came from, sorted and distinct: what verify --isolate hides.
 */
size_t hostdeps__ndirs(const struct hostdeps *h);
const char *hostdeps__dir(const struct hostdeps *h, size_t i);
/*
 * "N host packages that Lambda lacks: a, b (from DIR, DIR)", at most max_names names (then
 * ", ..."): malloc'd into *out, or NULL when there is none. 0 or -ENOMEM.
 */
int hostdeps__describe(const struct hostdeps *h, size_t max_names, char **out);
/*
 * --strict-host: -ENOPKG explained (the packages named, what to do) when there is a host
 * package, else 0.
 */
int hostdeps__refuse(const struct hostdeps *h);
/* "python", "node", "shared-object", "lib", "dir", "file" */
const char *hostdeps__kind_name(enum hostdep_kind k);

/*
 * The path rules alone, for one absolute path with the kinds of its accesses: expected,
 * package, library (a shared object to decide by DT_NEEDED) or other.
 */
enum hostdep_class hostdeps__class_of(const char *path, uint32_t kinds);
/*
 * The package a path below a package directory belongs to: 1 with *kind, *name (malloc'd),
 * and *dir (malloc'd, the package directory) set; 0 when path is not in a package (outside
 * the package directories, the directory itself, a .pth file; *name, *dir NULL); -ENOMEM.
 */
int hostdeps__package_of(const char *path, enum hostdep_kind *kind, char **name, char **dir);

/*
 * The package a tree-relative path belongs to: slimzip's one definition of a package inside a
 * deployment tree (verify groups its missing files by it). The pieces point into the path.
 */
struct tree_package {
	enum hostdep_kind kind; /* python, node, lib, dir or file (never shared-object) */
	const char *name;	/* "yaml", "six", "PyYAML", "@scope/name", "lib", "handler.js" */
	size_t name_len;
	/*
	 * Where packages lie like it: 0 at the tree's top, else the length of the package
	 * directory in path ("python/lib/python3.11/site-packages", "node_modules").
	 */
	size_t container_len;
	/*
	 * The package's own directory in path ("yaml", "node_modules/@scope/name", "lib",
	 * "PyYAML-6.0.dist-info"), 0 when it is a file: a module (six.py and its
	 * __pycache__/six.*.pyc), or a top-level file. Grouping goes by kind, container and
	 * name, so a module, its bytecode and its dist-info named alike are one package.
	 */
	size_t root_len;
};
/*
 * relpath's package, in this order:
 *  - below a package directory (site-packages, dist-packages, node_modules, as for host
 *    paths; the outermost counts, so a nested node_modules travels with its package): the
 *    package hostdeps__package_of names, with the same rules;
 *  - a top-level directory that is a Python package (t, when given, has DIR/__init__.py):
 *    python, the directory's name; a *.dist-info / *.egg-info directory: python, the
 *    distribution's name; __pycache__/x.*.pyc, x.py, x.pyc, x.pyi or an extension module
 *    (x.cpython-311-x86_64-linux-gnu.so, x.abi3.so) at the top: python module x;
 *  - lib/ or lib64/ at the top: lib, one package for all of it;
 *  - else the top-level directory (dir), or the top-level file itself (file).
 * t may be NULL: the path alone decides, and a top-level directory is a dir, not python.
 * 0, or -EINVAL for an empty path or one with a leading '/'.
 */
int hostdeps__tree_package(const struct tree *t, const char *relpath, struct tree_package *out);

#endif
