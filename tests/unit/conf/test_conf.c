// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's config and the batch manifest: what is accepted, what is refused and why. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "testfs.h"
#include "util.h"

static struct conf *parse_ok(const char *text, enum conf_kind kind)
{
	struct conf *c = NULL;
	int err = conf__parse_string(text, "t.conf", "/etc/slz", kind, &c);

	if (err)
		fail_msg("refused: %s", slz_errmsg());
	assert_non_null(c);
	return c;
}

/* Refused, with -EINVAL, no conf, and a message holding every part given. */
static void refused(const char *text, enum conf_kind kind, const char *part1, const char *part2)
{
	struct conf *c = (struct conf *)1;
	int err = conf__parse_string(text, "t.conf", "/etc/slz", kind, &c);

	if (!err)
		fail_msg("accepted: %s", text);
	assert_int_equal(err, -EINVAL);
	assert_null(c);
	if (!strstr(slz_errmsg(), part1) || (part2 && !strstr(slz_errmsg(), part2)))
		fail_msg("message '%s' lacks '%s' / '%s'", slz_errmsg(), part1, part2 ? part2 : "");
}

static void test_defaults(void **state)
{
	struct conf *c = parse_ok("", CONF_DAEMON);
	const struct conf_daemon *d = conf__daemon(c);

	assert_string_equal(d->state_dir, "/var/lib/slimzip");
	assert_string_equal(d->runtime_dir, "/run/slimzip");
	assert_string_equal(d->socket, "/run/slimzip/control");
	assert_null(d->group);
	assert_int_equal(d->linger, CONF_DEFAULT_LINGER);
	assert_int_equal(d->max_targets, CONF_MAX_TARGETS);
	assert_false(d->all);
	assert_int_equal(conf__watch_count(c), 0);
	assert_int_equal(conf__function_count(c), 0);
	conf__free(c);

	/* The socket follows the runtime directory unless it is given. */
	c = parse_ok("[daemon]\nruntime-dir = /run/x/\n", CONF_DAEMON);
	assert_string_equal(conf__daemon(c)->socket, "/run/x/control");
	conf__free(c);
}

static const char full[] = "# CI jobs, each in its own scope\n"
			   "[watch ci]\n"
			   "parent = /system.slice//runner.service/\n"
			   "match = job-*.scope\n"
			   "name = ci-{name}-{id}\n"
			   "function = orders\n"
			   "\n"
			   "[daemon]\n"
			   "state-dir = /srv/slz\n"
			   "socket = /run/slz.sock\n"
			   "group = slimzip\n"
			   "linger = 90\n"
			   "max-targets = 64\n"
			   "all = no\n"
			   "\n"
			   "[watch build]\n"
			   "  parent = /build\n"
			   "  linger = 0 ; never lingers\n"
			   "\n"
			   "[function orders]\n"
			   "tree = build/orders\n"
			   "output = /dist/orders.zip\n"
			   "tree-path-as = /var/task\n"
			   "keep = *.json\n"
			   "drop = tests/\n"
			   "keep = lib/** ; inline comment\n"
			   "drop = *.md\n"
			   "rules = python\n"
			   "modes = keep\n"
			   "mtime = fixed\n"
			   "level = 9\n"
			   "keep-created = yes\n"
			   "strict-host = no\n"
			   "runtime = python3.12\n";

