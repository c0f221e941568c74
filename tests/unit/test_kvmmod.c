// SPDX-License-Identifier: LGPL-2.1-or-later
/* Reload decisions against a fake /sys/module tree, with fake module ops. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include "kmodops.h"
#include "kvmmod.h"
#include "modresolve.h"
#include "testroot.h"

#define RELEASE "6.1.0-test"

static struct kvmmod_state read_state(struct testroot *t, const char *mod)
{
	struct kvmmod_state st;

	assert_int_equal(kvmmod_read_state(t->fd, RELEASE, mod, &st), 0);
	return st;
}

static void test_not_loaded_module_needs_nothing(void **state)
{
	struct testroot t;
	struct kvmmod_state st;

	(void)state;
	testroot_init(&t);
	st = read_state(&t, "kvm_amd");
	assert_int_equal(st.init, KVMMOD_INIT_ABSENT);
	assert_int_equal(kvmmod_decide(&st, 1), KVMMOD_NOT_LOADED);
	testroot_cleanup(&t);
}

static void test_unused_module_with_other_value_is_reloaded(void **state)
{
	struct testroot t;
	struct kvmmod_state st;

	(void)state;
	testroot_init(&t);
	testroot_module(&t, "kvm_amd", "0", 0);
	st = read_state(&t, "kvm_amd");
	assert_int_equal(st.init, KVMMOD_INIT_LIVE);
	assert_int_equal(st.refcnt, 0);
	assert_int_equal(st.nested, 0);
	assert_int_equal(kvmmod_decide(&st, 1), KVMMOD_RELOAD);
	testroot_cleanup(&t);
}

static void test_used_module_is_pending_reboot(void **state)
{
	struct testroot t;
	struct kvmmod_state st;

	(void)state;
	testroot_init(&t);
	testroot_module(&t, "kvm_intel", "Y", 1);
	st = read_state(&t, "kvm_intel");
	assert_int_equal(st.nested, 1);
	assert_int_equal(st.refcnt, 1);
	assert_int_equal(kvmmod_decide(&st, 0), KVMMOD_BUSY);
	testroot_cleanup(&t);
}

static void test_module_with_wanted_value_is_left_alone(void **state)
{
	struct testroot t;
	struct kvmmod_state st;

	(void)state;
	testroot_init(&t);
	testroot_module(&t, "kvm_intel", "N", 3);
	st = read_state(&t, "kvm_intel");
	assert_int_equal(kvmmod_decide(&st, 0), KVMMOD_ALREADY);
	testroot_cleanup(&t);
}

static void test_builtin_module_cannot_be_reloaded(void **state)
{
	struct testroot t;
	struct kvmmod_state st;

	(void)state;
	testroot_init(&t);
	/* Built-in modules have parameters in sysfs but no initstate or refcnt; libkmod knows them
	 * from modules.builtin. */
	testroot_write(&t, "sys/module/kvm_intel/parameters/nested", "N\n");
	testroot_write(&t, "lib/modules/" RELEASE "/modules.builtin",
		       "kernel/arch/x86/kvm/kvm.ko\nkernel/arch/x86/kvm/kvm-intel.ko\n");
	st = read_state(&t, "kvm_intel");
	assert_int_equal(st.init, KVMMOD_INIT_BUILTIN);
	assert_int_equal(kvmmod_decide(&st, 1), KVMMOD_BUILTIN);
	assert_int_equal(kvmmod_decide(&st, 0), KVMMOD_ALREADY);
	testroot_cleanup(&t);
}

static void test_module_dir_without_initstate_is_coming_not_builtin(void **state)
{
	struct testroot t;
	struct kvmmod_state st;

	(void)state;
	testroot_init(&t);
	/* The moment during a load when /sys/module/M exists and initstate does not yet. */
	testroot_write(&t, "sys/module/kvm_intel/parameters/nested", "N\n");
	testroot_write(&t, "lib/modules/" RELEASE "/modules.builtin",
		       "kernel/arch/x86/kvm/kvm.ko\n");
	st = read_state(&t, "kvm_intel");
	assert_int_equal(st.init, KVMMOD_INIT_COMING);
	assert_int_equal(kvmmod_decide(&st, 1), KVMMOD_LOADING);
	testroot_cleanup(&t);
}

