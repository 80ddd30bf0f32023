// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

/* A prune report (schema 2) naming files whose names try to break out of the page. */
static const char prune_json[] =
	"{\"slimzip_report\":2,\"kind\":\"prune\",\"tree\":\"/t\",\"zip_bytes\":77,"
	"\"packages\":[{\"package\":\"x</script><b>\",\"kind\":\"dir\",\"kept_files\":1,"
	"\"kept_bytes\":5,\"dropped_files\":1,\"dropped_bytes\":3}],"
	"\"kept\":[{\"path\":\"x</script><b>/\\\"q\\\" & <!--.py\",\"type\":\"file\","
	"\"size\":5,\"why\":[\"opened\",\"rule-python\"]},"
	"{\"path\":\"x</script><b>\",\"type\":\"dir\",\"size\":0,\"why\":[\"directory\"]}],"
	"\"dropped\":[{\"path\":\"bad\\udcff.txt\",\"type\":\"file\",\"size\":3,"
	"\"why\":\"not-used\"}]}\n";

static char *render(const struct report_model *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(report_html__write_stream(m, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/*
 * A name holding </script>, <!--, quotes, & and a byte that is no UTF-8 stays data: the only
 * "</script" in the page are the page's own two, the names' '<', '>' and '&' are \u escapes.
 */
static void test_names_cannot_break_the_page(void **state)
{
	struct report_model *m;
	char *html, *data, *end;

	assert_int_equal(report_model__new(&m), 0);
	assert_int_equal(
		report_model__add_prune_json(m, prune_json, sizeof(prune_json) - 1, "r.json"), 0);
	assert_int_equal(report_model__nfiles(m), 2); /* files only: the directory is no cell */
	html = render(m);
	assert_int_equal(count(html, "</script"), 2);
	assert_int_equal(count(html, "<!--"), 0);
	assert_int_equal(count(html, "<b>"), 0);
	data = strstr(html, "<script type=\"application/json\" id=\"slimzip-data\">");
	assert_non_null(data);
	end = strstr(data, "</script>");
	assert_non_null(end);
	*end = '\0';
	assert_non_null(strstr(data, "[\"x\\u003c/script\\u003e\\u003cb\\u003e/\\\"q\\\" \\u0026 "
				     "\\u003c!--.py\",5,0,\"opened, rule-python\"]"));
	/* json-c reads the writer's \udcff as U+FFFD; the page shows it so. */
	assert_non_null(strstr(data, "[\"bad\xef\xbf\xbd.txt\",3,1,\"not-used\"]"));
	assert_non_null(strstr(data, "{\"package\":\"x\\u003c/script\\u003e\\u003cb\\u003e\","));
	assert_non_null(strstr(data, "\"zip_bytes\":77,"));
	assert_non_null(strstr(data, "\"limits\":{\"zipped_bytes\":52428800,"
				     "\"unzipped_bytes\":262144000}"));
	free(html);
	report_model__free(m);
}

/* Nothing outside the page: no URL to fetch, a policy that forbids every load. */
static void test_page_is_self_contained(void **state)
{
	struct report_model *m;
	char *html;

	assert_int_equal(report_model__new(&m), 0);
	html = render(m);
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_null(strstr(html, " src="));
	assert_null(strstr(html, "<link"));
	assert_non_null(strstr(html, "Content-Security-Policy\" content=\"default-src 'none';"));
	free(html);
	report_model__free(m);
}

/* Wrong inputs are refused with a message naming the file, and a second report of one kind. */
static void test_bad_reports_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"slimzip_report\":1}",
		"{\"slimzip_report\":\"2\"}",
		"{\"slimzip_report\":2",
		"{\"slimzip_report\":3}",
	};
	static const char verify[] =
		"{\"command\":\"verify\",\"tree\":\"/t\",\"rounds\":[{\"round\":1,"
		"\"missing\":[{\"path\":\"yaml/a.py\",\"package\":\"yaml\","
		"\"package_kind\":\"python\"},{\"path\":\"b.py\",\"package\":"
		"\"b\",\"package_kind\":\"python\"}],\"packages\":[{"
		"\"package\":\"yaml\",\"kind\":\"python\",\"where\":\"\","
		"\"files\":1}]}],\"verdict\":\"fixed\"}";
	struct report_model *m;
	char *html;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(report_model__new(&m), 0);
		assert_int_equal(report_model__add_prune_json(m, bad[i], strlen(bad[i]), "r.json"),
				 -EBADMSG);
		assert_non_null(strstr(slz_errmsg(), "r.json"));
		report_model__free(m);
	}
	assert_int_equal(report_model__new(&m), 0);
	assert_int_equal(
		report_model__add_prune_json(m, prune_json, sizeof(prune_json) - 1, "a.json"), 0);
	assert_int_equal(
		report_model__add_prune_json(m, prune_json, sizeof(prune_json) - 1, "b.json"),
		-EEXIST);
	assert_int_equal(report_model__add_verify_json(m, prune_json, sizeof(prune_json) - 1, "c"),
			 -EBADMSG);
	assert_int_equal(report_model__add_verify_json(m, verify, strlen(verify), "v.json"), 0);
	html = render(m);
	/* The group holds its package's missing files only. */
	assert_non_null(strstr(html, "{\"round\":1,\"package\":\"yaml\",\"kind\":\"python\","
				     "\"where\":\"\",\"files\":[\"yaml/a.py\"]}"));
	assert_non_null(strstr(html, "\"verdict\":\"fixed\""));
	free(html);
	report_model__free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_cannot_break_the_page),
		cmocka_unit_test(test_page_is_self_contained),
		cmocka_unit_test(test_bad_reports_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
