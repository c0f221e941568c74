// SPDX-License-Identifier: LGPL-2.1-or-later
/* Whether a stored domain will see vmx/svm: the prediction from its <cpu> and the host. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "domxml-facts.h"
#include "guests-int.h"
#include "managed.h"

static const struct guests_host amd_on = {KVM_MODULE_AMD, 1, 1};
static const struct guests_host amd_off = {KVM_MODULE_AMD, 0, 1};
static const struct guests_host intel_on = {KVM_MODULE_INTEL, 1, 1};
static const struct guests_host no_flag = {KVM_MODULE_INTEL, 1, 0};
static const struct guests_host unknown = {KVM_MODULE_NONE, -1, -1};

static struct guest g;
static struct guests_report rep;
static char reason[1024], action[1024];

/* Predict a KVM x86_64 domain "web" with @cpu (a <cpu> element or "") on @host. */
static void predict_doc(const char *type, const char *arch, const char *meta, const char *cpu,
			const struct guests_host *host)
{
	char doc[4096];
	struct domxml_facts f;

	snprintf(
	    doc, sizeof(doc),
	    "<domain type='%s'>\n  <name>web</name>\n%s  <os>\n    <type arch='%s'>hvm</type>\n"
	    "  </os>\n%s</domain>\n",
	    type, meta, arch, cpu);
	free(g.detail);
	g = (struct guest){.file = "web.xml"};
	assert_int_equal(domxml_facts_read(doc, strlen(doc), &f), 0);
	assert_int_equal(guest_predict(&f, host, &g), 0);
	rep = (struct guests_report){.host = *host, .dir = "/etc/libvirt/qemu"};
	guest_reason(&rep, &g, reason, sizeof(reason));
	guest_action(&rep, &g, action, sizeof(action));
}

static void predict(const char *cpu, const struct guests_host *host)
{
	predict_doc("kvm", "x86_64", "", cpu, host);
}

#define FEATURE(check, policy, name)                                                               \
	"<cpu mode='custom' match='exact'" check                                                   \
	">\n<model>EPYC</model>\n<feature policy='" policy "' name='" name "'/>\n</cpu>\n"

static void test_required_feature_with_nesting_on_is_seen(void **state)
{
	(void)state;
	predict(FEATURE(" check='partial'", "require", "svm"), &amd_on);
	assert_int_equal(g.cpu, G_FEATURE);
	assert_int_equal(g.policy, P_REQUIRE);
	assert_int_equal(g.sees, S_YES);
	assert_int_equal(g.start, ST_OK);
	assert_string_equal(reason, "<cpu> has svm with policy 'require' and nesting is on");
	assert_string_equal(action, "");
}

/* Measured with libvirt 9.0 (tests/vm/l2-tests.sh): check='partial' compares with the host
 * CPU's own flags, which show svm with nesting off, so the guest starts without it. */
static void test_required_feature_with_nesting_off_starts_without_under_check_partial(void **state)
{
	(void)state;
	predict(FEATURE(" check='partial'", "require", "svm"), &amd_off);
	assert_int_equal(g.sees, S_NO);
	assert_int_equal(g.start, ST_WITHOUT);
	assert_string_equal(reason,
			    "<cpu> has svm with policy 'require', but nesting is off: "
			    "libvirt's check='partial' compares with the host CPU, which has "
			    "svm, so it starts without svm (QEMU only warns)");
}

static void test_a_missing_check_is_libvirts_default_partial(void **state)
{
	(void)state;
	predict(FEATURE("", "require", "svm"), &amd_off);
	assert_int_equal(g.start, ST_WITHOUT);
	assert_non_null(strstr(reason, "check='partial' (its default)"));
}

static void test_check_partial_fails_where_the_host_cpu_lacks_the_flag(void **state)
{
	static const struct guests_host amd_no_flag = {KVM_MODULE_AMD, 1, 0};

	(void)state;
	predict(FEATURE(" check='partial'", "require", "svm"), &amd_no_flag);
	assert_int_equal(g.start, ST_FAILS);
	assert_non_null(strstr(reason, "check='partial' refuses to start it"));
}