static void test_coming_initstate_is_not_live(void **state)
{
	struct testroot t;
	struct kvmmod_state st;

	(void)state;
	testroot_init(&t);
	testroot_module(&t, "kvm_amd", "0", 0);
	testroot_write(&t, "sys/module/kvm_amd/initstate", "coming\n");
	st = read_state(&t, "kvm_amd");
	assert_int_equal(st.init, KVMMOD_INIT_COMING);
	assert_int_equal(kvmmod_decide(&st, 1), KVMMOD_LOADING);
	testroot_cleanup(&t);
}

static void test_unreadable_initstate_is_unknown_not_builtin(void **state)
{
	struct testroot t;
	struct kvmmod_state st;

	(void)state;
	testroot_init(&t);
	testroot_module(&t, "kvm_amd", "0", 0);
	/* A read that fails (EISDIR here; EACCES, EMFILE on a host) is not a fact about the module.
	 */
	assert_int_equal(unlinkat(t.fd, "sys/module/kvm_amd/initstate", 0), 0);
	testroot_mkdirs(&t, "sys/module/kvm_amd/initstate");
	st = read_state(&t, "kvm_amd");
	assert_int_equal(st.init, KVMMOD_INIT_UNKNOWN);
	assert_int_equal(st.err, -EISDIR);
	assert_int_equal(kvmmod_decide(&st, 1), KVMMOD_UNKNOWN);
	testroot_cleanup(&t);
}

static void test_empty_refcnt_is_unknown_not_zero(void **state)
{
	struct testroot t;
	struct kvmmod_state st;

	(void)state;
	testroot_init(&t);
	testroot_module(&t, "kvm_amd", "0", 0);
	testroot_write(&t, "sys/module/kvm_amd/refcnt", "");
	st = read_state(&t, "kvm_amd");
	assert_int_equal(st.refcnt, -1);
	assert_int_equal(kvmmod_decide(&st, 1), KVMMOD_BUSY);
	testroot_cleanup(&t);
}

static void test_kvm_intel_nested_is_a_kernel_bool(void **state)
{
	(void)state;
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "yes"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "Y"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "1"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "on"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "true"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "no"), 0);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "N"), 0);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "0"), 0);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "off"), 0);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "Of"), 0);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "maybe"), -EINVAL);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", "o"), -EINVAL);
	assert_int_equal(kvmmod_parse_nested("kvm_intel", ""), -EINVAL);
}

static void test_kvm_amd_nested_is_a_kernel_int(void **state)
{
	(void)state;
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "1"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "0"), 0);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "2"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "-1"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "+0"), 0);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "0x10"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "0x0"), 0);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "010"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "1\n"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "-2147483648"), 1);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "on"), -EINVAL);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "Y"), -EINVAL);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "08"), -EINVAL);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "0x"), -EINVAL);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "1 "), -EINVAL);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "2147483648"), -EINVAL);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", ""), -EINVAL);
	assert_int_equal(kvmmod_parse_nested("kvm_amd", "-"), -EINVAL);
}

static void test_modprobe_options_are_judged_by_the_parameter_type(void **state)
{
	(void)state;
	assert_int_equal(modresolve_last_nested("kvm_intel", "nested=yes"), 1);
	assert_int_equal(modresolve_last_nested("kvm_intel", "nested=Y nested=off"), 0);
	assert_int_equal(modresolve_last_nested("kvm_amd", "nested=0 nested=0x1"), 1);
	assert_int_equal(modresolve_last_nested("kvm_amd", "nested=\"0\""), 0);
	assert_int_equal(modresolve_last_nested("kvm_amd", "enable_vmcb=1 nested=1"), 1);
	assert_int_equal(modresolve_last_nested("kvm_amd", "npt=0"), -1);
	assert_int_equal(modresolve_last_nested("kvm_amd", "xnested=0"), -1);
	/* The kernel stops at the first value it rejects: a later good one does not help. */
	assert_int_equal(modresolve_last_nested("kvm_amd", "nested=on nested=1"), -EINVAL);
	assert_int_equal(modresolve_last_nested("kvm_intel", "nested=2"), -EINVAL);
}