static void test_full_daemon(void **state)
{
	struct conf *c = parse_ok(full, CONF_DAEMON);
	const struct conf_daemon *d = conf__daemon(c);
	const struct conf_watch *w;
	const struct conf_function *f;

	assert_string_equal(d->state_dir, "/srv/slz");
	assert_string_equal(d->runtime_dir, "/run/slimzip");
	assert_string_equal(d->socket, "/run/slz.sock");
	assert_string_equal(d->group, "slimzip");
	assert_int_equal(d->linger, 90);
	assert_int_equal(d->max_targets, 64);
	assert_false(d->all);

	assert_int_equal(conf__watch_count(c), 2);
	w = conf__watch(c, 0);
	assert_string_equal(w->name, "ci");
	assert_string_equal(w->parent, "/system.slice/runner.service");
	assert_string_equal(w->match, "job-*.scope");
	assert_string_equal(w->name_template, "ci-{name}-{id}");
	assert_int_equal(w->line, 2);
	/* [daemon] came after the watch: its linger still counts for it. */
	assert_int_equal(w->linger, 90);
	f = conf__find_function(c, "orders");
	assert_non_null(f);
	assert_ptr_equal(w->function, f);
	assert_true(conf_watch__matches(w, "job-17.scope"));
	assert_false(conf_watch__matches(w, "job-17.service"));
	assert_false(conf_watch__matches(w, "other"));

	w = conf__watch(c, 1);
	assert_string_equal(w->parent, "/build");
	assert_string_equal(w->match, "*");
	assert_string_equal(w->name_template, "{name}");
	assert_int_equal(w->linger, 0);
	assert_null(w->function);
	assert_true(conf_watch__matches(w, "anything"));

	assert_int_equal(conf__function_count(c), 1);
	assert_string_equal(f->name, "orders");
	/* Relative to the file's directory. */
	assert_string_equal(f->tree, "/etc/slz/build/orders");
	assert_string_equal(f->output, "/dist/orders.zip");
	assert_string_equal(f->tree_path_as, "/var/task");
	assert_int_equal(f->n_keep, 2);
	assert_string_equal(f->keep[0], "*.json");
	assert_string_equal(f->keep[1], "lib/**");
	assert_int_equal(f->n_drop, 2);
	assert_string_equal(f->drop[0], "tests/");
	assert_string_equal(f->drop[1], "*.md");
	assert_true(f->has_rules);
	/* rules names the rules that apply: the others (node, elf) are off. */
	assert_int_equal(f->rules_off, (1u << rules__find("node")) | (1u << rules__find("elf")));
	assert_string_equal(f->modes, "keep");
	assert_string_equal(f->mtime, "fixed");
	assert_int_equal(f->level, 9);
	assert_true(f->has_keep_created && f->keep_created);
	assert_true(f->has_strict_host && !f->strict_host);
	assert_string_equal(f->runtime, "python3.12");
	assert_int_equal(f->n_commands, 0);
	assert_int_equal(f->line, 20);
	conf__free(c);
}

static void test_manifest(void **state)
{
	struct conf *c = parse_ok("[function orders]\n"
				  "tree = build/orders\n"
				  "command = python3 -S -m pytest tests/orders\n"
				  "command = python3 -S scripts/smoke.py\n"
				  "rules = none\n"
				  "layers = arn:aws:lambda:us-east-1:1:layer:a:1\n"
				  "layers = !Ref Deps\n"
				  "[function users]\n"
				  "tree = /abs/users\n"
				  "command = make test\n",
				  CONF_MANIFEST);
	const struct conf_function *f = conf__function(c, 0);

	assert_int_equal(conf__function_count(c), 2);
	assert_int_equal(f->n_commands, 2);
	assert_string_equal(f->commands[0], "python3 -S -m pytest tests/orders");
	assert_string_equal(f->commands[1], "python3 -S scripts/smoke.py");
	assert_int_equal(f->rules_off, RULES_ALL_OFF);
	assert_null(f->output);
	assert_false(f->has_modes);
	/* The function's own layers count against Lambda's five beside batch --layer's. */
	assert_int_equal(f->n_layers, 2);
	assert_string_equal(f->layers[0], "arn:aws:lambda:us-east-1:1:layer:a:1");
	assert_string_equal(f->layers[1], "!Ref Deps");
	f = conf__function(c, 1);
	assert_string_equal(f->tree, "/abs/users");
	assert_int_equal(f->n_layers, 0);
	assert_null(conf__function(c, 2));
	conf__free(c);

	/* Without a base directory, relative paths stay as written. */
	assert_int_equal(conf__parse_string("[function a]\ntree = ./x//y\ncommand = true\n", "m",
					    NULL, CONF_MANIFEST, &c),
			 0);
	assert_string_equal(conf__function(c, 0)->tree, "x/y");
	conf__free(c);
}

