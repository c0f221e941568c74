// SPDX-License-Identifier: LGPL-2.1-or-later
/* The <cpu> edit of one domain document: every rule of `nestvirt rewrite`, byte for byte,
 * and the golden pairs of tests/data/domxml/. */
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

#include "cpumap.h"
#include "cpuspec.h"
#include "domxml.h"
#include "fileio.h"

/* A libvirt-written domain around the <cpu> under test. */
#define HEAD                                                                                       \
	"<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n"          \
	"OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n"          \
	"  virsh edit t\nor other application using the libvirt API.\n-->\n\n"                     \
	"<domain type='kvm'>\n"                                                                    \
	"  <name>t</name>\n"                                                                       \
	"  <os>\n"                                                                                 \
	"    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"                                \
	"  </os>\n"                                                                                \
	"  <features>\n"                                                                           \
	"    <acpi/>\n"                                                                            \
	"  </features>\n"
#define TAIL                                                                                       \
	"  <clock offset='utc'/>\n"                                                                \
	"  <devices>\n"                                                                            \
	"    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"                                   \
	"  </devices>\n"                                                                           \
	"</domain>\n"

/* What libvirt writes for a domain without a CPU model, plus the feature. */
#define DEFAULT_CPU(policy, feature)                                                               \
	"  <cpu mode='custom' match='exact' check='none'>\n"                                       \
	"    <model fallback='forbid'>qemu64</model>\n"                                            \
	"    <feature policy='" policy "' name='" feature "'/>\n"                                  \
	"  </cpu>\n"

static struct domxml_request feature_req(const char *vf)
{
	return (struct domxml_request){.mode = DOMXML_MODE_FEATURE, .vendor_feature = vf};
}

static struct domxml_request mode_req(enum domxml_mode mode)
{
	return (struct domxml_request){.mode = mode, .vendor_feature = "vmx"};
}

static struct cpuspec *spec_of(const char *text)
{
	struct cpuspec *s = NULL;
	char err[256];

	if (cpuspec_parse(text, &s, err, sizeof(err)) < 0)
		fail_msg("--cpu %s: %s", text, err);
	return s;
}

static struct domxml_result apply(const char *doc, const struct domxml_request *req)
{
	struct domxml_result res;

	assert_int_equal(domxml_apply(doc, strlen(doc), req, &res), 0);
	if (res.status != DOMXML_CHANGED)
		assert_null(res.out);
	return res;
}

static void expect_status(const char *doc, const struct domxml_request *req,
			  enum domxml_status status, const char *reason_part)
{
	struct domxml_result res = apply(doc, req);

	if (res.status != status)
		fail_msg("status %d, expected %d (%s)", res.status, status, res.reason);
	if (!strstr(res.reason, reason_part))
		fail_msg("reason '%s' lacks '%s'", res.reason, reason_part);
	domxml_result_free(&res);
}

/* @doc becomes exactly @expected, and a second apply leaves that alone. */
static void expect_output(const char *doc, const struct domxml_request *req, const char *expected)
{
	struct domxml_result res = apply(doc, req), again;

	if (res.status != DOMXML_CHANGED)
		fail_msg("not changed: %s", res.reason);
	assert_int_equal(res.out_len, strlen(expected));
	assert_memory_equal(res.out, expected, res.out_len);
	again = apply(res.out, req);
	if (again.status != DOMXML_UNCHANGED)
		fail_msg("second apply: status %d (%s)", again.status, again.reason);
	domxml_result_free(&res);
}

static void expect_spec_output(const char *doc, const char *spec, const char *expected)
{
	struct cpuspec *s = spec_of(spec);
	struct domxml_request req = {.mode = DOMXML_MODE_SPEC, .vendor_feature = "vmx", .spec = s};

	expect_output(doc, &req, expected);
	cpuspec_free(s);
}

static void expect_spec_status(const char *doc, const char *spec, enum domxml_status status,
			       const char *reason_part)
{
	struct cpuspec *s = spec_of(spec);
	struct domxml_request req = {.mode = DOMXML_MODE_SPEC, .vendor_feature = "vmx", .spec = s};

	expect_status(doc, &req, status, reason_part);
	cpuspec_free(s);
}

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

