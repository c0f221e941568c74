// SPDX-License-Identifier: LGPL-2.1-or-later
/* Vendor detection on real /proc/cpuinfo samples (tests/data/cpuinfo). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fileio.h"
#include "hostcpu.h"
#include "testroot.h"

static int parse_sample(const char *name, struct hostcpu *cpu)
{
	char path[512];
	size_t len;
	char *buf;
	int r;

	snprintf(path, sizeof(path), "%s/tests/data/cpuinfo/%s", SRCDIR, name);
	assert_int_equal(fileio_read(AT_FDCWD, path, 1 << 20, true, &buf, &len), 0);
	r = hostcpu_parse(buf, len, cpu);
	free(buf);
	return r;
}

static void test_intel_bare_metal_has_vmx(void **state)
{
	struct hostcpu cpu;

	(void)state;
	assert_int_equal(parse_sample("intel-xeon-gold-6230.txt", &cpu), 0);
	assert_string_equal(cpu.vendor, "GenuineIntel");
	assert_int_equal(cpu.module, KVM_MODULE_INTEL);
	assert_true(cpu.virt_flag);
	assert_false(cpu.hypervisor);
}

static void test_amd_bare_metal_has_svm(void **state)
{
	struct hostcpu cpu;

	(void)state;
	assert_int_equal(parse_sample("amd-epyc-7302.txt", &cpu), 0);
	assert_string_equal(cpu.vendor, "AuthenticAMD");
	assert_int_equal(cpu.module, KVM_MODULE_AMD);
	assert_true(cpu.virt_flag);
	assert_false(cpu.hypervisor);
}

static void test_hygon_uses_kvm_amd(void **state)
{
	struct hostcpu cpu;

	(void)state;
	assert_int_equal(parse_sample("hygon-c86-7185.txt", &cpu), 0);
	assert_string_equal(cpu.vendor, "HygonGenuine");
	assert_int_equal(cpu.module, KVM_MODULE_AMD);
	assert_true(cpu.virt_flag);
}

static void test_zhaoxin_padded_vendor_uses_kvm_intel(void **state)
{
	struct hostcpu cpu;

	(void)state;
	assert_int_equal(parse_sample("zhaoxin-kx-u6780a.txt", &cpu), 0);
	assert_string_equal(cpu.vendor, "Shanghai");
	assert_int_equal(cpu.module, KVM_MODULE_INTEL);
	assert_true(cpu.virt_flag);
}

static void test_vm_without_vmx_has_hypervisor_flag(void **state)
{
	struct hostcpu cpu;

	(void)state;
	/* Captured on this project's own CI machine: a KVM guest without nested VMX. */
	assert_int_equal(parse_sample("intel-xeon-vm-novmx.txt", &cpu), 0);
	assert_int_equal(cpu.module, KVM_MODULE_INTEL);
	assert_false(cpu.virt_flag);
	assert_true(cpu.hypervisor);
}

static void test_missing_vendor_line_is_enoent(void **state)
{
	struct hostcpu cpu;

	(void)state;
	assert_int_equal(parse_sample("no-vendor.txt", &cpu), -ENOENT);
}

static void test_centaur_uses_kvm_intel(void **state)
{
	static const char text[] =
	    "processor\t: 0\nvendor_id\t: CentaurHauls\nflags\t\t: fpu vmx\n";
	struct hostcpu cpu;

	(void)state;
	assert_int_equal(hostcpu_parse(text, sizeof(text) - 1, &cpu), 0);
	assert_int_equal(cpu.module, KVM_MODULE_INTEL);
}

static void test_unknown_vendor_has_no_module(void **state)
{
	static const char text[] = "vendor_id\t: VIA VIA VIA \nflags\t\t: fpu\n";
	struct hostcpu cpu;

	(void)state;
	assert_int_equal(hostcpu_parse(text, sizeof(text) - 1, &cpu), 0);
	assert_string_equal(cpu.vendor, "VIA VIA VIA");
	assert_int_equal(cpu.module, KVM_MODULE_NONE);
}

static void test_flag_must_be_a_whole_word(void **state)
{
	static const char text[] =
	    "vendor_id\t: AuthenticAMD\nflags\t\t: svm_lock xsvm hypervisorx\n";
	struct hostcpu cpu;

	(void)state;
	assert_int_equal(hostcpu_parse(text, sizeof(text) - 1, &cpu), 0);
	assert_false(cpu.virt_flag);
	assert_false(cpu.hypervisor);
}

