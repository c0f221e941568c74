// SPDX-License-Identifier: LGPL-2.1-or-later
/* The <cpu> edit of one domain document under --mode: feature, disable, host-passthrough,
 * host-model. The other rules: test_domxml_spec.c, _refusals.c, _bytes.c, _numa.c, _verify.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpuspec.h"
#include "domxml.h"

#include "domxmltest.h"

/* --mode feature -------------------------------------------------------------------------- */

static void test_feature_is_added_after_the_last_feature(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_output(HEAD "  <cpu mode='custom' match='exact' check='partial'>\n"
			   "    <model fallback='allow'>Skylake-Client-IBRS</model>\n"
			   "    <vendor>Intel</vendor>\n"
			   "    <feature policy='require' name='ssbd'/>\n"
			   "  </cpu>\n" TAIL,
		      &req,
		      HEAD "  <cpu mode='custom' match='exact' check='partial'>\n"
			   "    <model fallback='allow'>Skylake-Client-IBRS</model>\n"
			   "    <vendor>Intel</vendor>\n"
			   "    <feature policy='require' name='ssbd'/>\n"
			   "    <feature policy='require' name='vmx'/>\n"
			   "  </cpu>\n" TAIL);
}

static void test_feature_goes_before_numa(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_output(HEAD "  <cpu mode='custom' match='exact'>\n"
			   "    <model>Haswell</model>\n"
			   "    <numa>\n"
			   "      <cell id='0' cpus='0' memory='1048576' unit='KiB'/>\n"
			   "    </numa>\n"
			   "  </cpu>\n" TAIL,
		      &req,
		      HEAD "  <cpu mode='custom' match='exact'>\n"
			   "    <model>Haswell</model>\n"
			   "    <feature policy='require' name='vmx'/>\n"
			   "    <numa>\n"
			   "      <cell id='0' cpus='0' memory='1048576' unit='KiB'/>\n"
			   "    </numa>\n"
			   "  </cpu>\n" TAIL);
}

static void test_optional_feature_policy_is_changed_in_place(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_output(HEAD "  <cpu mode='custom' match='exact'>\n"
			   "    <model fallback='allow'>Haswell</model>\n"
			   "    <feature policy='optional' name='vmx'/>\n"
			   "    <feature policy='require' name='x2apic'/>\n"
			   "  </cpu>\n" TAIL,
		      &req,
		      HEAD "  <cpu mode='custom' match='exact'>\n"
			   "    <model fallback='allow'>Haswell</model>\n"
			   "    <feature policy='require' name='vmx'/>\n"
			   "    <feature policy='require' name='x2apic'/>\n"
			   "  </cpu>\n" TAIL);
}

static void test_required_feature_is_unchanged(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status(HEAD "  <cpu mode='custom' match='exact'>\n    <model>Haswell</model>\n"
			   "    <feature policy='require' name='vmx'/>\n  </cpu>\n" TAIL,
		      &req, DOMXML_UNCHANGED, "vmx is already 'require'");
}

static void test_forced_feature_counts_as_enabled(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status(HEAD "  <cpu mode='custom' match='exact'>\n    <model>Haswell</model>\n"
			   "    <feature policy='force' name='vmx'/>\n  </cpu>\n" TAIL,
		      &req, DOMXML_UNCHANGED, "vmx is already 'force'");
}

static void test_feature_without_policy_counts_as_require(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status(HEAD "  <cpu mode='custom' match='exact'>\n    <model>Haswell</model>\n"
			   "    <feature name='vmx'/>\n  </cpu>\n" TAIL,
		      &req, DOMXML_UNCHANGED, "already 'require'");
}

static void test_disabled_vendor_feature_is_skipped(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status(HEAD "  <cpu mode='custom' match='exact'>\n    <model>Haswell</model>\n"
			   "    <feature policy='disable' name='vmx'/>\n  </cpu>\n" TAIL,
		      &req, DOMXML_SKIPPED, "vmx is explicitly 'disable' in <cpu> (--override");
}