static void test_refused_sections(void **state)
{
	refused("[daemn]\n", CONF_DAEMON, "t.conf:1: unknown section [daemn]", "[watch NAME]");
	refused("\n[daemon]\n[daemon]\n", CONF_DAEMON,
		"t.conf:3: [daemon] is defined again (first at line 2)", "merge");
	refused("[daemon x]\n", CONF_DAEMON, "t.conf:1: [daemon] takes no name", NULL);
	refused("[watch]\n", CONF_DAEMON, "t.conf:1: [watch] needs a name", NULL);
	refused("[watch a/b]\nparent = /x\n", CONF_DAEMON, "t.conf:1: [watch a/b]: the name",
		"rename");
	refused("[function ..]\n", CONF_DAEMON, "t.conf:1: [function ..]", "not . or ..");
	refused("[function a]\ntree = /a\n[function a]\ntree = /b\n", CONF_DAEMON,
		"t.conf:3: [function a] is defined again (first at line 1)", NULL);
	/* Empty sections are seen too. */
	refused("[watch w]\n[watch w]\n", CONF_DAEMON, "t.conf:2: [watch w] is defined again",
		NULL);
	refused("[daemon\n", CONF_DAEMON, "t.conf:1: '[daemon' has no closing ']'", NULL);
	refused("[daemon] x = 1\n", CONF_DAEMON, "t.conf:1: text after the section header", NULL);
	refused("linger = 3\n", CONF_DAEMON, "t.conf:1: 'linger' is outside any section", NULL);
	/* A manifest holds functions only, and a daemon runs no commands. */
	refused("[daemon]\n", CONF_MANIFEST, "t.conf:1: unknown section [daemon]",
		"[function NAME] sections only");
	refused("[watch w]\nparent = /x\n", CONF_MANIFEST, "t.conf:1: unknown section [watch w]",
		NULL);
	refused("[function a]\ntree = /a\ncommand = true\n", CONF_DAEMON,
		"t.conf:3: command is for batch manifests", NULL);
	/* Names longer than inih's 49-byte section buffer stay distinct. */
	{
		char text[1024];
		struct conf *c;

		snprintf(text, sizeof(text),
			 "[function %1$s-one]\ntree = /a\n[function %1$s-two]\ntree = /b\n",
			 "a-function-name-of-more-than-fifty-bytes-in-all-xyz");
		c = parse_ok(text, CONF_DAEMON);
		assert_int_equal(conf__function_count(c), 2);
		assert_string_equal(conf__function(c, 1)->name,
				    "a-function-name-of-more-than-fifty-bytes-in-all-xyz-two");
		conf__free(c);
	}
}

static void test_refused_keys(void **state)
{
	refused("[daemon]\nlingr = 3\n", CONF_DAEMON, "t.conf:2: unknown key 'lingr' in [daemon]",
		"its keys are state-dir, runtime-dir, socket, group, linger, max-targets, all");
	refused("[watch w]\nparent = /x\npath = /y\n", CONF_DAEMON,
		"t.conf:3: unknown key 'path' in [watch w]", "parent, match, name, function");
	refused("[function f]\ntree = /a\ntree = /b\n", CONF_DAEMON,
		"t.conf:3: tree is given twice in [function f] (first at line 2)", "only keep");
	refused("[daemon]\nall = yes\n\nall = no\n", CONF_DAEMON,
		"t.conf:4: all is given twice in [daemon] (first at line 2)", NULL);
	refused("[daemon]\nlinger =\n", CONF_DAEMON, "t.conf:2: linger has no value", NULL);
	refused("[daemon]\njust words\n", CONF_DAEMON,
		"t.conf:2: 'just words' is neither a [section] nor a key = value line", NULL);
	refused("[daemon]\n= 3\n", CONF_DAEMON, "t.conf:2: '= 3' has no key", NULL);
	/* An indented line continues nothing: it is a line of its own. */
	refused("[function f]\ntree = /a\n   /b\n", CONF_DAEMON,
		"t.conf:3: '/b' is neither a [section] nor a key = value line", NULL);
	/* The first problem of the file is the one reported. */
	refused("[daemon]\nlinger = x\n[bad]\n", CONF_DAEMON, "t.conf:2: linger = 'x'", NULL);
	refused("[watch w]\nfunction = nope\n[function f]\n", CONF_DAEMON,
		"t.conf:1: [watch w] has no parent", NULL);
	refused("[function f]\n[watch w]\n", CONF_DAEMON, "t.conf:1: [function f] has no tree",
		NULL);
}

