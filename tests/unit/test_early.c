// SPDX-License-Identifier: LGPL-2.1-or-later
/* One boot-helper run on fake host trees: what it writes, what it reloads, what it refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <sys/file.h>
#include <cmocka.h>

#include "early.h"
#include "log.h"
#include "testroot.h"

#define AMD_CPU	   "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu svm npt\n\n"
#define INTEL_CPU  "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx ept\n\n"
#define SNIPPET	   "run/modprobe.d/zz-nestvirt.conf"
#define STATE	   "run/nestvirt/state"
#define RELEASE	   "6.1.0-test"
#define PERSISTENT "etc/nestvirt/persistent"

/* Fake module ops that act on the fake sysfs like the kernel would. */
struct fake {
	struct testroot *t;
	int removes, inserts;
	int fail_inserts;	 /* this many inserts fail */
	const char *command;	 /* an install/remove command modprobe.d has for the module */
	int lock_free_at_remove; /* run/nestvirt/lock could be taken by another run: 1/0 */
};

/* Could a second helper run take the lock right now? flock() locks belong to an open file
 * description, so a second open in this process contends like another process would. */
static int lock_is_free(struct testroot *t)
{
	int fd = openat(t->fd, "run/nestvirt/lock", O_RDWR | O_CLOEXEC);
	int free_;

	if (fd < 0)
		return 1;
	free_ = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return free_;
}

static int fake_remove(void *userdata, const char *module)
{
	struct fake *f = userdata;
	char cmd[600];

	f->removes++;
	f->lock_free_at_remove = lock_is_free(f->t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys/module/%s'", f->t->path, module);
	return system(cmd) == 0 ? 0 : -EIO;
}

static int fake_insert(void *userdata, const char *module, const char *options)
{
	struct fake *f = userdata;
	const char *v = strstr(options, "nested=");

	f->inserts++;
	if (f->inserts <= f->fail_inserts)
		return -EINVAL;
	testroot_module(f->t, module, v[7] == '1' ? "1" : "0", 0);
	return 0;
}

static int fake_commands(void *userdata, const char *module, char *buf, size_t size)
{
	struct fake *f = userdata;

	(void)module;
	if (!f->command)
		return 0;
	snprintf(buf, size, "%s", f->command);
	return 1;
}

struct fixture {
	struct testroot t;
	struct fake fake;
	struct kvmmod_ops ops;
	struct early_config cfg;
	char buf[2048];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	testroot_init(&fx->t);
	fx->fake.t = &fx->t;
	fx->ops = (struct kvmmod_ops){fake_remove, fake_insert, fake_commands, &fx->fake};
	fx->cfg = (struct early_config){.rootfd = fx->t.fd, .ops = &fx->ops, .release = RELEASE};
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	testroot_cleanup(&fx->t);
	free(fx);
	return 0;
}

static const char *rd(struct fixture *fx, const char *rel)
{
	return testroot_read(&fx->t, rel, fx->buf, sizeof(fx->buf));
}

static void host(struct fixture *fx, const char *cmdline, const char *cpuinfo)
{
	testroot_write(&fx->t, "proc/cmdline", cmdline);
	testroot_write(&fx->t, "proc/cpuinfo", cpuinfo);
}

static void test_no_nestvirt_writes_nothing(void **state)
{
	struct fixture *fx = *state;

	host(fx, "root=/dev/vda1 quiet\n", AMD_CPU);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_false(testroot_exists(&fx->t, "run/modprobe.d"));
	assert_false(testroot_exists(&fx->t, "run/nestvirt"));
}

static void test_on_writes_amd_snippet_with_digit(void **state)
{
	struct fixture *fx = *state;

	host(fx, "root=/dev/vda1 nestvirt=1\n", AMD_CPU);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, SNIPPET), "\noptions kvm_amd nested=1\n"));
	assert_non_null(strstr(rd(fx, STATE), "action=snippet\n"));
	assert_non_null(strstr(rd(fx, STATE), "module=kvm_amd\n"));
	assert_non_null(strstr(rd(fx, STATE), "request=1\n"));
}

static void test_off_writes_intel_snippet_with_digit(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=off\n", INTEL_CPU);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, SNIPPET), "\noptions kvm_intel nested=0\n"));
	assert_null(strstr(rd(fx, SNIPPET), "=N"));
}

