// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report page. The C side writes the data, the inline script draws it: the treemap is
 * laid out in the browser (squarified, Bruls et al.) because a layout depends on the window's
 * size, and a tree of 100,000 files as SVG written here would be a page of rectangles nobody
 * can resize; the script also lists the packages, the limits and verify's missing files. Every
 * name reaches the page through JSON in a <script type="application/json"> block and the
 * script's textContent/title: no name is ever parsed as HTML.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "prune_report.h"
#include "report_internal.h"
#include "util.h"

#include "report_page.h" /* report_page_head, report_page_script: the page's fixed text */

/*
 * JSON text is safe inside <script> once no "</script" or "<!--" can appear: '<' only ever
 * occurs inside a string, where \u003c means the same; '>' and '&' follow for good measure.
 */
static int copy_script_safe(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '<':
			fputs("\\u003c", f);
			break;
		case '>':
			fputs("\\u003e", f);
			break;
		case '&':
			fputs("\\u0026", f);
			break;
		default:
			fputc(s[i], f);
		}
	}
	return ferror(f) ? -EIO : 0;
}

static void write_files(struct json_writer *w, const struct report_model *m)
{
	/* Compact rows, [path, bytes, state, why]: a large tree's page stays small. */
	json_writer__key(w, "files");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct report_file *f = &m->files[i];

		json_writer__begin_array(w);
		json_writer__string(w, f->path);
		json_writer__uint(w, f->bytes);
		json_writer__uint(w, f->state);
		json_writer__string(w, f->why);
		json_writer__end_array(w);
	}
	json_writer__end_array(w);
}

static void write_packages(struct json_writer *w, const struct report_model *m)
{
	json_writer__key(w, "packages");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < m->npk; i++) {
		const struct report_package *p = &m->pk[i];

		json_writer__begin_object(w);
		json_writer__string_field(w, "package", p->name);
		json_writer__string_field(w, "kind", p->kind);
		json_writer__uint_field(w, "kept_files", p->kept_files);
		json_writer__uint_field(w, "kept_bytes", p->kept_bytes);
		json_writer__uint_field(w, "dropped_files", p->dropped_files);
		json_writer__uint_field(w, "dropped_bytes", p->dropped_bytes);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

static void write_groups(struct json_writer *w, const struct report_model *m)
{
	json_writer__key(w, "missing");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct report_group *g = &m->groups[i];

		json_writer__begin_object(w);
		json_writer__uint_field(w, "round", g->round);
		json_writer__string_field(w, "package", g->package);
		json_writer__string_field(w, "kind", g->kind);
		json_writer__string_field(w, "where", g->where);
		json_writer__key(w, "files");
		json_writer__begin_array(w);
		for (size_t j = 0; j < g->nfiles; j++)
			json_writer__string(w, g->files[j]);
		json_writer__end_array(w);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

static int write_data(FILE *f, const struct report_model *m)
{
	struct json_writer *w = NULL;
	int err = json_writer__new(f, &w);

	if (err)
		return err;
	json_writer__begin_object(w);
	json_writer__string_field(w, "source",
				  m->has_prune	   ? "prune"
				  : m->has_profile ? "profile"
						   : "verify");
	json_writer__key(w, "verify");
	json_writer__bool(w, m->has_verify);
	json_writer__string_field(w, "title", m->title);
	json_writer__string_field(w, "tree", m->tree);
	json_writer__string_field(w, "verdict", m->verdict);
	json_writer__key(w, "zip_bytes");
	if (m->zip_bytes >= 0)
		json_writer__int(w, m->zip_bytes);
	else
		json_writer__null(w);
	json_writer__key(w, "limits");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "zipped_bytes", LAMBDA_ZIPPED_LIMIT);
	json_writer__uint_field(w, "unzipped_bytes", LAMBDA_UNZIPPED_LIMIT);
	json_writer__end_object(w);
	write_packages(w, m);
	write_groups(w, m);
	write_files(w, m);
	err = json_writer__end_object(w);
	json_writer__free(w);
	return err;
}

int report_html__write_stream(const struct report_model *m, FILE *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int err;

	if (!mem)
		return -ENOMEM;
	err = write_data(mem, m);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (!err) {
		fputs(report_page_head, f);
		fputs("<script type=\"application/json\" id=\"slimzip-data\">", f);
		err = copy_script_safe(f, buf, len);
		fputs("</script>\n<script>\n", f);
		fputs(report_page_script, f);
		fputs("</script>\n</body>\n</html>\n", f);
	}
	free(buf);
	if (!err && ferror(f))
		err = -EIO;
	return err;
}

int report_html__write(const struct report_model *m, const char *path)
{
	struct atomic_file *af = NULL;
	int err = atomic_file__open(path, &af);

	if (err)
		return err;
	err = report_html__write_stream(m, atomic_file__stream(af));
	if (err) {
		atomic_file__abort(af);
		return err == -ENOMEM ? slz_fail(ENOMEM, "out of memory writing %s", path)
				      : slz_fail(-err, "cannot write %s: %s", path, strerror(-err));
	}
	return atomic_file__commit(af);
}