static void test_library_missing_a_function_fails_every_call_whole(void **state)
{
	struct kmodops *k = kmodops_new("libc.so.6");
	const struct kvmmod_ops *ops = kmodops_ops(k);
	char buf[64];

	(void)state;
	/* libc has none of libkmod's functions: no call may go through a half-filled table. */
	assert_int_equal(ops->remove(ops->userdata, "kvm_amd"), -EOPNOTSUPP);
	assert_int_equal(ops->remove(ops->userdata, "kvm_amd"), -EOPNOTSUPP);
	assert_int_equal(ops->insert(ops->userdata, "kvm_amd", "nested=1"), -EOPNOTSUPP);
	assert_int_equal(ops->commands(ops->userdata, "kvm_amd", buf, sizeof(buf)), -EOPNOTSUPP);
	kmodops_free(k);
}

/* Fake ops: record the calls, fail where told. */
struct fake {
	int removes, inserts;
	char options[4][32];
	int fail_insert_nr; /* 1-based insert call that fails, 0 none */
	int fail_remove;
};

static int fake_remove(void *userdata, const char *module)
{
	struct fake *f = userdata;

	(void)module;
	f->removes++;
	return f->fail_remove ? -EBUSY : 0;
}

static int fake_insert(void *userdata, const char *module, const char *options)
{
	struct fake *f = userdata;

	(void)module;
	snprintf(f->options[f->inserts & 3], sizeof(f->options[0]), "%s", options ? options : "");
	f->inserts++;
	return f->inserts == f->fail_insert_nr ? -EINVAL : 0;
}

static void test_reload_unloads_then_loads_with_wanted_value(void **state)
{
	struct fake f = {0};
	struct kvmmod_ops ops = {fake_remove, fake_insert, NULL, &f};

	(void)state;
	assert_int_equal(kvmmod_reload(&ops, "kvm_amd", 1, 0), 0);
	assert_int_equal(f.removes, 1);
	assert_int_equal(f.inserts, 1);
	assert_string_equal(f.options[0], "nested=1");
}

static void test_failed_load_is_retried_with_old_value(void **state)
{
	struct fake f = {.fail_insert_nr = 1};
	struct kvmmod_ops ops = {fake_remove, fake_insert, NULL, &f};

	(void)state;
	assert_int_equal(kvmmod_reload(&ops, "kvm_amd", 1, 0), -EINVAL);
	assert_int_equal(f.inserts, 2);
	assert_string_equal(f.options[0], "nested=1");
	assert_string_equal(f.options[1], "nested=0");
}

static void test_failed_unload_loads_nothing(void **state)
{
	struct fake f = {.fail_remove = 1};
	struct kvmmod_ops ops = {fake_remove, fake_insert, NULL, &f};

	(void)state;
	assert_int_equal(kvmmod_reload(&ops, "kvm_intel", 0, 1), -EBUSY);
	assert_int_equal(f.inserts, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_loaded_module_needs_nothing),
	    cmocka_unit_test(test_unused_module_with_other_value_is_reloaded),
	    cmocka_unit_test(test_used_module_is_pending_reboot),
	    cmocka_unit_test(test_module_with_wanted_value_is_left_alone),
	    cmocka_unit_test(test_builtin_module_cannot_be_reloaded),
	    cmocka_unit_test(test_module_dir_without_initstate_is_coming_not_builtin),
	    cmocka_unit_test(test_coming_initstate_is_not_live),
	    cmocka_unit_test(test_unreadable_initstate_is_unknown_not_builtin),
	    cmocka_unit_test(test_empty_refcnt_is_unknown_not_zero),
	    cmocka_unit_test(test_kvm_intel_nested_is_a_kernel_bool),
	    cmocka_unit_test(test_kvm_amd_nested_is_a_kernel_int),
	    cmocka_unit_test(test_modprobe_options_are_judged_by_the_parameter_type),
	    cmocka_unit_test(test_library_missing_a_function_fails_every_call_whole),
	    cmocka_unit_test(test_reload_unloads_then_loads_with_wanted_value),
	    cmocka_unit_test(test_failed_load_is_retried_with_old_value),
	    cmocka_unit_test(test_failed_unload_loads_nothing),
	};

	return cmocka_run_group_tests_name("kvmmod", tests, NULL, NULL);
}