static void test_snippet_is_world_readable(void **state)
{
	struct fixture *fx = *state;
	struct stat st;

	host(fx, "nestvirt\n", AMD_CPU);
	umask(077);
	assert_int_equal(early_run(&fx->cfg), 0);
	umask(022);
	assert_int_equal(fstatat(fx->t.fd, SNIPPET, &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_unused_loaded_module_is_reloaded(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_module(&fx->t, "kvm_amd", "0", 0);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_int_equal(fx->fake.removes, 1);
	assert_int_equal(fx->fake.inserts, 1);
	assert_string_equal(rd(fx, "sys/module/kvm_amd/parameters/nested"), "1\n");
	assert_non_null(strstr(rd(fx, STATE), "action=reloaded\n"));
	assert_non_null(strstr(rd(fx, STATE), "nested_before=0\nnested_after=1\n"));
}

static void test_used_module_is_left_pending_reboot(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=0\n", INTEL_CPU);
	testroot_module(&fx->t, "kvm_intel", "Y", 2);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_int_equal(fx->fake.removes, 0);
	assert_int_equal(fx->fake.inserts, 0);
	assert_non_null(strstr(rd(fx, STATE), "action=pending-reboot\n"));
	assert_non_null(strstr(rd(fx, SNIPPET), "options kvm_intel nested=0"));
}

static void test_builtin_module_is_reported(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", INTEL_CPU);
	testroot_write(&fx->t, "sys/module/kvm_intel/parameters/nested", "N\n");
	testroot_write(&fx->t, "lib/modules/" RELEASE "/modules.builtin",
		       "kernel/arch/x86/kvm/kvm-intel.ko\n");
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_int_equal(fx->fake.removes, 0);
	assert_non_null(strstr(rd(fx, STATE), "action=builtin\n"));
	assert_non_null(strstr(rd(fx, STATE), "kvm_intel.nested=1 on the kernel command line"));
}

static void test_failed_reload_restores_module_and_is_not_retried(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_module(&fx->t, "kvm_amd", "0", 0);
	fx->fake.fail_inserts = 1;
	assert_true(early_run(&fx->cfg) < 0);
	assert_int_equal(fx->fake.inserts, 2);
	assert_string_equal(rd(fx, "sys/module/kvm_amd/parameters/nested"), "0\n");
	assert_non_null(strstr(rd(fx, STATE), "action=reload-failed\n"));
	/* The add event of the restored module runs us again: no second attempt. */
	assert_true(early_run(&fx->cfg) < 0);
	assert_int_equal(fx->fake.removes, 1);
	assert_int_equal(fx->fake.inserts, 2);
}

static void test_without_ops_reload_is_only_recorded(void **state)
{
	struct fixture *fx = *state;

	fx->cfg.ops = NULL;
	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_module(&fx->t, "kvm_amd", "0", 0);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, STATE), "action=reload-skipped\n"));
	assert_string_equal(rd(fx, "sys/module/kvm_amd/parameters/nested"), "0\n");
}

static void test_admin_command_line_value_wins(void **state)
{
	struct fixture *fx = *state;

	host(fx, "kvm-amd.nested=0 nestvirt=1\n", AMD_CPU);
	testroot_module(&fx->t, "kvm_amd", "0", 0);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_false(testroot_exists(&fx->t, SNIPPET));
	assert_int_equal(fx->fake.removes, 0);
	assert_non_null(strstr(rd(fx, STATE), "action=admin-override\n"));
	assert_non_null(strstr(rd(fx, STATE), "admin_nested=0\n"));
}

static void test_admin_value_that_agrees_is_no_conflict(void **state)
{
	struct fixture *fx = *state;

	host(fx, "kvm_intel.nested=Y nestvirt=1\n", INTEL_CPU);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, STATE), "action=snippet\n"));
}

static void test_cpuinfo_without_vendor_fails_and_writes_no_snippet(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", "processor\t: 0\nflags\t\t: svm\n");
	assert_int_equal(early_run(&fx->cfg), -ENOENT);
	assert_false(testroot_exists(&fx->t, SNIPPET));
	assert_non_null(strstr(rd(fx, STATE), "action=error\n"));
}