static void test_forbidden_vendor_feature_is_skipped(void **state)
{
	struct domxml_request req = feature_req("svm");

	(void)state;
	expect_status(HEAD "  <cpu mode='host-model'>\n"
			   "    <feature policy='forbid' name='svm'/>\n  </cpu>\n" TAIL,
		      &req, DOMXML_SKIPPED, "svm is explicitly 'forbid'");
}

/* A prefix declared on the child the edit rewrites stays declared (issue 9 item 5). */
static void test_namespace_declared_on_a_rewritten_feature_is_kept(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	req.override = true;
	expect_output(
	    HEAD "  <cpu mode='custom' match='exact'>\n"
		 "    <model fallback='allow'>Haswell</model>\n"
		 "    <feature xmlns:x='urn:x' x:note='kept' policy='disable' name='vmx'/>\n"
		 "  </cpu>\n" TAIL,
	    &req,
	    HEAD "  <cpu mode='custom' match='exact'>\n"
		 "    <model fallback='allow'>Haswell</model>\n"
		 "    <feature xmlns:x='urn:x' policy='require' name='vmx' x:note='kept'/>\n"
		 "  </cpu>\n" TAIL);
}

static void test_override_enables_a_disabled_feature(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	req.override = true;
	expect_output(HEAD "  <cpu mode='custom' match='exact'>\n    <model>Haswell</model>\n"
			   "    <feature policy='disable' name='vmx'/>\n  </cpu>\n" TAIL,
		      &req,
		      HEAD "  <cpu mode='custom' match='exact'>\n    <model>Haswell</model>\n"
			   "    <feature policy='require' name='vmx'/>\n  </cpu>\n" TAIL);
}

static void test_host_passthrough_already_passes_the_extension_through(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status(HEAD "  <cpu mode='host-passthrough' check='none' migratable='on'/>\n" TAIL,
		      &req, DOMXML_UNCHANGED, "host-passthrough already passes vmx through");
}

static void test_maximum_already_passes_the_extension_through(void **state)
{
	struct domxml_request req = feature_req("svm");

	(void)state;
	expect_status(HEAD "  <cpu mode='maximum'/>\n" TAIL, &req, DOMXML_UNCHANGED,
		      "maximum already passes svm through");
}

static void test_host_model_gets_the_feature(void **state)
{
	struct domxml_request req = feature_req("svm");

	(void)state;
	expect_output(HEAD "  <cpu mode='host-model' check='partial'/>\n" TAIL, &req,
		      HEAD "  <cpu mode='host-model' check='partial'>\n"
			   "    <feature policy='require' name='svm'/>\n"
			   "    <feature policy='require' name='npt'/>\n"
			   "  </cpu>\n" TAIL);
}

static void test_no_cpu_gets_libvirts_default_model_after_features(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_output(HEAD TAIL, &req, HEAD DEFAULT_CPU("require", "vmx") TAIL);
}

static void test_cpu_with_only_topology_gets_the_default_model(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_output(HEAD "  <cpu>\n"
			   "    <topology sockets='1' dies='1' cores='2' threads='1'/>\n"
			   "  </cpu>\n" TAIL,
		      &req,
		      HEAD "  <cpu mode='custom' match='exact' check='none'>\n"
			   "    <model fallback='forbid'>qemu64</model>\n"
			   "    <topology sockets='1' dies='1' cores='2' threads='1'/>\n"
			   "    <feature policy='require' name='vmx'/>\n"
			   "  </cpu>\n" TAIL);
}

static void test_custom_features_without_model_get_the_default_model(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	/* libvirt refuses to load this; the result is what it would have meant */
	expect_output(HEAD "  <cpu mode='custom'>\n"
			   "    <feature policy='optional' name='vmx'/>\n"
			   "  </cpu>\n" TAIL,
		      &req,
		      HEAD "  <cpu mode='custom' match='exact' check='none'>\n"
			   "    <model fallback='forbid'>qemu64</model>\n"
			   "    <feature policy='require' name='vmx'/>\n"
			   "  </cpu>\n" TAIL);
}

