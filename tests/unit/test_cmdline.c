// SPDX-License-Identifier: LGPL-2.1-or-later
/* The kernel command line parser: which nestvirt= wins, and what is not ours. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmdline.h"

struct warnings {
	int count;
	char last[128];
};

static void record_warning(const char *token, void *userdata)
{
	struct warnings *w = userdata;

	w->count++;
	strncpy(w->last, token, sizeof(w->last) - 1);
}

static enum nv_request parse(const char *line, struct warnings *w)
{
	struct cmdline_opts o;

	cmdline_parse(line, strlen(line), &o, record_warning, w);
	return o.request;
}

static enum nv_request parse_quiet(const char *line)
{
	struct warnings w = { 0 };

	return parse(line, &w);
}

static void test_no_nestvirt_is_absent(void **state)
{
	(void)state;
	assert_int_equal(parse_quiet("BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet"), NV_REQUEST_ABSENT);
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
	struct warnings w = { 0 };

	(void)state;
	assert_int_equal(parse("nestvirt=maybe", &w), NV_REQUEST_ABSENT);
	assert_int_equal(w.count, 1);
	assert_string_equal(w.last, "nestvirt=maybe");
}

static void test_unknown_value_after_valid_one_is_absent(void **state)
{
	struct warnings w = { 0 };

	(void)state;
	assert_int_equal(parse("nestvirt=1 nestvirt=2", &w), NV_REQUEST_ABSENT);
	assert_string_equal(w.last, "nestvirt=2");
}

static void test_empty_value_is_unknown(void **state)
{
	struct warnings w = { 0 };

	(void)state;
	assert_int_equal(parse("nestvirt=", &w), NV_REQUEST_ABSENT);
	assert_int_equal(w.count, 1);
}

static void test_values_are_case_sensitive(void **state)
{
	struct warnings w = { 0 };

	(void)state;
	assert_int_equal(parse("nestvirt=YES", &w), NV_REQUEST_ABSENT);
	assert_int_equal(w.count, 1);
}

static void test_dotted_keys_are_not_nestvirt(void **state)
{
	struct warnings w = { 0 };

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
	struct warnings w = { 0 };

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
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