/* Skips and refusals ----------------------------------------------------------------------- */

static void test_qemu_domain_is_skipped(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status("<domain type='qemu'><name>x</name></domain>", &req, DOMXML_SKIPPED,
		      "domain type is 'qemu', not 'kvm' (TCG cannot run vmx)");
}

static void test_non_x86_guest_is_skipped(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status("<domain type='kvm'><name>x</name><os><type arch='aarch64'>hvm</type></os>"
		      "</domain>",
		      &req, DOMXML_SKIPPED, "arch 'aarch64' is not x86");
}

static void test_doctype_is_invalid(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY x 'y'>]>\n"
		      "<domain type='kvm'><name>&x;</name></domain>\n",
		      &req, DOMXML_INVALID, "has a DOCTYPE");
	expect_status("<!DOCTYPE domain SYSTEM 'http://example.com/x.dtd'>\n"
		      "<domain type='kvm'><name>x</name></domain>\n",
		      &req, DOMXML_INVALID, "has a DOCTYPE");
}

static void test_undeclared_entity_is_invalid(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status("<domain type='kvm'><name>&ext;</name></domain>\n", &req, DOMXML_INVALID,
		      "Entity 'ext' not defined");
}

static void test_not_well_formed_is_invalid_with_the_parsers_reason(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status("<domain type='kvm'>\n<name>x</nam>\n</domain>\n", &req, DOMXML_INVALID,
		      "not well-formed XML (line 2: Opening and ending tag mismatch");
	expect_status("", &req, DOMXML_INVALID, "empty");
}

static void test_root_other_than_domain_is_invalid(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status("<network><name>default</name></network>\n", &req, DOMXML_INVALID,
		      "the root element is not <domain>");
}

static void test_two_cpu_elements_are_invalid(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status(HEAD "  <cpu/>\n  <cpu/>\n" TAIL, &req, DOMXML_INVALID,
		      "has more than one <cpu>");
}

static void test_non_utf8_document_is_invalid(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status("<?xml version='1.0' encoding='ISO-8859-1'?>\n"
		      "<domain type='kvm'><name>caf\xe9</name></domain>\n",
		      &req, DOMXML_INVALID, "is not UTF-8");
}

static void test_text_inside_cpu_is_refused_when_rewriting(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_status(HEAD "  <cpu mode='custom'>stray<model>Haswell</model></cpu>\n" TAIL, &req,
		      DOMXML_INVALID, "cannot rewrite <cpu>: it has text directly inside <cpu>");
}

static const char *const map_files[] = {
    "index.xml",
    "<cpus><arch name='x86'>"
    "<feature name='vmx'/><feature name='svm'/><feature name='x2apic'/>"
    "<model name='Haswell'/><model name='Haswell-IBRS'/><model name='Skylake-Client'/>"
    "</arch></cpus>",
    NULL,
};

static int read_map(void *opaque, const char *name, char **ret_buf, size_t *ret_len)
{
	(void)opaque;
	if (strcmp(name, map_files[0]))
		return -ENOENT;
	*ret_buf = strdup(map_files[1]);
	*ret_len = strlen(map_files[1]);
	return *ret_buf ? 0 : -ENOMEM;
}