static void test_check_full_fails_with_nesting_off(void **state)
{
	(void)state;
	predict(FEATURE(" check='full'", "force", "svm"), &amd_off);
	assert_int_equal(g.policy, P_FORCE);
	assert_int_equal(g.start, ST_FAILS);
	assert_string_equal(reason, "<cpu> has svm with policy 'force', but nesting is off: "
				    "libvirt's check='full' refuses to start it");
	assert_non_null(strstr(action, "turn nesting on"));
}

static void test_check_none_starts_without_the_extension(void **state)
{
	(void)state;
	predict(FEATURE(" check='none'", "force", "svm"), &amd_off);
	assert_int_equal(g.sees, S_NO);
	assert_int_equal(g.start, ST_WITHOUT);
	assert_non_null(strstr(reason, "with check='none' it starts without svm"));
}

static void test_a_host_cpu_without_the_flag_counts_as_nesting_off(void **state)
{
	(void)state;
	predict(FEATURE(" check='none'", "require", "vmx"), &no_flag);
	assert_int_equal(g.sees, S_NO);
	assert_non_null(strstr(reason, "the host CPU shows no vmx/svm"));
}

static void test_optional_follows_nesting_and_always_starts(void **state)
{
	(void)state;
	predict(FEATURE("", "optional", "svm"), &amd_on);
	assert_int_equal(g.sees, S_YES);
	assert_int_equal(g.start, ST_OK);
	predict(FEATURE("", "optional", "svm"), &amd_off);
	assert_int_equal(g.sees, S_NO);
	assert_int_equal(g.start, ST_WITHOUT);
}

static void test_disable_never_sees_it_and_is_no_problem(void **state)
{
	(void)state;
	predict(FEATURE("", "disable", "svm"), &amd_on);
	assert_int_equal(g.policy, P_DISABLE);
	assert_int_equal(g.sees, S_NO);
	assert_int_equal(g.start, ST_OK);
	assert_false(g.problem);
	assert_non_null(strstr(reason, "--override"));
}

static void test_forbid_fails_where_the_host_offers_it(void **state)
{
	(void)state;
	predict(FEATURE("", "forbid", "svm"), &amd_on);
	assert_int_equal(g.sees, S_NO);
	assert_int_equal(g.start, ST_FAILS);
	assert_string_equal(action, "nestvirt rewrite --override --domain web (gives it svm), or "
				    "set the policy to 'disable'");
	predict(FEATURE("", "forbid", "svm"), &amd_off);
	assert_int_equal(g.start, ST_OK);
}

static void test_host_passthrough_sees_it_iff_nesting_is_on(void **state)
{
	(void)state;
	predict("<cpu mode='host-passthrough' check='none'/>\n", &intel_on);
	assert_int_equal(g.cpu, G_PASSTHROUGH);
	assert_int_equal(g.sees, S_YES);
	predict("<cpu mode='host-passthrough' check='none'/>\n", &amd_off);
	assert_int_equal(g.sees, S_NO);
	assert_int_equal(g.start, ST_WITHOUT);
	predict("<cpu mode='host-passthrough' check='none'/>\n", &unknown);
	assert_int_equal(g.sees, S_UNKNOWN);
	assert_int_equal(g.start, ST_UNKNOWN);
}

static void test_maximum_is_its_own_kind(void **state)
{
	(void)state;
	predict("<cpu mode='maximum' check='none'/>\n", &amd_on);
	assert_int_equal(g.cpu, G_MAXIMUM);
	assert_int_equal(g.sees, S_YES);
}

static void test_host_passthrough_with_the_feature_disabled_does_not_see_it(void **state)
{
	(void)state;
	predict("<cpu mode='host-passthrough'>\n<feature policy='disable' name='svm'/>\n</cpu>\n",
		&amd_on);
	assert_int_equal(g.cpu, G_PASSTHROUGH);
	assert_int_equal(g.policy, P_DISABLE);
	assert_int_equal(g.sees, S_NO);
}

static void test_host_model_is_likely_with_nesting_on(void **state)
{
	(void)state;
	predict("<cpu mode='host-model' check='partial'/>\n", &amd_on);
	assert_int_equal(g.cpu, G_HOST_MODEL);
	assert_int_equal(g.sees, S_LIKELY);
	assert_non_null(strstr(reason, "likely, not certain"));
	assert_false(g.problem);
	predict("<cpu mode='host-model' check='partial'/>\n", &amd_off);
	assert_int_equal(g.sees, S_NO);
}

