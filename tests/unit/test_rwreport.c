// SPDX-License-Identifier: LGPL-2.1-or-later
/* rwreport: one line per file for humans, one valid JSON document for --json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rwreport.h"

struct capture {
	char *text;
	size_t len;
	FILE *f;
};

static void start(struct capture *c)
{
	c->text = NULL;
	c->f = open_memstream(&c->text, &c->len);
	assert_non_null(c->f);
}

/* The captured text; valid until the next call. */
static const char *finish(struct capture *c)
{
	static char out[8192];

	fclose(c->f);
	snprintf(out, sizeof(out), "%s", c->text);
	free(c->text);
	return out;
}

static void human_lines_name_file_result_reason_and_backup(void **state)
{
	struct rwfile f = {.name = "web.xml",
			   .domain = "web",
			   .result = RW_CHANGED,
			   .reason = "added vmx",
			   .backup = "web.xml.nestvirt-orig",
			   .warnings = {"the domain is running"},
			   .nwarnings = 1};
	struct rwfile g = {
	    .name = "odd.xml", .result = RW_FAILED, .reason = "has a DOCTYPE, left unchanged"};
	struct rwreport rep;
	struct capture c;

	(void)state;
	start(&c);
	rwreport_begin(&rep, c.f, false, "rewrite", "/etc/libvirt/qemu", false, NULL);
	rwreport_file(&rep, &f);
	rwreport_file(&rep, &g);
	assert_int_equal(rwreport_end(&rep), 1);
	assert_string_equal(
	    finish(&c),
	    "/etc/libvirt/qemu/web.xml: changed: added vmx (original kept as "
	    "web.xml.nestvirt-orig)\n"
	    "/etc/libvirt/qemu/web.xml: warning: the domain is running\n"
	    "/etc/libvirt/qemu/odd.xml: failed: has a DOCTYPE, left unchanged\n"
	    "/etc/libvirt/qemu: 2 files: 1 changed, 0 already fine, 0 skipped, 1 failed\n");
}

static void dry_run_says_would_change_and_exit_is_0_without_failures(void **state)
{
	struct rwfile f = {.name = "web.xml",
			   .result = RW_CHANGED,
			   .reason = "added vmx",
			   .diff = "--- a/web.xml\n+++ b/web.xml\n"};
	struct rwreport rep;
	struct capture c;

	(void)state;
	start(&c);
	rwreport_begin(&rep, c.f, false, "rewrite", "/q", true, NULL);
	rwreport_file(&rep, &f);
	assert_int_equal(rwreport_end(&rep), 0);
	assert_string_equal(finish(&c),
			    "/q/web.xml: would change: added vmx\n"
			    "--- a/web.xml\n+++ b/web.xml\n"
			    "/q: 1 file: 1 would change, 0 already fine, 0 skipped, 0 failed\n");
}

static void json_document_has_header_notes_files_and_summary(void **state)
{
	const char *kv[] = {"mode", "feature", "cpu", NULL, "vendor_feature", "vmx", NULL};
	struct rwfile f = {.name = "web.xml",
			   .domain = "web",
			   .result = RW_UNCHANGED,
			   .reason = "vmx already required"};
	struct rwreport rep;
	struct capture c;

	(void)state;
	start(&c);
	rwreport_begin(&rep, c.f, true, "rewrite", "/q", false, kv);
	rwreport_note(&rep, "removed %s", ".web.xml.0a1b2c");
	rwreport_file(&rep, &f);
	assert_int_equal(rwreport_end(&rep), 0);
	assert_string_equal(
	    finish(&c),
	    "{\n  \"command\": \"rewrite\",\n  \"config_dir\": \"/q\",\n  \"dry_run\": false,\n"
	    "  \"mode\": \"feature\",\n  \"vendor_feature\": \"vmx\",\n"
	    "  \"notes\": [\n    \"removed .web.xml.0a1b2c\"],\n  \"files\": [\n"
	    "    {\"file\": \"/q/web.xml\", \"domain\": \"web\", \"result\": \"unchanged\", "
	    "\"reason\": \"vmx already required\", \"warnings\": []}\n  ],\n"
	    "  \"summary\": {\"files\": 1, \"changed\": 0, \"unchanged\": 1, \"skipped\": 0, "
	    "\"failed\": 0},\n  \"exit_status\": 0\n}\n");
}

static void json_of_an_empty_dir_is_still_a_document(void **state)
{
	struct rwreport rep;
	struct capture c;

	(void)state;
	start(&c);
	rwreport_begin(&rep, c.f, true, "rollback", "/q", false, NULL);
	assert_int_equal(rwreport_end(&rep), 0);
	assert_string_equal(
	    finish(&c),
	    "{\n  \"command\": \"rollback\",\n  \"config_dir\": \"/q\",\n  \"dry_run\": false,\n"
	    "  \"notes\": [],\n  \"files\": [],\n"
	    "  \"summary\": {\"files\": 0, \"restored\": 0, \"unchanged\": 0, \"skipped\": 0, "
	    "\"failed\": 0},\n  \"exit_status\": 0\n}\n");
}

static void a_newline_in_a_name_stays_on_its_line(void **state)
{
	struct rwfile f = {
	    .name = "x\nforged: changed.xml", .result = RW_FAILED, .reason = "bad\nline"};
	struct rwreport rep;
	struct capture c;

	(void)state;
	start(&c);
	rwreport_begin(&rep, c.f, false, "rewrite", "/q", false, NULL);
	rwreport_file(&rep, &f);
	fflush(c.f);
	assert_string_equal(c.text, "/q/x\\nforged: changed.xml: failed: bad\\nline\n");
	rwreport_end(&rep);
	finish(&c);
}

static void escape_quotes_names_c_style(void **state)
{
	char buf[64];

	(void)state;
	assert_true(rwreport_escape("a\tb\\c\"\x01", true, buf, sizeof(buf)));
	assert_string_equal(buf, "a\\tb\\\\c\\\"\\001");
	assert_false(rwreport_escape("plain.xml", true, buf, sizeof(buf)));
	assert_string_equal(buf, "plain.xml");
}

static void refusal_is_exit_2_with_a_reason(void **state)
{
	struct capture c;

	(void)state;
	start(&c);
	assert_int_equal(rwreport_refused(c.f, true, "rewrite", "libvirtd is running"), 2);
	assert_string_equal(finish(&c), "{\n  \"command\": \"rewrite\",\n  \"refused\": "
					"\"libvirtd is running\",\n  \"exit_status\": 2\n}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(human_lines_name_file_result_reason_and_backup),
	    cmocka_unit_test(dry_run_says_would_change_and_exit_is_0_without_failures),
	    cmocka_unit_test(json_document_has_header_notes_files_and_summary),
	    cmocka_unit_test(json_of_an_empty_dir_is_still_a_document),
	    cmocka_unit_test(a_newline_in_a_name_stays_on_its_line),
	    cmocka_unit_test(escape_quotes_names_c_style),
	    cmocka_unit_test(refusal_is_exit_2_with_a_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