static void test_unknown_vendor_fails(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", "vendor_id\t: Vortex86 SoC\n");
	assert_int_equal(early_run(&fx->cfg), -ENODEV);
	assert_false(testroot_exists(&fx->t, SNIPPET));
}

static void test_missing_cmdline_fails_and_writes_nothing(void **state)
{
	struct fixture *fx = *state;

	testroot_write(&fx->t, "proc/cpuinfo", AMD_CPU);
	assert_int_equal(early_run(&fx->cfg), -ENOENT);
	assert_false(testroot_exists(&fx->t, "run/nestvirt"));
}

static void test_garbage_cmdline_is_harmless(void **state)
{
	struct fixture *fx = *state;

	host(fx, "\x01\x02\"\"=\"nestvirt\xff==\"\n\n", AMD_CPU);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_false(testroot_exists(&fx->t, "run/nestvirt"));
}

static void test_modprobe_dir_symlink_is_refused(void **state)
{
	struct fixture *fx = *state;
	char target[600];

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_mkdirs(&fx->t, "elsewhere");
	snprintf(target, sizeof(target), "%s/elsewhere", fx->t.path);
	assert_int_equal(symlinkat(target, fx->t.fd, "run/modprobe.d"), 0);
	assert_int_equal(early_run(&fx->cfg), -ENOTDIR);
	assert_false(testroot_exists(&fx->t, "elsewhere/zz-nestvirt.conf"));
	assert_non_null(strstr(rd(fx, STATE), "action=error\n"));
}

static void test_modprobe_dir_that_is_a_file_is_refused(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_write(&fx->t, "run/modprobe.d", "not a dir\n");
	assert_int_equal(early_run(&fx->cfg), -ENOTDIR);
	assert_string_equal(rd(fx, "run/modprobe.d"), "not a dir\n");
}

static void test_stale_snippet_and_temp_file_are_replaced(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_write(&fx->t, SNIPPET, "options kvm_amd nes");
	testroot_write(&fx->t, "run/modprobe.d/.zz-nestvirt.conf.1a2b3c", "options kvm_a");
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, SNIPPET), "\noptions kvm_amd nested=1\n"));
	assert_false(testroot_exists(&fx->t, "run/modprobe.d/.zz-nestvirt.conf.1a2b3c"));
}

static void test_other_files_in_modprobe_dir_are_kept(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_write(&fx->t, "run/modprobe.d/kvm.conf", "options kvm_amd nested=0\n");
	testroot_write(&fx->t, "run/modprobe.d/.zz-nestvirt.conf", "hidden, not a temp of ours\n");
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_string_equal(rd(fx, "run/modprobe.d/kvm.conf"), "options kvm_amd nested=0\n");
	assert_true(testroot_exists(&fx->t, "run/modprobe.d/.zz-nestvirt.conf"));
}

static void test_admin_yes_for_kvm_intel_bool_agrees(void **state)
{
	struct fixture *fx = *state;

	/* kstrtobool: "yes" is true to the kernel. */
	host(fx, "kvm_intel.nested=yes nestvirt=1\n", INTEL_CPU);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, STATE), "action=snippet\n"));
	assert_true(testroot_exists(&fx->t, SNIPPET));
}

static void test_admin_on_for_kvm_amd_int_is_invalid(void **state)
{
	struct fixture *fx = *state;

	/* kvm_amd's nested is an int: "on" fails the load, it does not agree with nestvirt=1. */
	host(fx, "kvm_amd.nested=on nestvirt=1\n", AMD_CPU);
	assert_int_equal(early_run(&fx->cfg), -EINVAL);
	assert_non_null(strstr(rd(fx, STATE), "action=admin-invalid\n"));
	assert_non_null(strstr(rd(fx, STATE), "kvm_amd.nested=on on the kernel command line is "
					      "not a valid int"));
	assert_false(testroot_exists(&fx->t, SNIPPET));
}

static void test_admin_hex_for_kvm_amd_agrees(void **state)
{
	struct fixture *fx = *state;

	host(fx, "kvm_amd.nested=0x1 nestvirt=1\n", AMD_CPU);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, STATE), "action=snippet\n"));
}