static void expect_unknown_name(const char *spec, const char *reason)
{
	struct cpumap *map = NULL;
	struct cpuspec *s = spec_of(spec);
	struct domxml_request req = {.mode = DOMXML_MODE_SPEC, .vendor_feature = "vmx", .spec = s};
	char why[256];

	assert_int_equal(cpumap_load_with(read_map, NULL, "index.xml", "x86_64", &map), 0);
	req.map = map;
	expect_status(HEAD TAIL, &req, DOMXML_INVALID, reason);
	assert_int_equal(domxml_check_names(&req, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, reason);
	cpuspec_free(s);
	cpumap_free(map);
}

static void test_unknown_model_is_invalid_with_close_matches(void **state)
{
	(void)state;
	expect_unknown_name("haswell,+vmx", "unknown CPU model 'haswell'; close matches: Haswell, "
					    "Haswell-IBRS");
}

static void test_unknown_feature_is_invalid_with_close_matches(void **state)
{
	(void)state;
	expect_unknown_name("Haswell,+x2apci",
			    "unknown CPU feature 'x2apci'; close matches: x2apic");
}

static void test_unknown_model_without_close_matches_points_to_the_list(void **state)
{
	(void)state;
	expect_unknown_name("Opteron_G9", "unknown CPU model 'Opteron_G9' (`nestvirt cpu-models` "
					  "lists the models)");
}

static void test_known_names_pass_the_map_check(void **state)
{
	struct cpumap *map = NULL;
	struct cpuspec *s = spec_of("Haswell-IBRS,+vmx,-svm");
	struct domxml_request req = {.mode = DOMXML_MODE_SPEC, .vendor_feature = "vmx", .spec = s};
	char why[256];

	(void)state;
	assert_int_equal(cpumap_load_with(read_map, NULL, "index.xml", "x86_64", &map), 0);
	req.map = map;
	assert_int_equal(domxml_check_names(&req, why, sizeof(why)), 0);
	expect_status(HEAD TAIL, &req, DOMXML_CHANGED, "applied --cpu");
	cpuspec_free(s);
	cpumap_free(map);
}

/* Bytes ------------------------------------------------------------------------------------ */

static void test_cpu_goes_after_os_when_there_are_no_features(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_output(
	    "<domain type='kvm'>\n  <name>x</name>\n  <os>\n    <type>hvm</type>\n"
	    "  </os>\n  <clock offset='utc'/>\n</domain>\n",
	    &req,
	    "<domain type='kvm'>\n  <name>x</name>\n  <os>\n    <type>hvm</type>\n  </os>\n"
	    "  <cpu mode='custom' match='exact' check='none'>\n"
	    "    <model fallback='forbid'>qemu64</model>\n"
	    "    <feature policy='require' name='vmx'/>\n"
	    "  </cpu>\n  <clock offset='utc'/>\n</domain>\n");
}

static void test_cpu_goes_before_clock_when_nothing_precedes_it(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_HOST_MODEL);

	(void)state;
	expect_output("<domain type='kvm'>\n  <clock offset='utc'/>\n  <devices/>\n</domain>\n",
		      &req,
		      "<domain type='kvm'>\n  <cpu mode='host-model'/>\n  <clock offset='utc'/>\n"
		      "  <devices/>\n</domain>\n");
}

static void test_crlf_line_endings_are_kept(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_HOST_MODEL);

	(void)state;
	expect_output("<domain type='kvm'>\r\n  <name>x</name>\r\n  <features>\r\n  </features>\r\n"
		      "</domain>\r\n",
		      &req,
		      "<domain type='kvm'>\r\n  <name>x</name>\r\n  <features>\r\n  </features>\r\n"
		      "  <cpu mode='host-model'/>\r\n</domain>\r\n");
}

static void test_document_indentation_is_followed(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_output("<domain type='kvm'>\n\t<name>x</name>\n\t<features/>\n</domain>\n", &req,
		      "<domain type='kvm'>\n\t<name>x</name>\n\t<features/>\n"
		      "\t<cpu mode='custom' match='exact' check='none'>\n"
		      "\t\t<model fallback='forbid'>qemu64</model>\n"
		      "\t\t<feature policy='require' name='vmx'/>\n"
		      "\t</cpu>\n</domain>\n");
}

static void test_compact_document_gets_a_compact_cpu(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_output("<domain type='kvm'><name>x</name><features/></domain>", &req,
		      "<domain type='kvm'><name>x</name><features/>"
		      "<cpu mode='custom' match='exact' check='none'>"
		      "<model fallback='forbid'>qemu64</model>"
		      "<feature policy='require' name='vmx'/></cpu></domain>");
}

static void test_comments_inside_cpu_are_kept(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_output(HEAD "  <cpu mode='custom' match='exact'>\n"
			   "    <!-- pinned for migration -->\n"
			   "    <model>Westmere</model>\n"
			   "  </cpu>\n" TAIL,
		      &req,
		      HEAD "  <cpu mode='custom' match='exact'>\n"
			   "    <!-- pinned for migration -->\n"
			   "    <model>Westmere</model>\n"
			   "    <feature policy='require' name='vmx'/>\n"
			   "  </cpu>\n" TAIL);
}

