// SPDX-License-Identifier: LGPL-2.1-or-later
/* The kernel command line parser: which nestvirt= wins, and what is not ours. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmdline.h"

struct warnings {
	int count;
	char last[128];
	char reason[128];
};

static void record_warning(const char *token, const char *reason, void *userdata)
{
	struct warnings *w = userdata;

	w->count++;
	strncpy(w->last, token, sizeof(w->last) - 1);
	strncpy(w->reason, reason, sizeof(w->reason) - 1);
}

static struct cmdline_opts parse_opts(const char *line, struct warnings *w)
{
	struct cmdline_opts o;

	cmdline_parse(line, strlen(line), &o, record_warning, w);
	return o;
}

static enum nv_request parse(const char *line, struct warnings *w)
{
	struct cmdline_opts o;

	cmdline_parse(line, strlen(line), &o, record_warning, w);
	return o.request;
}

static enum nv_request parse_quiet(const char *line)
{
	struct warnings w = {0};

	return parse(line, &w);
}

static void test_no_nestvirt_is_absent(void **state)
{
	(void)state;
	assert_int_equal(parse_quiet("BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet"),
			 NV_REQUEST_ABSENT);
}

static void test_empty_line_is_absent(void **state)
{
	(void)state;
	assert_int_equal(parse_quiet(""), NV_REQUEST_ABSENT);
	assert_int_equal(parse_quiet("   \n"), NV_REQUEST_ABSENT);
}

static void test_bare_key_means_on(void **state)
{
	(void)state;
	assert_int_equal(parse_quiet("root=/dev/vda1 nestvirt quiet"), NV_REQUEST_ON);
}

static void test_each_on_spelling(void **state)
{
	(void)state;
	assert_int_equal(parse_quiet("nestvirt=1"), NV_REQUEST_ON);
	assert_int_equal(parse_quiet("nestvirt=yes"), NV_REQUEST_ON);
	assert_int_equal(parse_quiet("nestvirt=on"), NV_REQUEST_ON);
	assert_int_equal(parse_quiet("nestvirt=true"), NV_REQUEST_ON);
}

static void test_each_off_spelling(void **state)
{
	(void)state;
	assert_int_equal(parse_quiet("nestvirt=0"), NV_REQUEST_OFF);
	assert_int_equal(parse_quiet("nestvirt=no"), NV_REQUEST_OFF);
	assert_int_equal(parse_quiet("nestvirt=off"), NV_REQUEST_OFF);
	assert_int_equal(parse_quiet("nestvirt=false"), NV_REQUEST_OFF);
}

static void test_last_occurrence_wins(void **state)
{
	(void)state;
	assert_int_equal(parse_quiet("nestvirt=1 nestvirt=0"), NV_REQUEST_OFF);
	assert_int_equal(parse_quiet("nestvirt=0 quiet nestvirt"), NV_REQUEST_ON);
}

static void test_unknown_value_warns_and_counts_as_absent(void **state)
{
	struct warnings w = {0};

	(void)state;
	assert_int_equal(parse("nestvirt=maybe", &w), NV_REQUEST_ABSENT);
	assert_int_equal(w.count, 1);
	assert_string_equal(w.last, "nestvirt=maybe");
}

static void test_unknown_value_after_valid_one_is_absent(void **state)
{
	struct warnings w = {0};

	(void)state;
	assert_int_equal(parse("nestvirt=1 nestvirt=2", &w), NV_REQUEST_ABSENT);
	assert_string_equal(w.last, "nestvirt=2");
}

static void test_empty_value_is_unknown(void **state)
{
	struct warnings w = {0};

	(void)state;
	assert_int_equal(parse("nestvirt=", &w), NV_REQUEST_ABSENT);
	assert_int_equal(w.count, 1);
}

static void test_values_are_case_sensitive(void **state)
{
	struct warnings w = {0};

	(void)state;
	assert_int_equal(parse("nestvirt=YES", &w), NV_REQUEST_ABSENT);
	assert_int_equal(w.count, 1);
}

static void test_dotted_keys_are_not_nestvirt(void **state)
{
	struct warnings w = {0};

	(void)state;
	assert_int_equal(parse("nestvirt.cpu=host-passthrough nestvirt.domains=web*", &w),
			 NV_REQUEST_ABSENT);
	assert_int_equal(parse("nestvirt=0 nestvirt.cpu=1", &w), NV_REQUEST_OFF);
	assert_int_equal(w.count, 0);
}

static void test_prefixed_and_suffixed_keys_are_not_nestvirt(void **state)
{
	(void)state;
	assert_int_equal(parse_quiet("xnestvirt=1"), NV_REQUEST_ABSENT);
	assert_int_equal(parse_quiet("nestvirtx=1"), NV_REQUEST_ABSENT);
	assert_int_equal(parse_quiet("rd.nestvirt=1"), NV_REQUEST_ABSENT);
	assert_int_equal(parse_quiet("foo=nestvirt=1"), NV_REQUEST_ABSENT);
}

static void test_quoted_token_is_unquoted(void **state)
{
	(void)state;
	assert_int_equal(parse_quiet("\"nestvirt=1\""), NV_REQUEST_ON);
	assert_int_equal(parse_quiet("nestvirt=\"0\""), NV_REQUEST_OFF);
}

static void test_blanks_inside_quotes_do_not_split(void **state)
{
	(void)state;
	/* One token "foo=a nestvirt=1 b": the kernel does not see a nestvirt= here. */
	assert_int_equal(parse_quiet("foo=\"a nestvirt=1 b\""), NV_REQUEST_ABSENT);
	assert_int_equal(parse_quiet("foo=\"a b\" nestvirt=1"), NV_REQUEST_ON);
}

