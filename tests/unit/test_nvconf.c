// SPDX-License-Identifier: LGPL-2.1-or-later
/* /etc/nestvirt/nestvirt.conf: what each line sets, and which lines are refused, with where. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nvconf.h"

static struct nvconf conf;
static struct nvconf_error err;

static int parse(const char *text)
{
	return nvconf_parse(text, strlen(text), &conf, &err);
}

static void test_an_empty_file_gives_the_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_string_equal(conf.mode, "feature");
	assert_string_equal(conf.policy, "require");
	assert_string_equal(conf.cpu, "");
	assert_int_equal(conf.domains.n, 0);
	assert_int_equal(conf.exclude.n, 0);
	assert_true(conf.backup);
	assert_false(conf.override);
	assert_false(conf.include_managed);
	assert_int_equal(conf.cpu_line, 0);
}

static void test_include_managed_is_read(void **state)
{
	(void)state;
	assert_int_equal(parse("include_managed = yes\n"), 0);
	assert_true(conf.include_managed);
	assert_int_equal(parse("include_managed = no\n"), 0);
	assert_false(conf.include_managed);
	assert_int_equal(parse("include_managed = sometimes\n"), -EINVAL);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.msg, "include_managed = sometimes: not a boolean (yes or no)");
}

static void test_comments_and_blank_lines_are_ignored(void **state)
{
	(void)state;
	assert_int_equal(parse("# a comment\n\n   \t\n  # indented comment\nbackup = no\n"), 0);
	assert_false(conf.backup);
}

static void test_every_key_is_read(void **state)
{
	(void)state;
	assert_int_equal(parse("mode = host-model\ndomains = web*, db\nexclude=scratch-*\n"
			       "backup = off\noverride = yes\n"),
			 0);
	assert_string_equal(conf.mode, "host-model");
	assert_int_equal(conf.domains.n, 2);
	assert_string_equal(conf.domains.v[0], "web*");
	assert_string_equal(conf.domains.v[1], "db");
	assert_int_equal(conf.exclude.n, 1);
	assert_string_equal(conf.exclude.v[0], "scratch-*");
	assert_false(conf.backup);
	assert_true(conf.override);
	assert_int_equal(conf.cpu_line, 1);
}

static void test_a_cpu_spec_is_kept_verbatim(void **state)
{
	(void)state;
	assert_int_equal(parse("\ncpu = EPYC-Rome,require=svm,check=none\n"), 0);
	assert_string_equal(conf.cpu, "EPYC-Rome,require=svm,check=none");
	assert_int_equal(conf.cpu_line, 2);
}

static void test_policy_force_is_read(void **state)
{
	(void)state;
	assert_int_equal(parse("policy = force\n"), 0);
	assert_string_equal(conf.policy, "force");
}

static void test_globs_split_on_commas_and_blanks(void **state)
{
	(void)state;
	assert_int_equal(parse("domains = a,b c\t, ,d\n"), 0);
	assert_int_equal(conf.domains.n, 4);
	assert_string_equal(conf.domains.v[3], "d");
}

static void test_an_empty_value_selects_every_domain(void **state)
{
	(void)state;
	assert_int_equal(parse("domains =\n"), 0);
	assert_int_equal(conf.domains.n, 0);
}

static void test_crlf_line_ends_are_accepted(void **state)
{
	(void)state;
	assert_int_equal(parse("mode = host-passthrough\r\nbackup = yes\r\n"), 0);
	assert_string_equal(conf.mode, "host-passthrough");
}

static void test_an_unknown_key_names_its_line(void **state)
{
	(void)state;
	assert_int_equal(parse("# x\nbackup = yes\nbackups = no\n"), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "unknown key 'backups'"));
}

static void test_an_unknown_mode_names_the_value(void **state)
{
	(void)state;
	assert_int_equal(parse("mode = sideways\n"), -EINVAL);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "mode = sideways"));
}

static void test_a_bad_cpu_spec_names_the_value_and_the_reason(void **state)
{
	(void)state;
	assert_int_equal(parse("\n\ncpu = Haswell,frobnicate=yes\n"), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "cpu = Haswell,frobnicate=yes: "));
}

static void test_an_unknown_policy_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("policy = optional\n"), -EINVAL);
	assert_non_null(strstr(err.msg, "policy = optional"));
}

static void test_a_bad_boolean_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("backup = maybe\n"), -EINVAL);
	assert_non_null(strstr(err.msg, "backup = maybe: not a boolean"));
}

static void test_a_key_set_twice_names_both_lines(void **state)
{
	(void)state;
	assert_int_equal(parse("backup = yes\n\nbackup = no\n"), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "first on line 1"));
}

static void test_cpu_and_mode_exclude_each_other(void **state)
{
	(void)state;
	assert_int_equal(parse("mode = feature\ncpu = EPYC\n"), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "exclude each other"));
}

static void test_policy_with_a_cpu_spec_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("policy = force\ncpu = EPYC\n"), -EINVAL);
	assert_int_equal(err.line, 1);
}

static void test_policy_with_host_passthrough_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("mode = host-passthrough\npolicy = force\n"), -EINVAL);
	assert_int_equal(err.line, 2);
}

static void test_a_line_without_equals_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("backup\n"), -EINVAL);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "expected 'key = value'"));
}

static void test_a_glob_with_a_slash_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("exclude = ../web\n"), -EINVAL);
	assert_non_null(strstr(err.msg, "'../web'"));
}

static void test_more_globs_than_the_limit_are_refused(void **state)
{
	char text[NVCONF_MAX_GLOBS * 4 + 32];
	size_t off;

	(void)state;
	off = (size_t)snprintf(text, sizeof(text), "domains =");
	for (int i = 0; i <= NVCONF_MAX_GLOBS; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, " d%d", i % 10);
	assert_int_equal(parse(text), -EINVAL);
	assert_non_null(strstr(err.msg, "more than"));
}

static void test_a_nul_byte_is_refused(void **state)
{
	static const char text[] = "backup = yes\n\0\n";

	(void)state;
	assert_int_equal(nvconf_parse(text, sizeof(text) - 1, &conf, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "NUL"));
}

static void test_an_overlong_line_is_refused(void **state)
{
	char text[2048];

	(void)state;
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memcpy(text, "cpu = ", 6);
	assert_int_equal(parse(text), -EINVAL);
	assert_int_equal(err.line, 1);
}

static void test_globs_parse_the_command_line_list(void **state)
{
	struct nvconf_globs g;
	char why[200];

	(void)state;
	assert_int_equal(nvconf_globs_parse("web*,db", &g, why, sizeof(why)), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.v[1], "db");
	assert_int_equal(nvconf_globs_parse("a/b", &g, why, sizeof(why)), -EINVAL);
}

/* The commented default file installed as /etc/nestvirt/nestvirt.conf: the defaults as is,
 * and each example line valid once uncommented. */
