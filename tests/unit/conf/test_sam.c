// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The SAM template reader: functions, Globals, CloudFormation tags, what cannot be pruned. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "sam.h"
#include "testfs.h"
#include "util.h"

static const char tmpl[] =
	"AWSTemplateFormatVersion: '2010-09-09'\n"
	"Transform: AWS::Serverless-2016-10-31\n"
	"Parameters:\n"
	"  Stage: {Type: String}\n"
	"Globals:\n"
	"  Function:\n"
	"    Runtime: python3.12\n"
	"    Architectures: [arm64]\n"
	"    Layers:\n"
	"      - !Ref SharedDeps\n"
	"Resources:\n"
	"  Orders:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      CodeUri: src/orders/\n"
	"      Handler: app.handler\n"
	"      Environment:\n"
	"        Variables: {TABLE: !Ref Table, URL: !Sub 'https://${Stage}.example'}\n"
	"      Layers:\n"
	"        - !GetAtt Deps.Arn\n"
	"        - arn:aws:lambda:us-east-1:123456789012:layer:x:3\n"
	"        - !Sub 'arn:${AWS::Partition}:lambda:layer'\n"
	"  Table:\n"
	"    Type: AWS::DynamoDB::Table\n"
	"  Users:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      CodeUri: users\n"
	"      Handler: users.handler\n"
	"      Runtime: nodejs20.x\n"
	"      Architectures: [x86_64]\n"
	"  Computed:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      CodeUri: !Sub '${Root}/x'\n"
	"  InS3:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      CodeUri: {Bucket: b, Key: k.zip}\n"
	"  Image:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      PackageType: Image\n"
	"  Inline:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      InlineCode: 'def handler(e, c): return 1'\n";

static struct sam *parse(const char *text)
{
	struct sam *s = NULL;

	assert_int_equal(sam__parse_string(text, strlen(text), "template.yaml", &s), 0);
	assert_non_null(s);
	return s;
}

static void test_functions_and_globals(void **state)
{
	struct sam *s = parse(tmpl);
	const struct sam_function *o = sam__find(s, "Orders"), *u = sam__find(s, "Users");

	(void)state;
	/* Resources that are not functions are not listed; the order is the template's. */
	assert_int_equal(sam__count(s), 6);
	assert_string_equal(sam__function(s, 0)->logical_id, "Orders");
	assert_string_equal(sam__function(s, 1)->logical_id, "Users");
	assert_null(sam__find(s, "Table"));
	assert_string_equal(o->code_uri, "src/orders/");
	assert_string_equal(o->handler, "app.handler");
	assert_string_equal(o->runtime, "python3.12"); /* from Globals */
	assert_string_equal(o->architecture, "arm64");
	assert_null(o->skip_reason);
	assert_int_equal(o->line, 12);
	/* SAM's lists are additive: Globals' layers first, then the function's own. */
	assert_int_equal(o->nlayers, 4);
	assert_string_equal(o->layers[0], "!Ref SharedDeps");
	assert_string_equal(o->layers[1], "!GetAtt Deps.Arn");
	assert_string_equal(o->layers[2], "arn:aws:lambda:us-east-1:123456789012:layer:x:3");
	assert_string_equal(o->layers[3], "!Sub arn:${AWS::Partition}:lambda:layer");
	assert_string_equal(u->runtime, "nodejs20.x");
	assert_string_equal(u->architecture, "x86_64");
	assert_int_equal(u->nlayers, 1);
	assert_string_equal(u->layers[0], "!Ref SharedDeps");
	sam__free(s);
}

static void test_what_cannot_be_pruned(void **state)
{
	struct sam *s = parse(tmpl);

	(void)state;
	assert_non_null(strstr(sam__find(s, "Computed")->skip_reason, "computed"));
	assert_null(sam__find(s, "Computed")->code_uri);
	assert_non_null(strstr(sam__find(s, "InS3")->skip_reason, "S3"));
	assert_non_null(strstr(sam__find(s, "Image")->skip_reason, "container image"));
	assert_non_null(strstr(sam__find(s, "Inline")->skip_reason, "inline code"));
	sam__free(s);
}