static void test_trailing_newline_is_ignored(void **state)
{
	(void)state;
	assert_int_equal(parse_quiet("root=/dev/vda1 nestvirt=1\n"), NV_REQUEST_ON);
}

static void test_tabs_separate_tokens(void **state)
{
	(void)state;
	assert_int_equal(parse_quiet("quiet\tnestvirt=0\t"), NV_REQUEST_OFF);
}

static void test_nul_bytes_separate_tokens(void **state)
{
	static const char line[] = "quiet\0nestvirt=1\0nestvirt=0";
	struct cmdline_opts o;

	(void)state;
	cmdline_parse(line, sizeof(line) - 1, &o, NULL, NULL);
	assert_int_equal(o.request, NV_REQUEST_OFF);
}

static void test_length_bound_is_respected(void **state)
{
	struct cmdline_opts o;

	(void)state;
	/* Only the first 10 bytes are the line: "nestvirt=1" — the rest must not be read. */
	cmdline_parse("nestvirt=1 nestvirt=0", 10, &o, NULL, NULL);
	assert_int_equal(o.request, NV_REQUEST_ON);
}

static char *long_line(size_t size, const char *tail)
{
	size_t tlen = strlen(tail);
	char *buf = malloc(size + 1);

	assert_non_null(buf);
	for (size_t i = 0; i < size; i++)
		buf[i] = (i % 8 == 7) ? ' ' : 'a';
	memcpy(buf + size - tlen, tail, tlen);
	buf[size] = '\0';
	return buf;
}

static void test_4096_byte_line_with_nestvirt_at_the_end(void **state)
{
	char *line = long_line(4096, " nestvirt=1");

	(void)state;
	assert_int_equal(strlen(line), 4096);
	assert_int_equal(parse_quiet(line), NV_REQUEST_ON);
	free(line);
}

static void test_1mib_line_with_nestvirt_at_the_end(void **state)
{
	char *line = long_line(1024 * 1024, " nestvirt=0");

	(void)state;
	assert_int_equal(parse_quiet(line), NV_REQUEST_OFF);
	free(line);
}

static void test_1mib_single_token_is_not_nestvirt(void **state)
{
	size_t n = 1024 * 1024;
	char *line = malloc(n + 1);
	struct warnings w = {0};

	(void)state;
	memset(line, 'x', n);
	memcpy(line, "nestvirt=1", 10);
	line[n] = '\0';
	assert_int_equal(parse(line, &w), NV_REQUEST_ABSENT);
	assert_int_equal(w.count, 1);
	free(line);
}

static void test_admin_nested_is_recorded_per_module(void **state)
{
	struct cmdline_opts o;
	const char *line = "kvm_intel.nested=0 kvm-amd.nested=1 nestvirt=1";

	(void)state;
	cmdline_parse(line, strlen(line), &o, NULL, NULL);
	assert_string_equal(o.admin_nested[KVM_MODULE_INTEL], "0");
	assert_string_equal(o.admin_nested[KVM_MODULE_AMD], "1");
}

static void test_admin_nested_last_occurrence_wins(void **state)
{
	struct cmdline_opts o;
	const char *line = "kvm-intel.nested=Y kvm_intel.nested=N";

	(void)state;
	cmdline_parse(line, strlen(line), &o, NULL, NULL);
	assert_string_equal(o.admin_nested[KVM_MODULE_INTEL], "N");
	assert_string_equal(o.admin_nested[KVM_MODULE_AMD], "");
}

static void test_other_kvm_parameters_are_not_admin_nested(void **state)
{
	struct cmdline_opts o;
	const char *line = "kvm_intel.ept=0 kvm.nested=1 kvm_amd.nested_x=1";

	(void)state;
	cmdline_parse(line, strlen(line), &o, NULL, NULL);
	assert_string_equal(o.admin_nested[KVM_MODULE_INTEL], "");
	assert_string_equal(o.admin_nested[KVM_MODULE_AMD], "");
}

