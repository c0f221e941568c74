// SPDX-License-Identifier: LGPL-2.1-or-later
/* Reload decisions against a fake /sys/module tree, with fake module ops. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include "kvmmod.h"
#include "testroot.h"

static int sysfd(struct testroot *t)
{
	int fd = openat(t->fd, "sys/module", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static struct kvmmod_state read_state(struct testroot *t, const char *mod)
{
	struct kvmmod_state st;
	int fd = sysfd(t);

	assert_int_equal(kvmmod_read_state(fd, mod, &st), 0);
	close(fd);
	return st;
}

static void test_not_loaded_module_needs_nothing(void **state)
{
	struct testroot t;
	struct kvmmod_state st;

	(void)state;
	testroot_init(&t);
	st = read_state(&t, "kvm_amd");
	assert_false(st.loaded);
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
	assert_true(st.loaded);
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
	/* Built-in modules have parameters in sysfs but no initstate or refcnt. */
	testroot_write(&t, "sys/module/kvm_intel/parameters/nested", "N\n");
	st = read_state(&t, "kvm_intel");
	assert_true(st.builtin);
	assert_false(st.loaded);
	assert_int_equal(kvmmod_decide(&st, 1), KVMMOD_BUILTIN);
	assert_int_equal(kvmmod_decide(&st, 0), KVMMOD_ALREADY);
	testroot_cleanup(&t);
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
	struct fake f = { 0 };
	struct kvmmod_ops ops = { fake_remove, fake_insert, &f };

	(void)state;
	assert_int_equal(kvmmod_reload(&ops, "kvm_amd", 1, 0), 0);
	assert_int_equal(f.removes, 1);
	assert_int_equal(f.inserts, 1);
	assert_string_equal(f.options[0], "nested=1");
}

static void test_failed_load_is_retried_with_old_value(void **state)
{
	struct fake f = { .fail_insert_nr = 1 };
	struct kvmmod_ops ops = { fake_remove, fake_insert, &f };

	(void)state;
	assert_int_equal(kvmmod_reload(&ops, "kvm_amd", 1, 0), -EINVAL);
	assert_int_equal(f.inserts, 2);
	assert_string_equal(f.options[0], "nested=1");
	assert_string_equal(f.options[1], "nested=0");
}

static void test_failed_unload_loads_nothing(void **state)
{
	struct fake f = { .fail_remove = 1 };
	struct kvmmod_ops ops = { fake_remove, fake_insert, &f };

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
		cmocka_unit_test(test_reload_unloads_then_loads_with_wanted_value),
		cmocka_unit_test(test_failed_load_is_retried_with_old_value),
		cmocka_unit_test(test_failed_unload_loads_nothing),
	};

	return cmocka_run_group_tests_name("kvmmod", tests, NULL, NULL);
}