static void test_lock_is_held_while_reloading(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_module(&fx->t, "kvm_amd", "0", 0);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_int_equal(fx->fake.removes, 1);
	assert_int_equal(fx->fake.lock_free_at_remove, 0);
	/* And released at the end. */
	assert_true(lock_is_free(&fx->t));
}

static void test_reload_attempts_survive_a_run_that_did_not_reload(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_write(&fx->t, STATE, "request=1\nmodule=kvm_amd\naction=reloaded\n"
				      "reload_attempts=2\n");
	/* A run while the module is unloaded must not reset the count... */
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, STATE), "action=snippet\n"));
	assert_non_null(strstr(rd(fx, STATE), "reload_attempts=2\n"));
	/* ...or the next add event with the wrong value would reload a third time. */
	testroot_module(&fx->t, "kvm_amd", "0", 0);
	assert_true(early_run(&fx->cfg) < 0);
	assert_int_equal(fx->fake.removes, 0);
}

static void test_newline_in_admin_value_forges_no_state_line(void **state)
{
	struct fixture *fx = *state;
	const char *text;

	host(fx, "\"kvm_amd.nested=1\naction=reloaded\" nestvirt=1\n", AMD_CPU);
	early_run(&fx->cfg);
	text = rd(fx, STATE);
	assert_non_null(strstr(text, "admin_nested=1\\x0aaction=reload\n"));
	assert_null(strstr(text, "\naction=reload"));
}

static void test_newline_in_override_is_refused(void **state)
{
	struct fixture *fx = *state;

	host(fx, "\"nestvirt.cpu=host-model\nrequest=0\" nestvirt=1\n", AMD_CPU);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, STATE), "\ncpu=\n"));
	assert_null(strstr(rd(fx, STATE), "request=0"));
}

static void test_overrides_are_recorded(void **state)
{
	struct fixture *fx = *state;
	const char *text;

	host(fx,
	     "nestvirt=1 nestvirt.cpu=host-passthrough \"nestvirt.domains=web*,db?\" "
	     "nestvirt.exclude=\"test-*\" nestvirt.firstboot=0\n",
	     AMD_CPU);
	assert_int_equal(early_run(&fx->cfg), 0);
	text = rd(fx, STATE);
	assert_non_null(strstr(text, "\nsource=cmdline\n"));
	assert_non_null(strstr(text, "\ncpu=host-passthrough\n"));
	assert_non_null(strstr(text, "\ndomains=web*,db?\n"));
	assert_non_null(strstr(text, "\nexclude=test-*\n"));
	assert_non_null(strstr(text, "\nfirstboot=0\n"));
}

static void test_persistent_setting_applies_without_cmdline(void **state)
{
	struct fixture *fx = *state;

	host(fx, "root=/dev/vda1 nestvirt.domains=web*\n", AMD_CPU);
	testroot_write(&fx->t, PERSISTENT,
		       "# written by nestvirt enable --persistent\nnestvirt=1\n");
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, SNIPPET), "\noptions kvm_amd nested=1\n"));
	assert_non_null(strstr(rd(fx, STATE), "\nsource=persistent\n"));
	assert_non_null(strstr(rd(fx, STATE), "\ndomains=web*\n"));
}

static void test_cmdline_wins_over_persistent_setting(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=0\n", AMD_CPU);
	testroot_write(&fx->t, PERSISTENT, "nestvirt=1\n");
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, SNIPPET), "\noptions kvm_amd nested=0\n"));
	assert_non_null(strstr(rd(fx, STATE), "\nsource=cmdline\n"));
}

static void test_garbage_persistent_file_counts_as_absent(void **state)
{
	struct fixture *fx = *state;

	host(fx, "quiet\n", AMD_CPU);
	testroot_write(&fx->t, PERSISTENT, "nestvirt=1\nnestvirt=maybe\n");
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_false(testroot_exists(&fx->t, "run/nestvirt"));
	assert_false(testroot_exists(&fx->t, "run/modprobe.d"));
}

