// SPDX-License-Identifier: LGPL-2.1-or-later
/* The judgement of nestvirt status (pure): facts in, the --check class, the verdict and the
 * "do:" lines out; and the textfile's labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "status.h"

/* An AMD host, nestvirt=1 on the command line, the helper ran, kvm_amd loaded with 1. */
static struct status_report *healthy(void)
{
	struct status_report *r = calloc(1, sizeof(*r));

	r->root = "/";
	r->host.module = KVM_MODULE_AMD;
	snprintf(r->host.vendor, sizeof(r->host.vendor), "AuthenticAMD");
	r->host.virt_flag = r->host.slat = 1;
	r->host.hypervisor = 0;
	r->req.cmdline = r->req.request = 1;
	r->req.source = "cmdline";
	r->req.firstboot = -1;
	r->req.persistent = -1;
	r->req.persistent_err = -ENOENT;
	r->req.state_kind = STATE_FILE_OK;
	state_init(&r->req.st);
	snprintf(r->req.st.action, sizeof(r->req.st.action), "already");
	r->req.stamp = STAMP_DONE;
	r->mod.name = "kvm_amd";
	r->mod.live.init = KVMMOD_INIT_LIVE;
	r->mod.live.nested = 1;
	r->mod.live.refcnt = 0;
	r->mod.live.err_file = "";
	r->mod.snippet = true;
	r->mod.nsrc = 1;
	r->mod.src[0] =
	    (struct status_src){.kind = SRC_SNIPPET, .line = 3, .text = "1", .value = 1};
	snprintf(r->mod.src[0].file, sizeof(r->mod.src[0].file),
		 "/run/modprobe.d/zz-nestvirt.conf");
	r->mod.next = 1;
	r->mod.decider = 0;
	r->mod.initrd = -1;
	return r;
}

static void add_src(struct status_report *r, enum status_src_kind kind, const char *file,
		    unsigned line, const char *text, int value)
{
	struct status_src *s = &r->mod.src[r->mod.nsrc];

	*s = (struct status_src){.kind = kind, .line = line, .value = value};
	snprintf(s->file, sizeof(s->file), "%s", file);
	snprintf(s->text, sizeof(s->text), "%s", text);
	r->mod.decider = (int)r->mod.nsrc++;
	r->mod.next = value;
}

static void test_healthy_host_is_ok(void **state)
{
	struct status_report *r = healthy();

	(void)state;
	status_judge(r);
	assert_int_equal(r->cls, STATUS_OK);
	assert_int_equal(r->nproblems, 0);
	assert_string_equal(r->verdict,
			    "kvm_amd has nested=1, as nestvirt=1 on the kernel command line asks");
	free(r);
}

static void test_held_module_is_pending_reboot_with_refcnt(void **state)
{
	struct status_report *r = healthy();

	(void)state;
	r->mod.live.nested = 0;
	r->mod.live.refcnt = 2;
	status_judge(r);
	assert_int_equal(r->cls, STATUS_PENDING_REBOOT);
	assert_true(r->pending_reboot);
	assert_non_null(strstr(r->verdict, "held (refcnt 2)"));
	free(r);
}

static void test_later_modprobe_line_is_a_conflict_naming_file_and_line(void **state)
{
	struct status_report *r = healthy();

	(void)state;
	r->mod.live.init = KVMMOD_INIT_ABSENT;
	add_src(r, SRC_MODPROBE, "/etc/modprobe.d/zzz.conf", 7, "0", 0);
	status_judge(r);
	assert_int_equal(r->cls, STATUS_CONFLICT);
	assert_string_equal(r->problems[0].todo,
			    "remove or change line 7 of /etc/modprobe.d/zzz.conf");
	free(r);
}

static void test_admin_cmdline_value_is_a_conflict(void **state)
{
	struct status_report *r = healthy();

	(void)state;
	r->mod.live.init = KVMMOD_INIT_ABSENT;
	add_src(r, SRC_CMDLINE, "", 0, "0", 0);
	status_judge(r);
	assert_int_equal(r->cls, STATUS_CONFLICT);
	assert_string_equal(r->problems[0].todo,
			    "remove kvm_amd.nested=0 from the kernel command line");
	free(r);
}

