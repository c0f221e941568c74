// SPDX-License-Identifier: LGPL-2.1-or-later
/* The <cpu> edit under --cpu SPEC: what virt-xml writes, and where nestvirt differs on
 * purpose (docs/rewrite-edit.md). */
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

/* --cpu SPEC ---------------------------------------------------------------------------------- */

static void test_spec_sets_model_match_and_features_as_virt_xml(void **state)
{
	(void)state;
	expect_spec_output(HEAD "  <cpu mode='custom' match='exact' check='partial'>\n"
				"    <model fallback='allow'>Haswell-noTSX</model>\n"
				"    <feature policy='require' name='svm'/>\n"
				"    <feature policy='optional' name='x2apic'/>\n"
				"  </cpu>\n" TAIL,
			   "Haswell,+vmx,-svm,match=minimum",
			   HEAD "  <cpu mode='custom' match='minimum' check='partial'>\n"
				"    <model fallback='allow'>Haswell</model>\n"
				"    <feature policy='disable' name='svm'/>\n"
				"    <feature policy='optional' name='x2apic'/>\n"
				"    <feature policy='force' name='vmx'/>\n"
				"  </cpu>\n" TAIL);
}

static void test_spec_model_on_no_cpu_is_custom_exact(void **state)
{
	(void)state;
	expect_spec_output(HEAD TAIL, "core2duo,+x2apic,disable=vmx",
			   HEAD "  <cpu mode='custom' match='exact'>\n"
				"    <model>core2duo</model>\n"
				"    <feature policy='force' name='x2apic'/>\n"
				"    <feature policy='disable' name='vmx'/>\n"
				"  </cpu>\n" TAIL);
}

static void test_spec_host_passthrough_with_clearxml_drops_everything(void **state)
{
	(void)state;
	expect_spec_output(HEAD "  <cpu mode='custom' match='exact'>\n"
				"    <model>Haswell</model>\n"
				"    <topology sockets='1' dies='1' cores='2' threads='1'/>\n"
				"  </cpu>\n" TAIL,
			   "host-passthrough,clearxml=yes",
			   HEAD "  <cpu mode='host-passthrough'/>\n" TAIL);
}

static void test_spec_none_removes_the_cpu_line(void **state)
{
	(void)state;
	expect_spec_output(HEAD "  <cpu mode='host-model' check='partial'/>\n" TAIL, "none",
			   HEAD TAIL);
}

static void test_spec_features_without_model_get_the_default_model(void **state)
{
	(void)state;
	expect_spec_output(HEAD TAIL, "require=vmx", HEAD DEFAULT_CPU("require", "vmx") TAIL);
}

static void test_spec_options_win_over_the_default_model_settings(void **state)
{
	(void)state;
	expect_spec_output(HEAD TAIL, "require=vmx,match=minimum,model.fallback=allow",
			   HEAD "  <cpu mode='custom' match='minimum' check='none'>\n"
				"    <model fallback='allow'>qemu64</model>\n"
				"    <feature policy='require' name='vmx'/>\n"
				"  </cpu>\n" TAIL);
}

static void test_spec_removing_the_model_under_features_is_invalid(void **state)
{
	(void)state;
	expect_spec_status(HEAD "  <cpu mode='custom' match='exact'>\n    <model>Haswell</model>\n"
				"    <feature policy='require' name='vmx'/>\n  </cpu>\n" TAIL,
			   "model=", DOMXML_INVALID, "features without a CPU model");
}

static void test_spec_migratable_on_custom_cpu_is_invalid(void **state)
{
	(void)state;
	expect_spec_status(HEAD TAIL, "Haswell,migratable=on", DOMXML_INVALID,
			   "libvirt would reject the result (migratable is only allowed");
}

static void test_spec_check_without_model_is_invalid(void **state)
{
	(void)state;
	expect_spec_status(HEAD TAIL, "check=full", DOMXML_INVALID,
			   "check attribute specified for CPU with no model");
}

static void test_spec_incomplete_topology_is_invalid(void **state)
{
	(void)state;
	expect_spec_status(HEAD TAIL, "host-passthrough,topology.sockets=2", DOMXML_INVALID,
			   "topology needs sockets, cores and threads");
}

static void test_spec_that_changes_nothing_is_unchanged(void **state)
{
	(void)state;
	expect_spec_status(HEAD "  <cpu mode='host-passthrough'/>\n" TAIL,
			   "host-passthrough,clearxml=yes", DOMXML_UNCHANGED,
			   "already as --cpu asks");
}

static void test_spec_keeps_unchanged_children_byte_for_byte(void **state)
{
	(void)state;
	expect_spec_output(HEAD "  <cpu mode=\"custom\" match=\"exact\">\n"
				"    <model fallback=\"allow\">Nehalem</model>\n"
				"    <feature name=\"x2apic\"/>\n"
				"  </cpu>\n" TAIL,
			   "+vmx=",
			   HEAD "  <cpu mode=\"custom\" match=\"exact\">\n"
				"    <model fallback=\"allow\">Nehalem</model>\n"
				"    <feature name=\"x2apic\"/>\n"
				"    <feature policy='force' name='vmx'/>\n"
				"  </cpu>\n" TAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spec_sets_model_match_and_features_as_virt_xml),
	    cmocka_unit_test(test_spec_model_on_no_cpu_is_custom_exact),
	    cmocka_unit_test(test_spec_host_passthrough_with_clearxml_drops_everything),
	    cmocka_unit_test(test_spec_none_removes_the_cpu_line),
	    cmocka_unit_test(test_spec_features_without_model_get_the_default_model),
	    cmocka_unit_test(test_spec_options_win_over_the_default_model_settings),
	    cmocka_unit_test(test_spec_removing_the_model_under_features_is_invalid),
	    cmocka_unit_test(test_spec_migratable_on_custom_cpu_is_invalid),
	    cmocka_unit_test(test_spec_check_without_model_is_invalid),
	    cmocka_unit_test(test_spec_incomplete_topology_is_invalid),
	    cmocka_unit_test(test_spec_that_changes_nothing_is_unchanged),
	    cmocka_unit_test(test_spec_keeps_unchanged_children_byte_for_byte),
	};

	return cmocka_run_group_tests_name("domxml_spec", tests, NULL, NULL);
}
