// SPDX-License-Identifier: LGPL-2.1-or-later
/* The state file: what the helper writes is what later stages read back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "modconf.h"
#include "state.h"

static void test_round_trip_keeps_every_field(void **state)
{
	struct nv_state a, b;
	char text[1024];
	int n;

	(void)state;
	state_init(&a);
	a.request = 1;
	snprintf(a.module, sizeof(a.module), "kvm_amd");
	snprintf(a.vendor, sizeof(a.vendor), "AuthenticAMD");
	a.virt_flag = 1;
	a.hypervisor = 0;
	snprintf(a.action, sizeof(a.action), "reloaded");
	a.nested_before = 0;
	a.nested_after = 1;
	a.reload_attempts = 1;
	snprintf(a.message, sizeof(a.message), "kvm_amd reloaded with nested=1");
	n = state_format(&a, text, sizeof(text));
	assert_true(n > 0);
	state_parse(text, n, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_unknown_keys_and_junk_lines_are_ignored(void **state)
{
	static const char text[] = "future_key=42\nno equals sign\naction=already\n=\nrequest=0";
	struct nv_state st;

	(void)state;
	state_parse(text, sizeof(text) - 1, &st);
	assert_string_equal(st.action, "already");
	assert_int_equal(st.request, 0);
	assert_string_equal(st.module, "none");
}

static void test_out_of_range_numbers_are_ignored(void **state)
{
	static const char text[] = "request=-7\nreload_attempts=12abc\nnested_after=99999999999\n";
	struct nv_state st;

	(void)state;
	state_parse(text, sizeof(text) - 1, &st);
	assert_int_equal(st.request, -1);
	assert_int_equal(st.reload_attempts, 0);
	assert_int_equal(st.nested_after, -1);
}

static void test_too_small_buffer_is_enospc(void **state)
{
	struct nv_state st;
	char text[16];

	(void)state;
	state_init(&st);
	assert_int_equal(state_format(&st, text, sizeof(text)), -ENOSPC);
}

static void test_snippet_text_is_one_options_line(void **state)
{
	char text[256];
	int n;

	(void)state;
	n = modconf_format(text, sizeof(text), "kvm_intel", 0);
	assert_int_equal(n, (int)strlen(text));
	assert_non_null(strstr(text, "\noptions kvm_intel nested=0\n"));
	assert_null(strstr(text, "nested=N"));
	assert_int_equal(modconf_format(text, 8, "kvm_intel", 0), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_keeps_every_field),
		cmocka_unit_test(test_unknown_keys_and_junk_lines_are_ignored),
		cmocka_unit_test(test_out_of_range_numbers_are_ignored),
		cmocka_unit_test(test_too_small_buffer_is_enospc),
		cmocka_unit_test(test_snippet_text_is_one_options_line),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