static void test_32_bit_guest_gets_qemu32(void **state)
{
	struct domxml_request req = feature_req("vmx");
	const char *doc = "<domain type='kvm'>\n  <name>x</name>\n  <os>\n"
			  "    <type arch='i686'>hvm</type>\n  </os>\n</domain>\n";

	(void)state;
	expect_output(doc, &req,
		      "<domain type='kvm'>\n  <name>x</name>\n  <os>\n"
		      "    <type arch='i686'>hvm</type>\n  </os>\n"
		      "  <cpu mode='custom' match='exact' check='none'>\n"
		      "    <model fallback='forbid'>qemu32</model>\n"
		      "    <feature policy='require' name='vmx'/>\n"
		      "  </cpu>\n</domain>\n");
}

static void test_guest_without_arch_is_taken_as_x86(void **state)
{
	struct domxml_request req = feature_req("svm");

	(void)state;
	expect_output(
	    "<domain type='kvm'>\n  <name>x</name>\n  <os>\n    <type>hvm</type>\n"
	    "  </os>\n</domain>\n",
	    &req,
	    "<domain type='kvm'>\n  <name>x</name>\n  <os>\n    <type>hvm</type>\n  </os>\n"
	    "  <cpu mode='custom' match='exact' check='none'>\n"
	    "    <model fallback='forbid'>qemu64</model>\n"
	    "    <feature policy='require' name='svm'/>\n"
	    "    <feature policy='require' name='npt'/>\n"
	    "  </cpu>\n</domain>\n");
}

/* --mode disable --------------------------------------------------------------------------- */

static void test_disable_writes_policy_disable(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_DISABLE);

	(void)state;
	expect_output(HEAD TAIL, &req, HEAD DEFAULT_CPU("disable", "vmx") TAIL);
}

static void test_disable_changes_require_in_place(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_DISABLE);

	(void)state;
	expect_output(HEAD "  <cpu mode='custom' match='exact'>\n    <model>Haswell</model>\n"
			   "    <feature policy='require' name='vmx'/>\n  </cpu>\n" TAIL,
		      &req,
		      HEAD "  <cpu mode='custom' match='exact'>\n    <model>Haswell</model>\n"
			   "    <feature policy='disable' name='vmx'/>\n  </cpu>\n" TAIL);
}

static void test_disable_keeps_forbid(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_DISABLE);

	(void)state;
	expect_status(HEAD "  <cpu mode='custom' match='exact'>\n    <model>Haswell</model>\n"
			   "    <feature policy='forbid' name='vmx'/>\n  </cpu>\n" TAIL,
		      &req, DOMXML_UNCHANGED, "vmx is already 'forbid'");
}

static void test_disable_on_host_passthrough_adds_the_feature(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_DISABLE);

	(void)state;
	expect_output(HEAD "  <cpu mode='host-passthrough' check='none' migratable='on'/>\n" TAIL,
		      &req,
		      HEAD "  <cpu mode='host-passthrough' check='none' migratable='on'>\n"
			   "    <feature policy='disable' name='vmx'/>\n"
			   "  </cpu>\n" TAIL);
}

/* --mode host-passthrough / host-model -------------------------------------------------------- */