static void test_children_are_written_in_libvirts_order(void **state)
{
	struct domxml_request req = feature_req("vmx");

	(void)state;
	expect_output(HEAD "  <cpu mode='custom' match='exact'>\n"
			   "    <feature policy='require' name='x2apic'/>\n"
			   "    <topology sockets='1' dies='1' cores='1' threads='1'/>\n"
			   "    <model>Haswell</model>\n"
			   "  </cpu>\n" TAIL,
		      &req,
		      HEAD "  <cpu mode='custom' match='exact'>\n"
			   "    <model>Haswell</model>\n"
			   "    <topology sockets='1' dies='1' cores='1' threads='1'/>\n"
			   "    <feature policy='require' name='x2apic'/>\n"
			   "    <feature policy='require' name='vmx'/>\n"
			   "  </cpu>\n" TAIL);
}

static void test_changed_attributes_are_escaped_in_single_quotes(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_HOST_PASSTHROUGH);

	(void)state;
	expect_output(
	    HEAD "  <cpu mode=\"custom\" note=\"a&amp;b 'q' &lt;c&gt;\">\n"
		 "    <model>Haswell</model>\n  </cpu>\n" TAIL,
	    &req,
	    HEAD "  <cpu mode='host-passthrough' note='a&amp;b &apos;q&apos; &lt;c&gt;'/>\n" TAIL);
}

static void test_utf8_byte_order_mark_is_kept(void **state)
{
	struct domxml_request req = mode_req(DOMXML_MODE_HOST_MODEL);

	(void)state;
	expect_output("\xef\xbb\xbf<domain type='kvm'>\n  <features/>\n</domain>\n", &req,
		      "\xef\xbb\xbf<domain type='kvm'>\n  <features/>\n"
		      "  <cpu mode='host-model'/>\n</domain>\n");
}

static void test_buffer_need_not_be_nul_terminated(void **state)
{
	static const char doc[] = HEAD TAIL "garbage after the length";
	struct domxml_request req = feature_req("vmx");
	struct domxml_result res;

	(void)state;
	assert_int_equal(domxml_apply(doc, strlen(HEAD TAIL), &req, &res), 0);
	assert_int_equal(res.status, DOMXML_CHANGED);
	assert_int_equal(res.out_len, strlen(HEAD DEFAULT_CPU("require", "vmx") TAIL));
	assert_memory_equal(res.out, HEAD DEFAULT_CPU("require", "vmx") TAIL, res.out_len);
	domxml_result_free(&res);
}

static void test_request_without_vendor_feature_is_einval(void **state)
{
	struct domxml_request req = {.mode = DOMXML_MODE_FEATURE};
	struct domxml_result res;

	(void)state;
	assert_int_equal(domxml_apply(HEAD TAIL, strlen(HEAD TAIL), &req, &res), -EINVAL);
	req.mode = DOMXML_MODE_SPEC;
	req.vendor_feature = "vmx";
	assert_int_equal(domxml_apply(HEAD TAIL, strlen(HEAD TAIL), &req, &res), -EINVAL);
}

/* Golden pairs ----------------------------------------------------------------------------- */

#define GOLDEN SRCDIR "/tests/data/domxml"

static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;

	if (fileio_read(AT_FDCWD, path, 1 << 20, true, &buf, len) < 0)
		fail_msg("cannot read %s", path);
	return buf;
}

static enum domxml_mode golden_mode(const char *s)
{
	if (!strcmp(s, "feature"))
		return DOMXML_MODE_FEATURE;
	if (!strcmp(s, "disable"))
		return DOMXML_MODE_DISABLE;
	if (!strcmp(s, "host-passthrough"))
		return DOMXML_MODE_HOST_PASSTHROUGH;
	if (!strcmp(s, "host-model"))
		return DOMXML_MODE_HOST_MODEL;
	return DOMXML_MODE_SPEC;
}