static void test_default_architecture_and_json(void **state)
{
	struct sam *s = parse("{\"Resources\": {\"F\": {\"Type\": \"AWS::Serverless::Function\","
			      " \"Properties\": {\"CodeUri\": \"f\"}}}}");

	(void)state;
	assert_int_equal(sam__count(s), 1);
	assert_string_equal(sam__function(s, 0)->architecture, "x86_64");
	assert_null(sam__function(s, 0)->runtime);
	assert_int_equal(sam__function(s, 0)->nlayers, 0);
	sam__free(s);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"Resources:\n  A: [\n", "template.yaml:3: "},
		{"AWSTemplateFormatVersion: '2010-09-09'\n",
		 "template.yaml:1: no Resources mapping"},
		{"Resources: [a, b]\n", "no Resources mapping"},
		{"", "template.yaml:1: no Resources mapping"},
		{"key: value\n\tbad: tab\n", "template.yaml:2: "},
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sam *s = (struct sam *)1;

		assert_int_equal(sam__parse_string(cases[i].text, strlen(cases[i].text),
						   "template.yaml", &s),
				 -EINVAL);
		assert_null(s);
		if (!strstr(slz_errmsg(), cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, slz_errmsg(), cases[i].msg);
	}
}

/* An alias bomb is not expanded: the reader looks up a few keys, it never walks the graph. */
static void test_aliases_are_not_expanded(void **state)
{
	struct sam *s = parse("a: &a [x, x, x, x, x, x, x, x, x]\n"
			      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			      "Resources:\n"
			      "  F: {Type: AWS::Serverless::Function,\n"
			      "      Properties: {CodeUri: f, Layers: *e}}\n");

	(void)state;
	assert_int_equal(sam__function(s, 0)->nlayers, 9);
	assert_string_equal(sam__function(s, 0)->layers[0], "[...]");
	sam__free(s);
}

static void test_tree_for(void **state)
{
	char dir[PATH_MAX], *tree = NULL;
	struct sam *s = parse(tmpl);

	(void)state;
	testfs__mkdtemp(dir, sizeof(dir), "sam");
	/* Before sam build: CodeUri beside the template. */
	assert_int_equal(sam__tree_for(sam__find(s, "Users"), dir, &tree), 0);
	assert_true(!strncmp(tree, dir, strlen(dir)) && !strcmp(tree + strlen(dir), "/users"));
	free(tree);
	/* After it: .aws-sam/build/<LogicalId>. */
	testfs__mkdirs(dir, ".aws-sam/build/Users");
	assert_int_equal(sam__tree_for(sam__find(s, "Users"), dir, &tree), 0);
	assert_non_null(strstr(tree, "/.aws-sam/build/Users"));
	free(tree);
	assert_int_equal(sam__tree_for(sam__find(s, "InS3"), dir, &tree), -ENOENT);
	assert_null(tree);
	testfs__rmtree(dir);
	sam__free(s);
}

/* A section without layers = takes the template's Layers; one with its own keeps them. */
static void test_apply_layers(void **state)
{
	struct sam *s = parse(tmpl);
	struct conf *c = NULL;
	const struct conf_function *f;

	(void)state;
	assert_int_equal(conf__parse_string("[function Orders]\ntree = /o\ncommand = true\n"
					    "[function Users]\ntree = /u\ncommand = true\n"
					    "layers = mine\n",
					    "slimzip.ini", NULL, CONF_SAM_COMMANDS, &c),
			 0);
	assert_int_equal(conf__apply_sam(c, s, "/tmpl"), 0);
	f = conf__find_function(c, "Orders");
	assert_int_equal(f->n_layers, 4);
	assert_string_equal(f->layers[0], "!Ref SharedDeps");
	assert_string_equal(f->layers[3], "!Sub arn:${AWS::Partition}:lambda:layer");
	f = conf__find_function(c, "Users");
	assert_int_equal(f->n_layers, 1);
	assert_string_equal(f->layers[0], "mine");
	/* The Handler is the function's entry point (batch --layer keeps its file). */
	assert_non_null(conf__find_function(c, "Orders")->handler);
	assert_string_equal(conf__find_function(c, "Orders")->handler, "app.handler");
	assert_string_equal(f->handler, "users.handler");
	conf__free(c);
	sam__free(s);
}

static void test_parse_file(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct sam *s = NULL;

	(void)state;
	testfs__mkdtemp(dir, sizeof(dir), "sam");
	testfs__write(dir, "template.yaml", tmpl);
	snprintf(path, sizeof(path), "%s/template.yaml", dir);
	assert_int_equal(sam__parse_file(path, &s), 0);
	assert_int_equal(sam__count(s), 6);
	sam__free(s);
	snprintf(path, sizeof(path), "%s/none.yaml", dir);
	assert_int_equal(sam__parse_file(path, &s), -ENOENT);
	assert_non_null(strstr(slz_errmsg(), "none.yaml"));
	testfs__rmtree(dir);
	sam__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_functions_and_globals),
		cmocka_unit_test(test_what_cannot_be_pruned),
		cmocka_unit_test(test_default_architecture_and_json),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_aliases_are_not_expanded),
		cmocka_unit_test(test_tree_for),
		cmocka_unit_test(test_apply_layers),
		cmocka_unit_test(test_parse_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