static void test_a_named_amd_model_without_svm_does_not_see_it(void **state)
{
	(void)state;
	predict("<cpu mode='custom' match='exact'>\n<model>EPYC</model>\n</cpu>\n", &amd_on);
	assert_int_equal(g.cpu, G_CUSTOM);
	assert_int_equal(g.policy, P_NONE);
	assert_int_equal(g.sees, S_NO);
	assert_int_equal(g.why, W_MODEL_NO_FEATURE);
	assert_non_null(strstr(reason, "custom model 'EPYC' without svm: QEMU turns svm off"));
}

static void test_no_intel_model_carries_vmx(void **state)
{
	(void)state;
	predict("<cpu mode='custom'>\n<model>Skylake-Client-IBRS</model>\n</cpu>\n", &intel_on);
	assert_int_equal(g.sees, S_NO);
	assert_non_null(strstr(reason, "no Intel model carries vmx"));
}

static void test_the_other_vendors_feature_does_not_count(void **state)
{
	(void)state;
	predict(FEATURE("", "require", "vmx"), &amd_on);
	assert_int_equal(g.cpu, G_CUSTOM);
	assert_int_equal(g.sees, S_NO);
}

static void test_no_cpu_is_qemu64_without_the_extension(void **state)
{
	(void)state;
	predict("", &amd_on);
	assert_int_equal(g.cpu, G_NONE);
	assert_int_equal(g.sees, S_NO);
	assert_int_equal(g.why, W_NO_CPU);
	assert_non_null(strstr(reason, "no <cpu>: QEMU's default model qemu64 has no svm"));
	predict("<cpu/>\n", &amd_on);
	assert_int_equal(g.cpu, G_NONE);
	predict("<cpu>\n<topology sockets='1' cores='2' threads='1'/>\n</cpu>\n", &amd_on);
	assert_int_equal(g.cpu, G_CUSTOM);
	assert_non_null(strstr(reason, "<cpu> without a model"));
}

static void test_an_unknown_host_uses_the_feature_the_domain_names(void **state)
{
	(void)state;
	predict(FEATURE("", "require", "svm"), &unknown);
	assert_string_equal(guest_flag_name(&g), "svm");
	assert_int_equal(g.sees, S_UNKNOWN);
	assert_int_equal(g.start, ST_UNKNOWN);
	predict("", &unknown);
	assert_string_equal(guest_flag_name(&g), "vmx/svm");
	assert_int_equal(g.sees, S_NO);
}

static void test_a_tcg_domain_is_skipped(void **state)
{
	(void)state;
	predict_doc("qemu", "x86_64", "", "", &amd_on);
	assert_int_equal(g.why, W_NOT_KVM);
	assert_int_equal(g.sees, S_UNKNOWN);
	assert_string_equal(reason, "skipped: domain type 'qemu', not 'kvm': the host's nesting "
				    "does not apply");
}

static void test_a_non_x86_domain_is_skipped(void **state)
{
	(void)state;
	predict_doc("kvm", "aarch64", "", "", &amd_on);
	assert_int_equal(g.why, W_NOT_X86);
	assert_non_null(strstr(reason, "arch 'aarch64' is not x86"));
}

static void test_a_broken_document_is_unparseable_with_the_parsers_reason(void **state)
{
	struct domxml_facts f;
	const char *doc = "<domain type='kvm'>\n<name>x</name>\n<cpu>";

	(void)state;
	assert_int_equal(domxml_facts_read(doc, strlen(doc), &f), 0);
	assert_non_null(strstr(f.invalid, "not well-formed XML (line"));
	free(g.detail);
	g = (struct guest){.file = "x.xml"};
	assert_int_equal(guest_predict(&f, &amd_on, &g), 0);
	assert_int_equal(g.cpu, G_UNPARSEABLE);
	assert_int_equal(g.sees, S_UNKNOWN);
	rep = (struct guests_report){.host = amd_on, .dir = "/etc/libvirt/qemu"};
	guest_action(&rep, &g, action, sizeof(action));
	assert_string_equal(action, "fix or remove /etc/libvirt/qemu/x.xml");
}