static enum domxml_status golden_status(const char *s)
{
	static const char *const names[] = {"changed", "unchanged", "skipped", "invalid"};

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	fail_msg("unknown status '%s'", s);
	return DOMXML_INVALID;
}

static void check_golden(const char *name, const char *mode, const char *vf, const char *status,
			 const char *spec)
{
	struct domxml_request req = {.mode = golden_mode(mode), .vendor_feature = vf};
	struct domxml_result res, again;
	char path[512];
	size_t len, out_len;
	char *in, *out;

	if (req.mode == DOMXML_MODE_SPEC)
		req.spec = spec_of(spec);
	snprintf(path, sizeof(path), GOLDEN "/golden/%s.in.xml", name);
	in = slurp(path, &len);
	assert_int_equal(domxml_apply(in, len, &req, &res), 0);
	if (res.status != golden_status(status))
		fail_msg("%s: status %d, expected %s (%s)", name, res.status, status, res.reason);
	if (res.status == DOMXML_CHANGED) {
		snprintf(path, sizeof(path), GOLDEN "/golden/%s.out.xml", name);
		out = slurp(path, &out_len);
		if (res.out_len != out_len || memcmp(res.out, out, out_len))
			fail_msg("%s: output differs from %s.out.xml", name, name);
		assert_int_equal(domxml_apply(res.out, res.out_len, &req, &again), 0);
		if (again.status != DOMXML_UNCHANGED)
			fail_msg("%s: second apply: %s", name, again.reason);
		free(out);
	}
	domxml_result_free(&res);
	cpuspec_free((struct cpuspec *)req.spec);
	free(in);
}

static void test_golden_pairs(void **state)
{
	char *list, *save = NULL;
	size_t len;
	int n = 0;

	(void)state;
	list = slurp(GOLDEN "/golden.txt", &len);
	for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], mode[32], vf[16], status[16], spec[256] = "";

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%127s %31s %15s %15s %255s", name, mode, vf, status, spec) < 4)
			fail_msg("bad line in golden.txt: %s", line);
		check_golden(name, mode, vf, status, spec);
		n++;
	}
	free(list);
	assert_true(n >= 20);
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
	    cmocka_unit_test(test_qemu_domain_is_skipped),
	    cmocka_unit_test(test_non_x86_guest_is_skipped),
	    cmocka_unit_test(test_doctype_is_invalid),
	    cmocka_unit_test(test_undeclared_entity_is_invalid),
	    cmocka_unit_test(test_not_well_formed_is_invalid_with_the_parsers_reason),
	    cmocka_unit_test(test_root_other_than_domain_is_invalid),
	    cmocka_unit_test(test_two_cpu_elements_are_invalid),
	    cmocka_unit_test(test_non_utf8_document_is_invalid),
	    cmocka_unit_test(test_text_inside_cpu_is_refused_when_rewriting),
	    cmocka_unit_test(test_unknown_model_is_invalid_with_close_matches),
	    cmocka_unit_test(test_unknown_feature_is_invalid_with_close_matches),
	    cmocka_unit_test(test_unknown_model_without_close_matches_points_to_the_list),
	    cmocka_unit_test(test_known_names_pass_the_map_check),
	    cmocka_unit_test(test_cpu_goes_after_os_when_there_are_no_features),
	    cmocka_unit_test(test_cpu_goes_before_clock_when_nothing_precedes_it),
	    cmocka_unit_test(test_crlf_line_endings_are_kept),
	    cmocka_unit_test(test_document_indentation_is_followed),
	    cmocka_unit_test(test_compact_document_gets_a_compact_cpu),
	    cmocka_unit_test(test_comments_inside_cpu_are_kept),
	    cmocka_unit_test(test_children_are_written_in_libvirts_order),
	    cmocka_unit_test(test_changed_attributes_are_escaped_in_single_quotes),
	    cmocka_unit_test(test_utf8_byte_order_mark_is_kept),
	    cmocka_unit_test(test_buffer_need_not_be_nul_terminated),
	    cmocka_unit_test(test_request_without_vendor_feature_is_einval),
	    cmocka_unit_test(test_golden_pairs),
	};

	return cmocka_run_group_tests_name("domxml", tests, NULL, NULL);
}