static void test_overrides_are_read(void **state)
{
	struct warnings w = {0};
	struct cmdline_opts o;

	(void)state;
	o = parse_opts("nestvirt=1 nestvirt.cpu=host-model nestvirt.domains=web*,db? "
		       "nestvirt.exclude=test-* nestvirt.firstboot=0",
		       &w);
	assert_string_equal(o.cpu, "host-model");
	assert_string_equal(o.domains, "web*,db?");
	assert_string_equal(o.exclude, "test-*");
	assert_int_equal(o.firstboot, 0);
	assert_int_equal(w.count, 0);
}

static void test_overrides_absent_by_default(void **state)
{
	struct warnings w = {0};
	struct cmdline_opts o;

	(void)state;
	o = parse_opts("nestvirt=1", &w);
	assert_string_equal(o.cpu, "");
	assert_string_equal(o.domains, "");
	assert_string_equal(o.exclude, "");
	assert_int_equal(o.firstboot, -1);
}

static void test_quoted_override_keeps_blanks(void **state)
{
	struct warnings w = {0};
	struct cmdline_opts o;

	(void)state;
	o = parse_opts("nestvirt.cpu=\"Haswell,+vmx, -hle\" \"nestvirt.domains=a b\"", &w);
	assert_string_equal(o.cpu, "Haswell,+vmx, -hle");
	assert_string_equal(o.domains, "a b");
}

static void test_override_last_occurrence_wins(void **state)
{
	struct warnings w = {0};
	struct cmdline_opts o;

	(void)state;
	o = parse_opts("nestvirt.cpu=host-model nestvirt.cpu=host-passthrough "
		       "nestvirt.firstboot=0 nestvirt.firstboot",
		       &w);
	assert_string_equal(o.cpu, "host-passthrough");
	assert_int_equal(o.firstboot, 1);
}

static void test_firstboot_is_a_bool_like_nestvirt(void **state)
{
	struct warnings w = {0};

	(void)state;
	assert_int_equal(parse_opts("nestvirt.firstboot=off", &w).firstboot, 0);
	assert_int_equal(parse_opts("nestvirt.firstboot=yes", &w).firstboot, 1);
	assert_int_equal(w.count, 0);
	assert_int_equal(parse_opts("nestvirt.firstboot=1 nestvirt.firstboot=2", &w).firstboot, -1);
	assert_int_equal(w.count, 1);
	assert_string_equal(w.last, "nestvirt.firstboot=2");
}

static void test_override_with_control_character_is_refused(void **state)
{
	struct warnings w = {0};
	struct cmdline_opts o;

	(void)state;
	o = parse_opts("nestvirt.domains=web \"nestvirt.cpu=a\nrequest=1\"", &w);
	assert_string_equal(o.cpu, "");
	assert_string_equal(o.domains, "web");
	assert_int_equal(w.count, 1);
	assert_string_equal(w.last, "nestvirt.cpu=a\nrequest=1");
	assert_string_equal(w.reason, "value contains a control character");
}

static void test_override_longer_than_its_field_is_refused(void **state)
{
	struct warnings w = {0};
	struct cmdline_opts o;
	char line[700];

	(void)state;
	snprintf(line, sizeof(line), "nestvirt.cpu=%0255d", 7);
	o = parse_opts(line, &w);
	assert_int_equal(strlen(o.cpu), 255);
	assert_int_equal(w.count, 0);
	snprintf(line, sizeof(line), "nestvirt.cpu=host-model nestvirt.exclude=%0256d", 7);
	o = parse_opts(line, &w);
	assert_string_equal(o.exclude, "");
	assert_string_equal(o.cpu, "host-model");
	assert_int_equal(w.count, 1);
	assert_string_equal(w.reason, "value longer than 255 bytes");
	snprintf(line, sizeof(line), "nestvirt.domains=%0590d", 7);
	o = parse_opts(line, &w);
	assert_string_equal(o.domains, "");
	assert_int_equal(w.count, 2);
}

static void test_override_without_value_is_refused(void **state)
{
	struct warnings w = {0};

	(void)state;
	assert_string_equal(parse_opts("nestvirt.cpu=host-model nestvirt.cpu=", &w).cpu, "");
	assert_string_equal(parse_opts("nestvirt.cpu", &w).cpu, "");
	assert_int_equal(w.count, 2);
}

struct line_warning {
	unsigned line;
	char text[128];
	int count;
};

static void record_line(unsigned line, const char *text, void *userdata)
{
	struct line_warning *w = userdata;

	w->line = line;
	w->count++;
	strncpy(w->text, text, sizeof(w->text) - 1);
}

