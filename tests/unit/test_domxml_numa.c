// SPDX-License-Identifier: LGPL-2.1-or-later
/* The <cpu> edit and the guest's NUMA cells (issue 9 item 10): an edit that drops
 * <cpu><numa> (clearxml=yes, none) does as the user asked, unless another element refers to
 * the cells by number, which libvirt would then reject; the refusal names that element. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cpuspec.h"
#include "domxml.h"

#define HEAD                                                                                       \
	"<domain type='kvm'>\n"                                                                    \
	"  <name>t</name>\n"                                                                       \
	"  <memory unit='KiB'>1048576</memory>\n"
#define OS                                                                                         \
	"  <os>\n"                                                                                 \
	"    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"                                \
	"  </os>\n"
#define NUMA_CPU                                                                                   \
	"  <cpu mode='host-passthrough'>\n"                                                        \
	"    <numa>\n"                                                                             \
	"      <cell id='0' cpus='0' memory='524288' unit='KiB'/>\n"                               \
	"      <cell id='1' cpus='1' memory='524288' unit='KiB'/>\n"                               \
	"    </numa>\n"                                                                            \
	"  </cpu>\n"
#define DEVICES(d)                                                                                 \
	"  <devices>\n"                                                                            \
	"    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n" d "  </devices>\n"                \
	"</domain>\n"

static struct domxml_result apply_spec(const char *doc, const char *spec_text)
{
	struct domxml_request req = {.mode = DOMXML_MODE_SPEC, .vendor_feature = "vmx"};
	struct domxml_result res;
	struct cpuspec *spec = NULL;
	char err[256];

	if (cpuspec_parse(spec_text, &spec, err, sizeof(err)) < 0)
		fail_msg("--cpu %s: %s", spec_text, err);
	req.spec = spec;
	assert_int_equal(domxml_apply(doc, strlen(doc), &req, &res), 0);
	cpuspec_free(spec);
	return res;
}

static void expect_refused(const char *doc, const char *reason)
{
	struct domxml_result res = apply_spec(doc, "host-passthrough,clearxml=yes");

	if (res.status != DOMXML_INVALID)
		fail_msg("status %d, expected invalid (%s)", res.status, res.reason);
	assert_string_equal(res.reason, reason);
	assert_null(res.out);
}

static void expect_dropped(const char *doc, const char *spec, const char *expected)
{
	struct domxml_result res = apply_spec(doc, spec);

	if (res.status != DOMXML_CHANGED)
		fail_msg("not changed: %s", res.reason);
	assert_int_equal(res.out_len, strlen(expected));
	assert_memory_equal(res.out, expected, res.out_len);
	domxml_result_free(&res);
}

static void test_clearxml_drops_numa_cells_nothing_refers_to(void **state)
{
	(void)state;
	expect_dropped(HEAD OS NUMA_CPU DEVICES(""), "host-passthrough,clearxml=yes",
		       HEAD OS "  <cpu mode='host-passthrough'/>\n" DEVICES(""));
}

static void test_clear_drops_numa_cells_nothing_refers_to(void **state)
{
	(void)state;
	expect_dropped(HEAD OS NUMA_CPU DEVICES(""), "clear", HEAD OS DEVICES(""));
}

static void test_hugepages_without_nodeset_do_not_keep_numa_cells(void **state)
{
	(void)state;
	expect_dropped(HEAD "  <memoryBacking>\n"
			    "    <hugepages>\n"
			    "      <page size='2048' unit='KiB'/>\n"
			    "    </hugepages>\n"
			    "  </memoryBacking>\n" OS NUMA_CPU DEVICES(""),
		       "host-passthrough,clearxml=yes",
		       HEAD "  <memoryBacking>\n"
			    "    <hugepages>\n"
			    "      <page size='2048' unit='KiB'/>\n"
			    "    </hugepages>\n"
			    "  </memoryBacking>\n" OS
			    "  <cpu mode='host-passthrough'/>\n" DEVICES(""));
}

static void test_numatune_memnode_keeps_numa_cells(void **state)
{
	(void)state;
	expect_refused(HEAD "  <numatune>\n"
			    "    <memory mode='strict' nodeset='0'/>\n"
			    "    <memnode cellid='1' mode='strict' nodeset='0'/>\n"
			    "  </numatune>\n" OS NUMA_CPU DEVICES(""),
		       "the edit would drop <cpu><numa>, the guest's NUMA cells, which "
		       "<numatune><memnode cellid='1'> refers to");
}

static void test_numatune_memory_alone_does_not_keep_numa_cells(void **state)
{
	(void)state;
	expect_dropped(HEAD "  <numatune>\n"
			    "    <memory mode='strict' nodeset='0'/>\n"
			    "  </numatune>\n" OS NUMA_CPU DEVICES(""),
		       "host-passthrough,clearxml=yes",
		       HEAD "  <numatune>\n"
			    "    <memory mode='strict' nodeset='0'/>\n"
			    "  </numatune>\n" OS "  <cpu mode='host-passthrough'/>\n" DEVICES(""));
}

static void test_hugepages_nodeset_keeps_numa_cells(void **state)
{
	(void)state;
	expect_refused(HEAD "  <memoryBacking>\n"
			    "    <hugepages>\n"
			    "      <page size='2048' unit='KiB' nodeset='1'/>\n"
			    "    </hugepages>\n"
			    "  </memoryBacking>\n" OS NUMA_CPU DEVICES(""),
		       "the edit would drop <cpu><numa>, the guest's NUMA cells, which "
		       "<memoryBacking><hugepages><page nodeset='1'> refers to");
}

static void test_memory_device_target_node_keeps_numa_cells(void **state)
{
	(void)state;
	expect_refused(HEAD OS NUMA_CPU DEVICES("    <memory model='dimm'>\n"
						"      <target>\n"
						"        <size unit='KiB'>524288</size>\n"
						"        <node>1</node>\n"
						"      </target>\n"
						"    </memory>\n"),
		       "the edit would drop <cpu><numa>, the guest's NUMA cells, which "
		       "<devices><memory><target><node> refers to");
}

static void test_pci_expander_bus_target_node_keeps_numa_cells(void **state)
{
	(void)state;
	expect_refused(HEAD OS NUMA_CPU DEVICES(
			   "    <controller type='pci' index='1' model='pcie-expander-bus'>\n"
			   "      <target busNr='254'>\n"
			   "        <node>0</node>\n"
			   "      </target>\n"
			   "    </controller>\n"),
		       "the edit would drop <cpu><numa>, the guest's NUMA cells, which "
		       "<devices><controller><target><node> refers to");
}

static void test_an_edit_that_keeps_the_cells_ignores_references(void **state)
{
	(void)state;
	expect_dropped(HEAD "  <numatune>\n"
			    "    <memnode cellid='1' mode='strict' nodeset='0'/>\n"
			    "  </numatune>\n" OS NUMA_CPU DEVICES(""),
		       "host-passthrough,migratable=on",
		       HEAD "  <numatune>\n"
			    "    <memnode cellid='1' mode='strict' nodeset='0'/>\n"
			    "  </numatune>\n" OS "  <cpu mode='host-passthrough' migratable='on'>\n"
			    "    <numa>\n"
			    "      <cell id='0' cpus='0' memory='524288' unit='KiB'/>\n"
			    "      <cell id='1' cpus='1' memory='524288' unit='KiB'/>\n"
			    "    </numa>\n"
			    "  </cpu>\n" DEVICES(""));
}

/* cmd-rewrite.c appends ", left unchanged" to every refusal: the reason must not say it too. */
static void test_refusal_reasons_leave_left_unchanged_to_the_caller(void **state)
{
	const char *doc = HEAD OS DEVICES("");
	struct domxml_result res = apply_spec(doc, "Haswell,migratable=on");

	(void)state;
	assert_int_equal(res.status, DOMXML_INVALID);
	assert_string_equal(res.reason, "libvirt would reject the result (migratable is only "
					"allowed with host-passthrough or maximum)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clearxml_drops_numa_cells_nothing_refers_to),
	    cmocka_unit_test(test_clear_drops_numa_cells_nothing_refers_to),
	    cmocka_unit_test(test_hugepages_without_nodeset_do_not_keep_numa_cells),
	    cmocka_unit_test(test_numatune_memnode_keeps_numa_cells),
	    cmocka_unit_test(test_numatune_memory_alone_does_not_keep_numa_cells),
	    cmocka_unit_test(test_hugepages_nodeset_keeps_numa_cells),
	    cmocka_unit_test(test_memory_device_target_node_keeps_numa_cells),
	    cmocka_unit_test(test_pci_expander_bus_target_node_keeps_numa_cells),
	    cmocka_unit_test(test_an_edit_that_keeps_the_cells_ignores_references),
	    cmocka_unit_test(test_refusal_reasons_leave_left_unchanged_to_the_caller),
	};

	return cmocka_run_group_tests_name("domxml_numa", tests, NULL, NULL);
}