static void test_the_shipped_default_file_parses_to_the_defaults(void **state)
{
	char text[NVCONF_MAX_SIZE];
	struct nvconf defaults;
	FILE *f = fopen(SRCDIR "/etc/nestvirt.conf", "r");
	size_t len;

	(void)state;
	assert_non_null(f);
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	nvconf_init(&defaults);
	assert_int_equal(parse(text), 0);
	assert_memory_equal(&conf, &defaults, sizeof(conf));
	for (char *p = text; (p = strstr(p, "\n#")) != NULL; p++) {
		size_t klen = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz");
		char line[512];

		if (klen == 0 || strncmp(p + 2 + klen, " =", 2))
			continue;
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p + 2, "\n"), p + 2);
		assert_int_equal(parse(line), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_an_empty_file_gives_the_defaults),
	    cmocka_unit_test(test_comments_and_blank_lines_are_ignored),
	    cmocka_unit_test(test_every_key_is_read),
	    cmocka_unit_test(test_include_managed_is_read),
	    cmocka_unit_test(test_a_cpu_spec_is_kept_verbatim),
	    cmocka_unit_test(test_policy_force_is_read),
	    cmocka_unit_test(test_globs_split_on_commas_and_blanks),
	    cmocka_unit_test(test_an_empty_value_selects_every_domain),
	    cmocka_unit_test(test_crlf_line_ends_are_accepted),
	    cmocka_unit_test(test_an_unknown_key_names_its_line),
	    cmocka_unit_test(test_an_unknown_mode_names_the_value),
	    cmocka_unit_test(test_a_bad_cpu_spec_names_the_value_and_the_reason),
	    cmocka_unit_test(test_an_unknown_policy_is_refused),
	    cmocka_unit_test(test_a_bad_boolean_is_refused),
	    cmocka_unit_test(test_a_key_set_twice_names_both_lines),
	    cmocka_unit_test(test_cpu_and_mode_exclude_each_other),
	    cmocka_unit_test(test_policy_with_a_cpu_spec_is_refused),
	    cmocka_unit_test(test_policy_with_host_passthrough_is_refused),
	    cmocka_unit_test(test_a_line_without_equals_is_refused),
	    cmocka_unit_test(test_a_glob_with_a_slash_is_refused),
	    cmocka_unit_test(test_more_globs_than_the_limit_are_refused),
	    cmocka_unit_test(test_a_nul_byte_is_refused),
	    cmocka_unit_test(test_an_overlong_line_is_refused),
	    cmocka_unit_test(test_globs_parse_the_command_line_list),
	    cmocka_unit_test(test_the_shipped_default_file_parses_to_the_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