static void test_the_metadata_namespace_names_the_owner(void **state)
{
	struct domxml_facts f;
	const char *doc = "<domain type='kvm'><name>i</name><metadata>"
			  "<lo:libosinfo xmlns:lo='http://libosinfo.org/xmlns/libvirt/domain/1.0'/>"
			  "<nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>"
			  "<nova:name>x</nova:name></nova:instance></metadata></domain>";

	(void)state;
	assert_int_equal(domxml_facts_read(doc, strlen(doc), &f), 0);
	assert_string_equal(f.invalid, "");
	assert_non_null(f.managed);
	assert_string_equal(f.managed->name, "OpenStack nova");
}

static void test_a_namespace_deeper_in_metadata_is_not_an_owner(void **state)
{
	struct domxml_facts f;
	const char *doc =
	    "<domain type='kvm'><name>i</name><metadata><mine>"
	    "<nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'/>"
	    "</mine></metadata><description xmlns:k='http://kubevirt.io'/></domain>";

	(void)state;
	assert_int_equal(domxml_facts_read(doc, strlen(doc), &f), 0);
	assert_null(f.managed);
}

static void test_a_name_with_shell_and_glob_characters_is_quoted_in_the_action(void **state)
{
	(void)state;
	predict("", &amd_on);
	g.problem = true;
	g.file = "it's [a] *.xml";
	guest_action(&rep, &g, action, sizeof(action));
	assert_string_equal(action, "nestvirt rewrite --domain 'it'\\''s \\[a\\] \\*'");
	g.file = "web.xml";
}

static void test_running_and_saved_domains_say_what_to_do_after_the_rewrite(void **state)
{
	(void)state;
	predict("", &amd_on);
	g.problem = true;
	g.running = 1;
	g.saved = 1;
	guest_reason(&rep, &g, reason, sizeof(reason));
	guest_action(&rep, &g, action, sizeof(action));
	assert_non_null(strstr(reason, "; running: a change takes effect at its next cold boot"));
	assert_non_null(strstr(reason, "; has a managed-save image"));
	assert_string_equal(action, "nestvirt rewrite --domain web, then shut it down and start "
				    "it; virsh managedsave-remove web");
}

static int teardown(void **state)
{
	(void)state;
	free(g.detail);
	g.detail = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_required_feature_with_nesting_on_is_seen),
	    cmocka_unit_test(
		test_required_feature_with_nesting_off_starts_without_under_check_partial),
	    cmocka_unit_test(test_a_missing_check_is_libvirts_default_partial),
	    cmocka_unit_test(test_check_partial_fails_where_the_host_cpu_lacks_the_flag),
	    cmocka_unit_test(test_check_full_fails_with_nesting_off),
	    cmocka_unit_test(test_check_none_starts_without_the_extension),
	    cmocka_unit_test(test_a_host_cpu_without_the_flag_counts_as_nesting_off),
	    cmocka_unit_test(test_optional_follows_nesting_and_always_starts),
	    cmocka_unit_test(test_disable_never_sees_it_and_is_no_problem),
	    cmocka_unit_test(test_forbid_fails_where_the_host_offers_it),
	    cmocka_unit_test(test_host_passthrough_sees_it_iff_nesting_is_on),
	    cmocka_unit_test(test_maximum_is_its_own_kind),
	    cmocka_unit_test(test_host_passthrough_with_the_feature_disabled_does_not_see_it),
	    cmocka_unit_test(test_host_model_is_likely_with_nesting_on),
	    cmocka_unit_test(test_a_named_amd_model_without_svm_does_not_see_it),
	    cmocka_unit_test(test_no_intel_model_carries_vmx),
	    cmocka_unit_test(test_the_other_vendors_feature_does_not_count),
	    cmocka_unit_test(test_no_cpu_is_qemu64_without_the_extension),
	    cmocka_unit_test(test_an_unknown_host_uses_the_feature_the_domain_names),
	    cmocka_unit_test(test_a_tcg_domain_is_skipped),
	    cmocka_unit_test(test_a_non_x86_domain_is_skipped),
	    cmocka_unit_test(test_a_broken_document_is_unparseable_with_the_parsers_reason),
	    cmocka_unit_test(test_the_metadata_namespace_names_the_owner),
	    cmocka_unit_test(test_a_namespace_deeper_in_metadata_is_not_an_owner),
	    cmocka_unit_test(test_a_name_with_shell_and_glob_characters_is_quoted_in_the_action),
	    cmocka_unit_test(test_running_and_saved_domains_say_what_to_do_after_the_rewrite),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
