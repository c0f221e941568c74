// SPDX-License-Identifier: LGPL-2.1-or-later
/* --mode feature on AMD: svm comes with npt (nested paging, the user's "svm and npt" check)
 * wherever libvirt's definition of the model lacks it; Intel guests get no such feature. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpumap.h"
#include "cpuspec.h"
#include "domxml.h"

#include "domxmltest.h"

/* libvirt 9.0's map in brief: EPYC-Rome lists npt, EPYC and Opteron_G1 do not. */
static const char *const map_files[] = {
    "index.xml",
    "<cpus>\n  <arch name='x86'>\n"
    "    <feature name='svm'><cpuid eax_in='0x80000001' ecx='0x00000004'/></feature>\n"
    "    <feature name='npt'><cpuid eax_in='0x8000000a' edx='0x00000001'/></feature>\n"
    "    <model name='Opteron_G1'><vendor name='AMD'/></model>\n"
    "    <model name='EPYC'><vendor name='AMD'/><feature name='svm'/></model>\n"
    "    <model name='EPYC-Rome'><vendor name='AMD'/><feature name='svm'/>"
    "<feature name='npt'/></model>\n"
    "    <model name='EPYC-Rome-IBRS'><model name='EPYC-Rome'/></model>\n"
    "  </arch>\n</cpus>\n",
    NULL,
};