static void test_host_passthrough_drops_model_vendor_features_keeps_the_rest(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_HOST_PASSTHROUGH);

	(void)state;
	expect_output(HEAD "  <cpu mode='custom' match='exact' check='partial'>\n"
			   "    <model fallback='allow'>EPYC-Rome</model>\n"
			   "    <vendor>AMD</vendor>\n"
			   "    <topology sockets='2' dies='1' cores='1' threads='1'/>\n"
			   "    <cache mode='passthrough'/>\n"
			   "    <feature policy='require' name='x2apic'/>\n"
			   "    <numa>\n"
			   "      <cell id='0' cpus='0-1' memory='1048576' unit='KiB'/>\n"
			   "    </numa>\n"
			   "  </cpu>\n" TAIL,
		      &req,
		      /* virt-xml keeps match as well */
		      HEAD "  <cpu mode='host-passthrough' match='exact'>\n"
			   "    <topology sockets='2' dies='1' cores='1' threads='1'/>\n"
			   "    <cache mode='passthrough'/>\n"
			   "    <numa>\n"
			   "      <cell id='0' cpus='0-1' memory='1048576' unit='KiB'/>\n"
			   "    </numa>\n"
			   "  </cpu>\n" TAIL);
}

static void test_host_model_switch_from_no_cpu(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_HOST_MODEL);

	(void)state;
	expect_output(HEAD TAIL, &req, HEAD "  <cpu mode='host-model'/>\n" TAIL);
}

static void test_host_passthrough_twice_is_unchanged(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_HOST_PASSTHROUGH);

	(void)state;
	expect_status(HEAD "  <cpu mode='host-passthrough'>\n"
			   "    <topology sockets='1' dies='1' cores='2' threads='1'/>\n"
			   "  </cpu>\n" TAIL,
		      &req, DOMXML_UNCHANGED, "already host-passthrough");
}

static void test_host_passthrough_respects_a_disabled_vendor_feature(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_HOST_PASSTHROUGH);

	(void)state;
	expect_status(HEAD "  <cpu mode='custom' match='exact'>\n    <model>Haswell</model>\n"
			   "    <feature policy='disable' name='vmx'/>\n  </cpu>\n" TAIL,
		      &req, DOMXML_SKIPPED, "vmx is explicitly 'disable'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_feature_is_added_after_the_last_feature),
	    cmocka_unit_test(test_feature_goes_before_numa),
	    cmocka_unit_test(test_optional_feature_policy_is_changed_in_place),
	    cmocka_unit_test(test_required_feature_is_unchanged),
	    cmocka_unit_test(test_forced_feature_counts_as_enabled),
	    cmocka_unit_test(test_feature_without_policy_counts_as_require),
	    cmocka_unit_test(test_disabled_vendor_feature_is_skipped),
	    cmocka_unit_test(test_forbidden_vendor_feature_is_skipped),
	    cmocka_unit_test(test_override_enables_a_disabled_feature),
	    cmocka_unit_test(test_namespace_declared_on_a_rewritten_feature_is_kept),
	    cmocka_unit_test(test_host_passthrough_already_passes_the_extension_through),
	    cmocka_unit_test(test_maximum_already_passes_the_extension_through),
	    cmocka_unit_test(test_host_model_gets_the_feature),
	    cmocka_unit_test(test_no_cpu_gets_libvirts_default_model_after_features),
	    cmocka_unit_test(test_cpu_with_only_topology_gets_the_default_model),
	    cmocka_unit_test(test_custom_features_without_model_get_the_default_model),
	    cmocka_unit_test(test_32_bit_guest_gets_qemu32),
	    cmocka_unit_test(test_guest_without_arch_is_taken_as_x86),
	    cmocka_unit_test(test_disable_writes_policy_disable),
	    cmocka_unit_test(test_disable_changes_require_in_place),
	    cmocka_unit_test(test_disable_keeps_forbid),
	    cmocka_unit_test(test_disable_on_host_passthrough_adds_the_feature),
	    cmocka_unit_test(test_host_passthrough_drops_model_vendor_features_keeps_the_rest),
	    cmocka_unit_test(test_host_model_switch_from_no_cpu),
	    cmocka_unit_test(test_host_passthrough_twice_is_unchanged),
	    cmocka_unit_test(test_host_passthrough_respects_a_disabled_vendor_feature),
	};

	return cmocka_run_group_tests_name("domxml", tests, NULL, NULL);
}
