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
	snprintf(a.source, sizeof(a.source), "persistent");
	snprintf(a.cpu, sizeof(a.cpu), "Haswell,+vmx,-hle");
	snprintf(a.domains, sizeof(a.domains), "web*,db?");
	snprintf(a.exclude, sizeof(a.exclude), "test-*");
	a.firstboot = 0;
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

static void test_control_characters_in_values_forge_no_line(void **state)
{
	struct nv_state a, b;
	char text[2048];
	int n;

	(void)state;
	state_init(&a);
	a.request = 1;
	snprintf(a.admin_nested, sizeof(a.admin_nested), "1\nrequest=0");
	snprintf(a.message, sizeof(a.message), "a\raction=reloaded\nsource=x");
	n = state_format(&a, text, sizeof(text));
	assert_true(n > 0);
	assert_non_null(strstr(text, "\nadmin_nested=1\\x0arequest=0\n"));
	assert_non_null(strstr(text, "\nmessage=a\\x0daction=reloaded\\x0asource=x\n"));
	state_parse(text, n, &b);
	assert_int_equal(b.request, 1);
	assert_string_equal(b.action, "");
	assert_string_equal(b.source, "");
}

static void test_full_overrides_fit_the_state_text(void **state)
{
	struct nv_state a;
	char text[4096];

	(void)state;
	state_init(&a);
	memset(a.cpu, 'c', sizeof(a.cpu) - 1);
	memset(a.domains, 'd', sizeof(a.domains) - 1);
	memset(a.exclude, 'e', sizeof(a.exclude) - 1);
	memset(a.message, 'm', sizeof(a.message) - 1);
	assert_true(state_format(&a, text, sizeof(text)) > 4 * 255);
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
	    cmocka_unit_test(test_control_characters_in_values_forge_no_line),
	    cmocka_unit_test(test_full_overrides_fit_the_state_text),
	    cmocka_unit_test(test_too_small_buffer_is_enospc),
	    cmocka_unit_test(test_snippet_text_is_one_options_line),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