static enum nv_request persistent(const char *text, struct line_warning *w)
{
	return cmdline_parse_persistent(text, strlen(text), record_line, w);
}

static void test_persistent_file_with_comments(void **state)
{
	struct line_warning w = {0};

	(void)state;
	assert_int_equal(persistent("# nestvirt enable --persistent\n\nnestvirt=1\n", &w),
			 NV_REQUEST_ON);
	assert_int_equal(persistent("  nestvirt=0  \r\n# trailing comment\n", &w), NV_REQUEST_OFF);
	assert_int_equal(persistent("nestvirt=1", &w), NV_REQUEST_ON);
	assert_int_equal(w.count, 0);
}

static void test_empty_persistent_file_is_absent(void **state)
{
	struct line_warning w = {0};

	(void)state;
	assert_int_equal(persistent("", &w), NV_REQUEST_ABSENT);
	assert_int_equal(persistent("# nothing\n", &w), NV_REQUEST_ABSENT);
	assert_int_equal(w.count, 0);
}

static void test_garbage_persistent_line_makes_the_file_absent(void **state)
{
	struct line_warning w = {0};

	(void)state;
	assert_int_equal(persistent("nestvirt=1\n# ok\nnestvirt = 0\n", &w), NV_REQUEST_ABSENT);
	assert_int_equal(w.line, 3);
	assert_string_equal(w.text, "nestvirt = 0");
	assert_int_equal(persistent("nestvirt=maybe\n", &w), NV_REQUEST_ABSENT);
	assert_int_equal(w.line, 1);
	assert_int_equal(persistent("nestvirt.cpu=host-model\n", &w), NV_REQUEST_ABSENT);
	assert_int_equal(w.count, 3);
}

static void test_persistent_line_with_nul_is_garbage(void **state)
{
	static const char text[] = "nestvirt=1\0junk\n";
	struct line_warning w = {0};

	(void)state;
	assert_int_equal(cmdline_parse_persistent(text, sizeof(text) - 1, record_line, &w),
			 NV_REQUEST_ABSENT);
	assert_int_equal(w.count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_nestvirt_is_absent),
	    cmocka_unit_test(test_empty_line_is_absent),
	    cmocka_unit_test(test_bare_key_means_on),
	    cmocka_unit_test(test_each_on_spelling),
	    cmocka_unit_test(test_each_off_spelling),
	    cmocka_unit_test(test_last_occurrence_wins),
	    cmocka_unit_test(test_unknown_value_warns_and_counts_as_absent),
	    cmocka_unit_test(test_unknown_value_after_valid_one_is_absent),
	    cmocka_unit_test(test_empty_value_is_unknown),
	    cmocka_unit_test(test_values_are_case_sensitive),
	    cmocka_unit_test(test_dotted_keys_are_not_nestvirt),
	    cmocka_unit_test(test_prefixed_and_suffixed_keys_are_not_nestvirt),
	    cmocka_unit_test(test_quoted_token_is_unquoted),
	    cmocka_unit_test(test_blanks_inside_quotes_do_not_split),
	    cmocka_unit_test(test_trailing_newline_is_ignored),
	    cmocka_unit_test(test_tabs_separate_tokens),
	    cmocka_unit_test(test_nul_bytes_separate_tokens),
	    cmocka_unit_test(test_length_bound_is_respected),
	    cmocka_unit_test(test_4096_byte_line_with_nestvirt_at_the_end),
	    cmocka_unit_test(test_1mib_line_with_nestvirt_at_the_end),
	    cmocka_unit_test(test_1mib_single_token_is_not_nestvirt),
	    cmocka_unit_test(test_admin_nested_is_recorded_per_module),
	    cmocka_unit_test(test_admin_nested_last_occurrence_wins),
	    cmocka_unit_test(test_other_kvm_parameters_are_not_admin_nested),
	    cmocka_unit_test(test_overrides_are_read),
	    cmocka_unit_test(test_overrides_absent_by_default),
	    cmocka_unit_test(test_quoted_override_keeps_blanks),
	    cmocka_unit_test(test_override_last_occurrence_wins),
	    cmocka_unit_test(test_firstboot_is_a_bool_like_nestvirt),
	    cmocka_unit_test(test_override_with_control_character_is_refused),
	    cmocka_unit_test(test_override_longer_than_its_field_is_refused),
	    cmocka_unit_test(test_override_without_value_is_refused),
	    cmocka_unit_test(test_persistent_file_with_comments),
	    cmocka_unit_test(test_empty_persistent_file_is_absent),
	    cmocka_unit_test(test_garbage_persistent_line_makes_the_file_absent),
	    cmocka_unit_test(test_persistent_line_with_nul_is_garbage),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