static int read_fixture(void *opaque, const char *name, char **ret_buf, size_t *ret_len)
{
	const char *const *f = opaque;

	for (size_t i = 0; f[i]; i += 2) {
		if (strcmp(f[i], name))
			continue;
		*ret_buf = strdup(f[i + 1]);
		*ret_len = strlen(f[i + 1]);
		return *ret_buf ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

static int setup_map(void **state)
{
	struct cpumap *map = NULL;

	if (cpumap_load_with(read_fixture, (void *)map_files, "index.xml", "x86_64", &map) < 0)
		return -1;
	*state = map;
	return 0;
}

static int teardown_map(void **state)
{
	cpumap_free(*state);
	return 0;
}

static struct domxml_request amd_req(void **state)
{
	struct domxml_request req = feature_req("svm");

	req.map = *state;
	return req;
}

#define CUSTOM(model)                                                                              \
	"  <cpu mode='custom' match='exact' check='partial'>\n    <model>" model "</model>\n"

static void test_opteron_g1_gets_svm_and_npt(void **state)
{
	struct domxml_request req = amd_req(state);

	expect_output(HEAD CUSTOM("Opteron_G1") "  </cpu>\n" TAIL, &req,
		      HEAD CUSTOM("Opteron_G1") "    <feature policy='require' name='svm'/>\n"
						"    <feature policy='require' name='npt'/>\n"
						"  </cpu>\n" TAIL);
}

/* QEMU's EPYC carries npt, libvirt's map does not: the explicit require is what lets
 * libvirt's own check (partial/full) refuse a host without nested paging. */
static void test_epyc_gets_npt_because_the_map_lacks_it(void **state)
{
	struct domxml_request req = amd_req(state);

	expect_output(HEAD CUSTOM("EPYC") "  </cpu>\n" TAIL, &req,
		      HEAD CUSTOM("EPYC") "    <feature policy='require' name='svm'/>\n"
					  "    <feature policy='require' name='npt'/>\n"
					  "  </cpu>\n" TAIL);
}

static void test_model_whose_map_entry_lists_npt_gets_svm_only(void **state)
{
	struct domxml_request req = amd_req(state);

	expect_output(HEAD CUSTOM("EPYC-Rome") "  </cpu>\n" TAIL, &req,
		      HEAD CUSTOM("EPYC-Rome") "    <feature policy='require' name='svm'/>\n"
					       "  </cpu>\n" TAIL);
}

static void test_npt_listed_by_an_ancestor_counts(void **state)
{
	struct domxml_request req = amd_req(state);

	expect_output(HEAD CUSTOM("EPYC-Rome-IBRS") "  </cpu>\n" TAIL, &req,
		      HEAD CUSTOM("EPYC-Rome-IBRS") "    <feature policy='require' name='svm'/>\n"
						    "  </cpu>\n" TAIL);
}

static void test_required_svm_without_npt_gets_npt(void **state)
{
	struct domxml_request req = amd_req(state);

	expect_output(HEAD CUSTOM("Opteron_G1") "    <feature policy='require' name='svm'/>\n"
						"  </cpu>\n" TAIL,
		      &req,
		      HEAD CUSTOM("Opteron_G1") "    <feature policy='require' name='svm'/>\n"
						"    <feature policy='require' name='npt'/>\n"
						"  </cpu>\n" TAIL);
	expect_status(HEAD CUSTOM("Opteron_G1") "    <feature policy='require' name='svm'/>\n"
						"  </cpu>\n" TAIL,
		      &req, DOMXML_CHANGED, "added npt 'require'");
}

static void test_optional_npt_becomes_required(void **state)
{
	struct domxml_request req = amd_req(state);

	expect_output(HEAD CUSTOM("EPYC") "    <feature policy='optional' name='npt'/>\n"
					  "  </cpu>\n" TAIL,
		      &req,
		      HEAD CUSTOM("EPYC") "    <feature policy='require' name='npt'/>\n"
					  "    <feature policy='require' name='svm'/>\n"
					  "  </cpu>\n" TAIL);
}

static void test_disabled_npt_stays_disabled(void **state)
{
	struct domxml_request req = amd_req(state);

	expect_output(HEAD CUSTOM("EPYC") "    <feature policy='disable' name='npt'/>\n"
					  "  </cpu>\n" TAIL,
		      &req,
		      HEAD CUSTOM("EPYC") "    <feature policy='disable' name='npt'/>\n"
					  "    <feature policy='require' name='svm'/>\n"
					  "  </cpu>\n" TAIL);
}

/* The control domain: svm explicitly off is left alone, npt is not added behind its back. */
static void test_disabled_svm_gets_no_npt(void **state)
{
	struct domxml_request req = amd_req(state);

	expect_status(HEAD CUSTOM("EPYC") "    <feature policy='disable' name='svm'/>\n"
					  "  </cpu>\n" TAIL,
		      &req, DOMXML_SKIPPED, "svm is explicitly 'disable'");
}

static void test_host_passthrough_gets_no_npt(void **state)
{
	struct domxml_request req = amd_req(state);

	expect_status(HEAD "  <cpu mode='host-passthrough' check='none'/>\n" TAIL, &req,
		      DOMXML_UNCHANGED, "host-passthrough already passes svm through");
}

/* Without a map nothing says the model has npt: it is required (harmless where it has). */
static void test_without_a_map_npt_is_required(void **state)
{
	struct domxml_request req = feature_req("svm");

	(void)state;
	expect_output(HEAD CUSTOM("EPYC-Rome") "  </cpu>\n" TAIL, &req,
		      HEAD CUSTOM("EPYC-Rome") "    <feature policy='require' name='svm'/>\n"
					       "    <feature policy='require' name='npt'/>\n"
					       "  </cpu>\n" TAIL);
}

/* Intel: QEMU's named models carry EPT in their VMX capabilities; vmx alone. */
static void test_intel_gets_vmx_only(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_output(HEAD CUSTOM("Haswell") "  </cpu>\n" TAIL, &req,
		      HEAD CUSTOM("Haswell") "    <feature policy='require' name='vmx'/>\n"
					     "  </cpu>\n" TAIL);
}

static void test_disable_mode_leaves_npt_alone(void **state)
{
	struct domxml_request req = amd_req(state);

	req.mode = DOMXML_MODE_DISABLE;
	expect_output(HEAD CUSTOM("Opteron_G1") "  </cpu>\n" TAIL, &req,
		      HEAD CUSTOM("Opteron_G1") "    <feature policy='disable' name='svm'/>\n"
						"  </cpu>\n" TAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_opteron_g1_gets_svm_and_npt),
	    cmocka_unit_test(test_epyc_gets_npt_because_the_map_lacks_it),
	    cmocka_unit_test(test_model_whose_map_entry_lists_npt_gets_svm_only),
	    cmocka_unit_test(test_npt_listed_by_an_ancestor_counts),
	    cmocka_unit_test(test_required_svm_without_npt_gets_npt),
	    cmocka_unit_test(test_optional_npt_becomes_required),
	    cmocka_unit_test(test_disabled_npt_stays_disabled),
	    cmocka_unit_test(test_disabled_svm_gets_no_npt),
	    cmocka_unit_test(test_host_passthrough_gets_no_npt),
	    cmocka_unit_test(test_without_a_map_npt_is_required),
	    cmocka_unit_test(test_intel_gets_vmx_only),
	    cmocka_unit_test(test_disable_mode_leaves_npt_alone),
	};

	return cmocka_run_group_tests(tests, setup_map, teardown_map);
}