static ino_t inode_of(struct fixture *fx, const char *rel)
{
	struct stat st;

	assert_int_equal(fstatat(fx->t.fd, rel, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_ino;
}

static void test_second_run_of_a_boot_writes_nothing(void **state)
{
	struct fixture *fx = *state;
	ino_t snippet, st;

	/* The initramfs ran the helper; the real root's unit runs it again before udev. */
	host(fx, "nestvirt=1\n", AMD_CPU);
	assert_int_equal(early_run(&fx->cfg), 0);
	snippet = inode_of(fx, SNIPPET);
	st = inode_of(fx, STATE);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_int_equal(inode_of(fx, SNIPPET), snippet);
	assert_int_equal(inode_of(fx, STATE), st);
}

static void test_real_root_adds_the_persistent_setting(void **state)
{
	struct fixture *fx = *state;

	/* The initramfs has no /etc/nestvirt/persistent: it saw no request and wrote nothing. */
	host(fx, "quiet\n", AMD_CPU);
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_false(testroot_exists(&fx->t, STATE));
	testroot_write(&fx->t, PERSISTENT, "nestvirt=1\n");
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, STATE), "\nsource=persistent\n"));
}

static void test_later_run_keeps_the_record_of_a_reload(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_module(&fx->t, "kvm_amd", "0", 0);
	assert_int_equal(early_run(&fx->cfg), 0);
	/* The add event of the reloaded module runs the helper again. */
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_non_null(strstr(rd(fx, STATE), "action=reloaded\n"));
	assert_non_null(strstr(rd(fx, STATE), "nested_before=0\nnested_after=1\n"));
	assert_int_equal(fx->fake.removes, 1);
}

static void test_install_command_refuses_the_reload(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_module(&fx->t, "kvm_amd", "0", 0);
	fx->fake.command = "install kvm_amd /bin/true";
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_int_equal(fx->fake.removes, 0);
	assert_int_equal(fx->fake.inserts, 0);
	assert_non_null(strstr(rd(fx, STATE), "action=reload-refused\n"));
	assert_non_null(strstr(rd(fx, STATE), "'install kvm_amd /bin/true'"));
}

static void test_unreadable_module_state_is_unknown(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_module(&fx->t, "kvm_amd", "0", 0);
	assert_int_equal(unlinkat(fx->t.fd, "sys/module/kvm_amd/initstate", 0), 0);
	testroot_mkdirs(&fx->t, "sys/module/kvm_amd/initstate");
	assert_int_equal(early_run(&fx->cfg), -EISDIR);
	assert_int_equal(fx->fake.removes, 0);
	assert_non_null(strstr(rd(fx, STATE), "action=unknown\n"));
	assert_null(strstr(rd(fx, STATE), "builtin"));
}

static void test_loading_module_is_left_to_its_add_event(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_write(&fx->t, "sys/module/kvm_amd/parameters/nested", "0\n");
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_int_equal(fx->fake.removes, 0);
	assert_non_null(strstr(rd(fx, STATE), "action=loading\n"));
}

static void test_group_writable_modprobe_dir_is_refused(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_mkdirs(&fx->t, "run/modprobe.d");
	assert_int_equal(fchmodat(fx->t.fd, "run/modprobe.d", 0775, 0), 0);
	assert_int_equal(early_run(&fx->cfg), -EPERM);
	assert_false(testroot_exists(&fx->t, SNIPPET));
	assert_non_null(strstr(rd(fx, STATE), "action=error\n"));
}

static void test_state_dir_of_another_owner_is_refused(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_mkdirs(&fx->t, "run/nestvirt");
	if (fchownat(fx->t.fd, "run/nestvirt", geteuid() + 1, -1, 0) < 0)
		skip();
	assert_int_equal(early_run(&fx->cfg), -EPERM);
	assert_false(testroot_exists(&fx->t, STATE));
	assert_false(testroot_exists(&fx->t, SNIPPET));
}

static void test_stale_cleanup_removes_only_our_temp_names(void **state)
{
	struct fixture *fx = *state;

	host(fx, "nestvirt=1\n", AMD_CPU);
	testroot_write(&fx->t, "run/modprobe.d/.zz-nestvirt.conf.1a2b3c", "options kvm_a");
	testroot_write(&fx->t, "run/modprobe.d/.zz-nestvirt.conf.keep", "an admin's file\n");
	testroot_write(&fx->t, "run/modprobe.d/.zz-nestvirt.conf.1A2B3C", "not our pattern\n");
	testroot_write(&fx->t, "run/nestvirt/.state.0000ff", "request=");
	testroot_write(&fx->t, "run/nestvirt/.state.0000ff0", "not our pattern\n");
	assert_int_equal(early_run(&fx->cfg), 0);
	assert_false(testroot_exists(&fx->t, "run/modprobe.d/.zz-nestvirt.conf.1a2b3c"));
	assert_false(testroot_exists(&fx->t, "run/nestvirt/.state.0000ff"));
	assert_true(testroot_exists(&fx->t, "run/modprobe.d/.zz-nestvirt.conf.keep"));
	assert_true(testroot_exists(&fx->t, "run/modprobe.d/.zz-nestvirt.conf.1A2B3C"));
	assert_true(testroot_exists(&fx->t, "run/nestvirt/.state.0000ff0"));
}