static void test_refused_values(void **state)
{
	static const struct {
		const char *text, *part;
	} cases[] = {
		{"[daemon]\nlinger = abc\n",
		 "t.conf:2: linger = 'abc' is not a whole number from 0 to 604800 seconds"},
		{"[daemon]\nlinger = -1\n", "t.conf:2: linger = '-1'"},
		{"[daemon]\nlinger = 99999999999999999999\n", "t.conf:2: linger = '9999"},
		{"[daemon]\nmax-targets = 0\n", "t.conf:2: max-targets = '0' is not a whole number "
						"from 1 to 1024 targets"},
		{"[daemon]\nmax-targets = 1025\n", "t.conf:2: max-targets = '1025'"},
		{"[daemon]\nall = maybe\n", "t.conf:2: all = 'maybe' is not yes or no"},
		{"[daemon]\nstate-dir = var/lib\n", "t.conf:2: state-dir = 'var/lib' is not an "
						    "absolute path"},
		{"[daemon]\ngroup = -wheel\n", "t.conf:2: group = '-wheel' is not a group name"},
		{"[daemon]\ngroup = a b\n", "t.conf:2: group = 'a b'"},
		{"[watch w]\nparent = x\n", "t.conf:2: parent = 'x' is not an absolute path"},
		{"[watch w]\nparent = /x\nmatch = a/*\n", "t.conf:3: match = 'a/*' holds a '/'"},
		{"[watch w]\nparent = /x\nmatch = [a\n", "t.conf:3: match: invalid pattern '[a'"},
		{"[watch w]\nparent = /x\nname = {nam}\n", "t.conf:3: name = '{nam}': unknown "
							   "placeholder {nam}"},
		{"[watch w]\nparent = /x\nname = a{name\n", "t.conf:3: name = 'a{name': a '{' "
							    "without its '}'"},
		{"[watch w]\nparent = /x\nname = a}\n", "t.conf:3: name = 'a}': a '}' without"},
		{"[watch w]\nparent = /x\nlinger = 1w\n", "t.conf:3: linger = '1w'"},
		{"[watch w]\nparent = /x\nfunction = a/b\n", "t.conf:3: function = 'a/b' is not a "
							     "section name"},
		{"[watch w]\nparent = /x\nfunction = orders\n",
		 "t.conf:3: [watch w] names function 'orders', which no [function] section "
		 "defines; add [function orders]"},
		{"[function f]\ntree = /a\nkeep = !x\n", "t.conf:3: keep: invalid pattern '!x'"},
		{"[function f]\ntree = /a\ndrop = a/../b\n", "t.conf:3: drop: invalid pattern"},
		{"[function f]\ntree = /a\nrules = nodee\n",
		 "t.conf:3: rules = 'nodee': 'nodee' is not a rule"},
		{"[function f]\ntree = /a\nrules = node,,elf\n",
		 "t.conf:3: rules = 'node,,elf': '' "
		 "is not a rule"},
		{"[function f]\ntree = /a\nmodes = 0644\n",
		 "t.conf:3: modes = '0644' is not lambda "
		 "or keep"},
		{"[function f]\ntree = /a\nmtime = yesterday\n", "t.conf:3: mtime = 'yesterday'"},
		{"[function f]\ntree = /a\nkeep-created = 1\n", "t.conf:3: keep-created = '1' is "
								"not yes or no"},
		{"[function f]\ntree = /a\nlevel = 10\n", "t.conf:3: level = '10' is not a whole "
							  "number from 0 to 9"},
		{"[function f]\ntree = /a\ntree-path-as = var/task\n",
		 "t.conf:3: tree-path-as = 'var/task' is not an absolute path"},
		{"[function f]\ntree = /a\nruntime = Python 3\n", "t.conf:3: runtime = 'Python 3'"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		refused(cases[i].text, CONF_DAEMON, cases[i].part, NULL);
	refused("[function f]\ntree = /a\n", CONF_MANIFEST, "t.conf:1: [function f] has no command",
		"add command =");
}

static void test_long_line(void **state)
{
	char text[600];
	struct conf *c;
	int n;

	/* As long as inih reads it: accepted whole. */
	n = snprintf(text, sizeof(text), "[function f]\ntree = /");
	memset(text + n, 'a', 150);
	snprintf(text + n + 150, sizeof(text) - (size_t)n - 150, "\n");
	c = parse_ok(text, CONF_DAEMON);
	assert_int_equal(strlen(conf__function(c, 0)->tree), 151);
	conf__free(c);
	/* Longer: refused, never cut into two lines. */
	memset(text + n, 'a', 400);
	snprintf(text + n + 400, sizeof(text) - (size_t)n - 400, "\n");
	refused(text, CONF_DAEMON, "t.conf:2: the line is 408 bytes long, more than the 197",
		"shorten it");
}

static void test_file(void **state)
{
	char dir[256], path[512];
	struct conf *c = NULL;

	testfs__mkdtemp(dir, sizeof(dir), "conf");
	testfs__write(dir, "etc/m.ini", "[function a]\ntree = ../trees/a\ncommand = true\n");
	testfs__path(path, sizeof(path), dir, "etc/m.ini");
	assert_int_equal(conf__parse_file(path, CONF_MANIFEST, &c), 0);
	{
		char want[512];

		/* Lexically: ".." is left to the kernel, which knows the links. */
		testfs__path(want, sizeof(want), dir, "etc/../trees/a");
		assert_string_equal(conf__function(c, 0)->tree, want);
	}
	conf__free(c);

	/* A NUL byte: not a text file, said with its line. */
	testfs__write_bytes(dir, "nul.conf", "[daemon]\nall = y\0es\n", 20);
	testfs__path(path, sizeof(path), dir, "nul.conf");
	c = (struct conf *)1;
	assert_int_equal(conf__parse_file(path, CONF_DAEMON, &c), -EINVAL);
	assert_null(c);
	assert_non_null(strstr(slz_errmsg(), "nul.conf:2: the line holds a NUL byte"));

	testfs__path(path, sizeof(path), dir, "missing.conf");
	assert_int_equal(conf__parse_file(path, CONF_DAEMON, &c), -ENOENT);
	assert_non_null(strstr(slz_errmsg(), "cannot open config"));
	testfs__rmtree(dir);
}

static char *describe(const struct prune_policy *p)
{
	char *s = NULL;

	assert_int_equal(prune_policy__describe(p, "1", &s), 0);
	return s;
}

/* A function section's policy: its keys as prune's options would set them. */
static void test_policy(void **state)
{
	struct conf *c = parse_ok(full, CONF_DAEMON);
	struct prune_policy p;
	char *s;

	assert_int_equal(prune_policy__init(&p), 0);
	assert_int_equal(conf_function__policy(conf__find_function(c, "orders"), &p), 0);
	/* The policy stands on its own once the conf is gone (a reload frees it). */
	conf__free(c);
	s = describe(&p);
	assert_string_equal(s, "{\"slimzip\":\"1\",\"modes\":\"keep\",\"mtime\":\"fixed\","
			       "\"level\":9,\"keep\":[\"*.json\",\"lib/**\"],"
			       "\"drop\":[\"tests/\",\"*.md\"],\"rules_off\":[\"node\",\"elf\"],"
			       "\"tree_path_as\":\"/var/task\",\"keep_created\":true}");
	assert_int_equal(p.given, PRUNE_GIVEN_MODES | PRUNE_GIVEN_MTIME | PRUNE_GIVEN_LEVEL |
					  PRUNE_GIVEN_KEEP | PRUNE_GIVEN_DROP | PRUNE_GIVEN_RULES |
					  PRUNE_GIVEN_TREE_PATH_AS | PRUNE_GIVEN_KEEP_CREATED);
	assert_false(p.strict_host);
	free(s);
	prune_policy__release(&p);

	/* A section that says nothing leaves the defaults, and says it gave nothing. */
	c = parse_ok("[function f]\ntree = /t\n", CONF_DAEMON);
	assert_int_equal(prune_policy__init(&p), 0);
	assert_int_equal(conf_function__policy(conf__function(c, 0), &p), 0);
	assert_int_equal(p.given, 0);
	s = describe(&p);
	assert_string_equal(s, "{\"slimzip\":\"1\",\"modes\":\"lambda\",\"mtime\":\"keep\","
			       "\"level\":6,\"keep\":[],\"drop\":[],\"rules_off\":[],"
			       "\"tree_path_as\":null,\"keep_created\":false}");
	free(s);
	prune_policy__release(&p);
	conf__free(c);

	/* strict-host = yes holds where nothing else would set it. */
	c = parse_ok("[function f]\ntree = /t\nstrict-host = yes\nkeep-created = no\n",
		     CONF_DAEMON);
	assert_int_equal(prune_policy__init(&p), 0);
	assert_int_equal(conf_function__policy(conf__function(c, 0), &p), 0);
	assert_true(p.strict_host);
	assert_false(p.keep_created);
	assert_int_equal(p.given, PRUNE_GIVEN_KEEP_CREATED);
	prune_policy__release(&p);
	conf__free(c);
}

static void test_template_check(void **state)
{
	assert_int_equal(conf__check_template("{name}"), 0);
	assert_int_equal(conf__check_template("ci-{watch}-{parent}-{id}-{name}.x"), 0);
	assert_int_equal(conf__check_template("plain"), 0);
	assert_int_equal(conf__check_template(""), -EINVAL);
	assert_int_equal(conf__check_template("{}"), -EINVAL);
	assert_int_equal(conf__check_template("{name"), -EINVAL);
	assert_int_equal(conf__check_template("{{name}}"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_full_daemon),
		cmocka_unit_test(test_manifest),     cmocka_unit_test(test_refused_sections),
		cmocka_unit_test(test_refused_keys), cmocka_unit_test(test_refused_values),
		cmocka_unit_test(test_long_line),    cmocka_unit_test(test_file),
		cmocka_unit_test(test_policy),	     cmocka_unit_test(test_template_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