static void test_only_first_processor_block_counts(void **state)
{
	static const char text[] = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu\n\n"
				   "processor\t: 1\nvendor_id\t: GenuineIntel\nflags\t\t: vmx\n";
	struct hostcpu cpu;

	(void)state;
	assert_int_equal(hostcpu_parse(text, sizeof(text) - 1, &cpu), 0);
	assert_int_equal(cpu.module, KVM_MODULE_AMD);
	assert_false(cpu.virt_flag);
}

static void test_garbage_is_enoent(void **state)
{
	static const char text[] = "\x01\x02garbage: : :\n\n\nvendor_id";
	struct hostcpu cpu;

	(void)state;
	assert_int_equal(hostcpu_parse(text, sizeof(text) - 1, &cpu), -ENOENT);
	assert_int_equal(hostcpu_parse("", 0, &cpu), -ENOENT);
}

static void test_read_takes_the_cpuinfo_below_the_root(void **state)
{
	struct testroot t;
	struct hostcpu cpu;

	(void)state;
	testroot_init(&t);
	testroot_write(&t, "proc/cpuinfo",
		       "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t: svm\n");
	assert_int_equal(hostcpu_read(t.fd, &cpu), 0);
	assert_int_equal(cpu.module, KVM_MODULE_AMD);
	assert_true(cpu.virt_flag);
	testroot_cleanup(&t);
}

static void test_read_of_a_fifo_is_refused_without_blocking(void **state)
{
	struct testroot t;
	struct hostcpu cpu;

	(void)state;
	testroot_init(&t);
	/* No writer ever opens it: a blocking open or read would hang here. */
	assert_int_equal(mkfifoat(t.fd, "proc/cpuinfo", 0644), 0);
	assert_int_equal(hostcpu_read(t.fd, &cpu), -EINVAL);
	assert_int_equal(cpu.module, KVM_MODULE_NONE);
	testroot_cleanup(&t);
}

static void test_read_without_vendor_is_enodata(void **state)
{
	struct testroot t;
	struct hostcpu cpu;

	(void)state;
	testroot_init(&t);
	testroot_write(&t, "proc/cpuinfo", "processor\t: 0\nflags\t: svm\n");
	assert_int_equal(hostcpu_read(t.fd, &cpu), -ENODATA);
	testroot_cleanup(&t);
}

static void test_read_stops_after_its_bound(void **state)
{
	struct testroot t;
	struct hostcpu cpu;
	char *big = malloc(HOSTCPU_READ_MAX + 100);

	(void)state;
	testroot_init(&t);
	/* The vendor line just beyond the bound is not seen. */
	memset(big, '\n', HOSTCPU_READ_MAX);
	strcpy(big + HOSTCPU_READ_MAX, "vendor_id\t: AuthenticAMD\n");
	testroot_write(&t, "proc/cpuinfo", big);
	assert_int_equal(hostcpu_read(t.fd, &cpu), -ENODATA);
	free(big);
	testroot_cleanup(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intel_bare_metal_has_vmx),
	    cmocka_unit_test(test_amd_bare_metal_has_svm),
	    cmocka_unit_test(test_hygon_uses_kvm_amd),
	    cmocka_unit_test(test_zhaoxin_padded_vendor_uses_kvm_intel),
	    cmocka_unit_test(test_vm_without_vmx_has_hypervisor_flag),
	    cmocka_unit_test(test_missing_vendor_line_is_enoent),
	    cmocka_unit_test(test_centaur_uses_kvm_intel),
	    cmocka_unit_test(test_unknown_vendor_has_no_module),
	    cmocka_unit_test(test_flag_must_be_a_whole_word),
	    cmocka_unit_test(test_only_first_processor_block_counts),
	    cmocka_unit_test(test_garbage_is_enoent),
	    cmocka_unit_test(test_read_takes_the_cpuinfo_below_the_root),
	    cmocka_unit_test(test_read_of_a_fifo_is_refused_without_blocking),
	    cmocka_unit_test(test_read_without_vendor_is_enodata),
	    cmocka_unit_test(test_read_stops_after_its_bound),
	};

	return cmocka_run_group_tests_name("hostcpu", tests, NULL, NULL);
}
