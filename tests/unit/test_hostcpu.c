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
	static const char text[] = "processor\t: 0\nvendor_id\t: CentaurHauls\nflags\t\t: fpu vmx\n";
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
	static const char text[] = "vendor_id\t: AuthenticAMD\nflags\t\t: svm_lock xsvm hypervisorx\n";
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
	};

	return cmocka_run_group_tests_name("hostcpu", tests, NULL, NULL);
}