/* What one logger call writes to stderr. */
static const char *logged(struct fixture *fx, const char *fmt, const char *arg)
{
	char path[600];
	int saved = dup(STDERR_FILENO), fd;

	snprintf(path, sizeof(path), "%s/log", fx->t.path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);
	log_error(fmt, arg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	return rd(fx, "log");
}

static void test_trailing_newline_of_a_message_is_not_doubled(void **state)
{
	struct fixture *fx = *state;

	/* libkmod's log formats end in "\n". */
	assert_string_equal(logged(fx, "libkmod: %s\n", "could not insert 'kvm_amd'"),
			    "nestvirt: libkmod: could not insert 'kvm_amd'\n");
}

static void test_control_characters_in_a_message_are_escaped(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(logged(fx, "ignoring '%s'", "nestvirt.cpu=a\n<3>forged\x1b[0m"),
			    "nestvirt: ignoring 'nestvirt.cpu=a\\x0a<3>forged\\x1b[0m'\n");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_no_nestvirt_writes_nothing),
	    T(test_on_writes_amd_snippet_with_digit),
	    T(test_off_writes_intel_snippet_with_digit),
	    T(test_snippet_is_world_readable),
	    T(test_unused_loaded_module_is_reloaded),
	    T(test_used_module_is_left_pending_reboot),
	    T(test_builtin_module_is_reported),
	    T(test_failed_reload_restores_module_and_is_not_retried),
	    T(test_without_ops_reload_is_only_recorded),
	    T(test_admin_command_line_value_wins),
	    T(test_admin_value_that_agrees_is_no_conflict),
	    T(test_cpuinfo_without_vendor_fails_and_writes_no_snippet),
	    T(test_unknown_vendor_fails),
	    T(test_missing_cmdline_fails_and_writes_nothing),
	    T(test_garbage_cmdline_is_harmless),
	    T(test_modprobe_dir_symlink_is_refused),
	    T(test_modprobe_dir_that_is_a_file_is_refused),
	    T(test_stale_snippet_and_temp_file_are_replaced),
	    T(test_other_files_in_modprobe_dir_are_kept),
	    T(test_admin_yes_for_kvm_intel_bool_agrees),
	    T(test_admin_on_for_kvm_amd_int_is_invalid),
	    T(test_admin_hex_for_kvm_amd_agrees),
	    T(test_lock_is_held_while_reloading),
	    T(test_reload_attempts_survive_a_run_that_did_not_reload),
	    T(test_newline_in_admin_value_forges_no_state_line),
	    T(test_newline_in_override_is_refused),
	    T(test_overrides_are_recorded),
	    T(test_persistent_setting_applies_without_cmdline),
	    T(test_cmdline_wins_over_persistent_setting),
	    T(test_garbage_persistent_file_counts_as_absent),
	    T(test_second_run_of_a_boot_writes_nothing),
	    T(test_real_root_adds_the_persistent_setting),
	    T(test_later_run_keeps_the_record_of_a_reload),
	    T(test_install_command_refuses_the_reload),
	    T(test_unreadable_module_state_is_unknown),
	    T(test_loading_module_is_left_to_its_add_event),
	    T(test_group_writable_modprobe_dir_is_refused),
	    T(test_state_dir_of_another_owner_is_refused),
	    T(test_stale_cleanup_removes_only_our_temp_names),
	    T(test_trailing_newline_of_a_message_is_not_doubled),
	    T(test_control_characters_in_a_message_are_escaped),
	};

	return cmocka_run_group_tests_name("early", tests, NULL, NULL);
}