static void test_builtin_with_other_value_says_the_command_line(void **state)
{
	struct status_report *r = healthy();

	(void)state;
	r->mod.live.init = KVMMOD_INIT_BUILTIN;
	r->mod.live.nested = 0;
	status_judge(r);
	assert_int_equal(r->cls, STATUS_BUILTIN);
	assert_non_null(
	    strstr(r->problems[0].todo, "add kvm_amd.nested=1 to the kernel command line"));
	free(r);
}

static void test_unreadable_state_is_not_did_not_run(void **state)
{
	struct status_report *r = healthy();

	(void)state;
	r->mod.live.init = KVMMOD_INIT_ABSENT;
	r->mod.snippet = false;
	r->mod.nsrc = 0;
	add_src(r, SRC_MODPROBE, "/etc/modprobe.d/kvm.conf", 1, "0", 0);
	r->req.state_kind = STATE_FILE_UNREADABLE;
	snprintf(r->req.state_err, sizeof(r->req.state_err), "/run/nestvirt/state: too large");
	status_judge(r);
	assert_int_equal(r->cls, STATUS_HELPER);
	assert_null(strstr(r->verdict, "did not run"));
	assert_non_null(strstr(r->verdict, "too large"));
	free(r);
}

static void test_no_svm_in_a_vm_points_at_the_outer_host(void **state)
{
	struct status_report *r = healthy();

	(void)state;
	r->host.virt_flag = 0;
	r->host.hypervisor = 1;
	status_judge(r);
	assert_int_equal(r->cls, STATUS_UNSUPPORTED);
	assert_non_null(strstr(r->problems[0].todo, "on the outer host"));
	free(r);
}

static void test_nothing_requested(void **state)
{
	struct status_report *r = healthy();

	(void)state;
	r->req.request = r->req.cmdline = -1;
	r->req.source = "";
	status_judge(r);
	assert_int_equal(r->cls, STATUS_NOT_REQUESTED);
	assert_int_equal(r->nproblems, 0);
	free(r);
}

static void test_failed_first_boot_comes_after_the_module(void **state)
{
	struct status_report *r = healthy();

	(void)state;
	r->req.stamp = STAMP_FAILED;
	status_judge(r);
	assert_int_equal(r->cls, STATUS_FIRSTBOOT_FAILED);
	r->nproblems = r->nnotes = 0;
	r->req.firstboot = 0; /* nestvirt.firstboot=0: no first boot asked for */
	status_judge(r);
	assert_int_equal(r->cls, STATUS_OK);
	free(r);
}

static void test_textfile_labels_are_escaped_ascii(void **state)
{
	struct status_report *r = healthy();
	size_t len;
	char *text;

	(void)state;
	snprintf(r->host.vendor, sizeof(r->host.vendor), "A\"\\\n\xff");
	status_judge(r);
	text = status_format_textfile(r, 1700000000, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "nestvirt_status_info{vendor=\"A\\\"\\\\\\n?\","));
	assert_non_null(strstr(text, "\nnestvirt_status_timestamp_seconds 1700000000\n"));
	assert_int_equal(strlen(text), len);
	free(text);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_healthy_host_is_ok),
	    cmocka_unit_test(test_held_module_is_pending_reboot_with_refcnt),
	    cmocka_unit_test(test_later_modprobe_line_is_a_conflict_naming_file_and_line),
	    cmocka_unit_test(test_admin_cmdline_value_is_a_conflict),
	    cmocka_unit_test(test_builtin_with_other_value_says_the_command_line),
	    cmocka_unit_test(test_unreadable_state_is_not_did_not_run),
	    cmocka_unit_test(test_no_svm_in_a_vm_points_at_the_outer_host),
	    cmocka_unit_test(test_nothing_requested),
	    cmocka_unit_test(test_failed_first_boot_comes_after_the_module),
	    cmocka_unit_test(test_textfile_labels_are_escaped_ascii),
	};

	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
