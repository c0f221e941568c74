// SPDX-License-Identifier: LGPL-2.1-or-later
/* The --cpu SPEC parser: what virt-install 4.1 makes of a SPEC, and what nestvirt refuses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpuspec.h"

static struct cpuspec *parse_ok(const char *text)
{
	struct cpuspec *s = NULL;
	char err[256];
	int r = cpuspec_parse(text, &s, err, sizeof(err));

	if (r < 0)
		fail_msg("'%s' refused: %s", text, err);
	return s;
}

/* The reason a SPEC is refused (static buffer; the test fails if it is accepted). */
static const char *parse_err(const char *text)
{
	static char err[256];
	struct cpuspec *s = NULL;
	int r = cpuspec_parse(text, &s, err, sizeof(err));

	if (r == 0) {
		cpuspec_free(s);
		fail_msg("'%s' accepted", text);
	}
	assert_int_equal(r, -EINVAL);
	return err;
}

/* The features as "name:policy name:policy …" in the order they apply. */
static const char *features(const struct cpuspec *s)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->nfeatures; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%s", i ? " " : "",
				      s->features[i].name,
				      cpuspec_policy_name(s->features[i].policy));
	return buf;
}

static void test_bare_first_token_is_the_model(void **state)
{
	struct cpuspec *s = parse_ok("Haswell-noTSX");

	(void)state;
	assert_true(s->opt[CPUSPEC_F_MODEL].set);
	assert_int_equal(s->special, CPUSPEC_MODEL);
	assert_string_equal(s->opt[CPUSPEC_F_MODEL].value, "Haswell-noTSX");
	assert_int_equal(s->nfeatures, 0);
	cpuspec_free(s);
}

static void test_model_option_names_the_model(void **state)
{
	struct cpuspec *s = parse_ok("model=pentium2,+x2apic,forbid=pbe");

	(void)state;
	assert_string_equal(s->opt[CPUSPEC_F_MODEL].value, "pentium2");
	assert_string_equal(features(s), "x2apic:force pbe:forbid");
	cpuspec_free(s);
}

static void test_last_model_wins(void **state)
{
	struct cpuspec *s = parse_ok("Haswell,model=Skylake-Client");

	(void)state;
	assert_string_equal(s->opt[CPUSPEC_F_MODEL].value, "Skylake-Client");
	cpuspec_free(s);
}

static void test_plus_feature_is_force_and_minus_is_disable(void **state)
{
	struct cpuspec *s = parse_ok("core2duo,+x2apic,-vmx");

	(void)state;
	assert_string_equal(features(s), "x2apic:force vmx:disable");
	cpuspec_free(s);
}

static void test_policies_apply_in_fixed_order_not_command_line_order(void **state)
{
	struct cpuspec *s = parse_ok("Haswell,forbid=a,disable=b,optional=c,require=d,force=e");

	(void)state;
	assert_string_equal(features(s), "e:force d:require c:optional b:disable a:forbid");
	cpuspec_free(s);
}

static void test_explicit_policy_values_come_before_plus_and_minus(void **state)
{
	struct cpuspec *s = parse_ok("Haswell,+a,force=b,-c,disable=d");

	(void)state;
	assert_string_equal(features(s), "b:force a:force d:disable c:disable");
	cpuspec_free(s);
}

static void test_the_later_policy_of_a_feature_wins(void **state)
{
	/* force is applied before disable, so vmx ends disabled: virt-install's result */
	struct cpuspec *s = parse_ok("Haswell,disable=vmx,force=vmx");

	(void)state;
	assert_string_equal(features(s), "vmx:force vmx:disable");
	cpuspec_free(s);
}

static void test_repeated_policy_collects_every_feature(void **state)
{
	struct cpuspec *s = parse_ok("Haswell,force=a,force=b,forbid=foo,forbid=bar");

	(void)state;
	assert_string_equal(features(s), "a:force b:force foo:forbid bar:forbid");
	cpuspec_free(s);
}

static void test_repeated_plus_feature_counts_once(void **state)
{
	struct cpuspec *s = parse_ok("Haswell,+vmx,+vmx");

	(void)state;
	assert_string_equal(features(s), "vmx:force");
	cpuspec_free(s);
}

static void test_plus_feature_with_empty_value_is_still_force(void **state)
{
	struct cpuspec *s = parse_ok("Haswell,+vmx=");

	(void)state;
	assert_string_equal(features(s), "vmx:force");
	cpuspec_free(s);
}

static void test_empty_value_removes_the_property(void **state)
{
	struct cpuspec *s = parse_ok("match=,vendor=,model=");

	(void)state;
	assert_true(s->opt[CPUSPEC_F_MATCH].set);
	assert_null(s->opt[CPUSPEC_F_MATCH].value);
	assert_true(s->opt[CPUSPEC_F_VENDOR].set);
	assert_null(s->opt[CPUSPEC_F_VENDOR].value);
	assert_true(s->opt[CPUSPEC_F_MODEL].set);
	assert_int_equal(s->special, CPUSPEC_MODEL);
	assert_null(s->opt[CPUSPEC_F_MODEL].value);
	assert_false(s->opt[CPUSPEC_F_CHECK].set);
	cpuspec_free(s);
}

static void test_every_scalar_option_is_recorded(void **state)
{
	struct cpuspec *s = parse_ok("Haswell,match=strict,vendor=Intel,mode=custom,check=partial,"
				     "model.fallback=forbid,model.vendor_id=GenuineIntel,"
				     "topology.sockets=1,topology.dies=1,topology.cores=2,"
				     "topology.threads=1,cache.level=3,cache.mode=emulate");

	(void)state;
	assert_string_equal(s->opt[CPUSPEC_F_MATCH].value, "strict");
	assert_string_equal(s->opt[CPUSPEC_F_VENDOR].value, "Intel");
	assert_string_equal(s->opt[CPUSPEC_F_MODE].value, "custom");
	assert_string_equal(s->opt[CPUSPEC_F_CHECK].value, "partial");
	assert_string_equal(s->opt[CPUSPEC_F_FALLBACK].value, "forbid");
	assert_string_equal(s->opt[CPUSPEC_F_VENDOR_ID].value, "GenuineIntel");
	assert_string_equal(s->opt[CPUSPEC_F_SOCKETS].value, "1");
	assert_string_equal(s->opt[CPUSPEC_F_DIES].value, "1");
	assert_string_equal(s->opt[CPUSPEC_F_CORES].value, "2");
	assert_string_equal(s->opt[CPUSPEC_F_THREADS].value, "1");
	assert_string_equal(s->opt[CPUSPEC_F_CACHE_LEVEL].value, "3");
	assert_string_equal(s->opt[CPUSPEC_F_CACHE_MODE].value, "emulate");
	cpuspec_free(s);
}

static void test_host_is_host_model(void **state)
{
	struct cpuspec *s = parse_ok("host");

	(void)state;
	assert_int_equal(s->special, CPUSPEC_HOST_MODEL);
	cpuspec_free(s);
	s = parse_ok("host-model,clearxml=yes");
	assert_int_equal(s->special, CPUSPEC_HOST_MODEL);
	assert_true(s->clearxml);
	cpuspec_free(s);
}

static void test_host_passthrough_is_a_special_mode(void **state)
{
	struct cpuspec *s = parse_ok("host-passthrough,migratable=on");

	(void)state;
	assert_int_equal(s->special, CPUSPEC_HOST_PASSTHROUGH);
	assert_string_equal(s->opt[CPUSPEC_F_MIGRATABLE].value, "on");
	cpuspec_free(s);
}

static void test_none_clear_and_hv_default_clear_the_cpu(void **state)
{
	static const char *const specs[] = {"none", "clear", "hv-default", "model=none"};

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct cpuspec *s = parse_ok(specs[i]);

		assert_int_equal(s->special, CPUSPEC_CLEAR);
		cpuspec_free(s);
	}
}

static void test_maximum_is_a_model_name_as_in_virtinst_4_1(void **state)
{
	struct cpuspec *s = parse_ok("maximum");

	(void)state;
	assert_int_equal(s->special, CPUSPEC_MODEL);
	assert_string_equal(s->opt[CPUSPEC_F_MODEL].value, "maximum");
	cpuspec_free(s);
}

static void test_modes_that_need_a_running_libvirt_are_refused(void **state)
{
	(void)state;
	assert_non_null(strstr(parse_err("host-model-only"), "'host-model-only'"));
	assert_non_null(strstr(parse_err("host-copy"), "offline"));
	assert_non_null(strstr(parse_err("default"), "offline"));
}

static void test_leading_plus_feature_is_refused_with_a_hint(void **state)
{
	const char *err;

	(void)state;
	err = parse_err("+vmx");
	assert_non_null(strstr(err, "'+vmx'"));
	assert_non_null(strstr(err, "force=vmx"));
	assert_non_null(strstr(parse_err("-svm,Haswell"), "'-svm'"));
}

static void test_unknown_option_is_named(void **state)
{
	(void)state;
	assert_string_equal(parse_err("Haswell,foo=bar"), "unknown option 'foo'");
}

static void test_bare_token_after_the_first_is_an_unknown_option(void **state)
{
	(void)state;
	assert_string_equal(parse_err("host-passthrough,Haswell"), "unknown option 'Haswell'");
	assert_string_equal(parse_err("Haswell,+"), "unknown option '+'");
}

static void test_numa_and_xpath_options_are_unsupported(void **state)
{
	(void)state;
	assert_non_null(strstr(parse_err("cell0.cpus=0,cell0.memory=1048576"), "not supported"));
	assert_non_null(strstr(parse_err("numa.cell0.memory=1234"), "'numa.cell0.memory'"));
	assert_non_null(strstr(parse_err("Haswell,xpath0.delete=./model"), "not supported"));
}

static void test_maxphysaddr_is_unknown_as_in_virtinst_4_1(void **state)
{
	(void)state;
	assert_string_equal(parse_err("host-passthrough,maxphysaddr.mode=passthrough"),
			    "unknown option 'maxphysaddr.mode'");
}

static void test_option_without_value_is_refused(void **state)
{
	(void)state;
	assert_string_equal(parse_err("Haswell,match"), "option 'match' needs a value");
}

static void test_policy_without_feature_is_refused(void **state)
{
	(void)state;
	assert_non_null(strstr(parse_err("Haswell,disable="), "needs a feature name"));
	assert_non_null(strstr(parse_err("Haswell,require"), "needs a feature name"));
}

static void test_feature_name_with_odd_characters_is_refused(void **state)
{
	(void)state;
	assert_non_null(strstr(parse_err("Haswell,'require=a,b'"), "not a CPU feature name"));
	assert_non_null(strstr(parse_err("Haswell,+v/x"), "not a CPU feature name"));
}

static void test_quotes_group_like_shlex(void **state)
{
	struct cpuspec *s = parse_ok("'Haswell',\"require=vmx\",force='x2apic'");

	(void)state;
	assert_string_equal(s->opt[CPUSPEC_F_MODEL].value, "Haswell");
	assert_string_equal(features(s), "x2apic:force vmx:require");
	cpuspec_free(s);
}

static void test_consecutive_commas_are_one_separator(void **state)
{
	struct cpuspec *s = parse_ok("Haswell,,+vmx,");

	(void)state;
	assert_string_equal(s->opt[CPUSPEC_F_MODEL].value, "Haswell");
	assert_string_equal(features(s), "vmx:force");
	cpuspec_free(s);
}

static void test_unclosed_quote_is_refused(void **state)
{
	(void)state;
	assert_non_null(strstr(parse_err("Haswell,'+vmx"), "no closing quotation"));
	assert_non_null(strstr(parse_err("Haswell\\"), "backslash"));
}

static void test_migratable_is_normalized_to_on_or_off(void **state)
{
	struct cpuspec *s = parse_ok("host-passthrough,migratable=yes");

	(void)state;
	assert_string_equal(s->opt[CPUSPEC_F_MIGRATABLE].value, "on");
	cpuspec_free(s);
	s = parse_ok("host-passthrough,migratable=N");
	assert_string_equal(s->opt[CPUSPEC_F_MIGRATABLE].value, "off");
	cpuspec_free(s);
	assert_non_null(strstr(parse_err("Haswell,migratable=bogus"), "migratable=bogus"));
}

static void test_mode_match_and_check_must_be_libvirt_values(void **state)
{
	(void)state;
	assert_non_null(strstr(parse_err("mode=idontexist"), "mode=idontexist"));
	assert_non_null(strstr(parse_err("Haswell,match=close"), "match=close"));
	assert_non_null(strstr(parse_err("Haswell,check=some"), "check=some"));
}

static void test_clearxml_no_is_a_no_op(void **state)
{
	struct cpuspec *s = parse_ok("clearxml=no,+vmx");

	(void)state;
	assert_false(s->clearxml);
	assert_string_equal(features(s), "vmx:force");
	cpuspec_free(s);
	s = parse_ok("host-passthrough,clearxml=yes");
	assert_true(s->clearxml);
	cpuspec_free(s);
	assert_non_null(strstr(parse_err("clearxml=maybe"), "clearxml=maybe"));
}

static void test_topology_and_cache_values_are_checked(void **state)
{
	(void)state;
	assert_non_null(strstr(parse_err("topology.sockets=0"), "positive number"));
	assert_non_null(strstr(parse_err("topology.cores=two"), "positive number"));
	assert_non_null(strstr(parse_err("cache.level=4"), "cache.level=4"));
	assert_non_null(strstr(parse_err("cache.mode=fast"), "cache.mode=fast"));
}

static void test_secure_is_accepted_and_has_no_effect(void **state)
{
	struct cpuspec *s = parse_ok("qemu64,secure=off");

	(void)state;
	assert_string_equal(s->opt[CPUSPEC_F_MODEL].value, "qemu64");
	assert_int_equal(s->nfeatures, 0);
	cpuspec_free(s);
	assert_non_null(strstr(parse_err("qemu64,secure=perhaps"), "secure=perhaps"));
}

static void test_empty_spec_is_refused(void **state)
{
	(void)state;
	assert_string_equal(parse_err(""), "empty");
	assert_string_equal(parse_err(",,"), "empty");
}

static void test_overlong_spec_is_refused(void **state)
{
	char *text = malloc(5000);

	(void)state;
	memset(text, 'a', 4999);
	text[4999] = '\0';
	assert_non_null(strstr(parse_err(text), "longer than"));
	free(text);
}

static void test_policy_and_field_names(void **state)
{
	(void)state;
	assert_string_equal(cpuspec_policy_name(CPUSPEC_FORCE), "force");
	assert_string_equal(cpuspec_policy_name(CPUSPEC_FORBID), "forbid");
	assert_null(cpuspec_policy_name(CPUSPEC_NPOLICIES));
	assert_string_equal(cpuspec_field_name(CPUSPEC_F_FALLBACK), "model.fallback");
	assert_string_equal(cpuspec_field_name(CPUSPEC_F_THREADS), "topology.threads");
	assert_null(cpuspec_field_name(CPUSPEC_NFIELDS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bare_first_token_is_the_model),
	    cmocka_unit_test(test_model_option_names_the_model),
	    cmocka_unit_test(test_last_model_wins),
	    cmocka_unit_test(test_plus_feature_is_force_and_minus_is_disable),
	    cmocka_unit_test(test_policies_apply_in_fixed_order_not_command_line_order),
	    cmocka_unit_test(test_explicit_policy_values_come_before_plus_and_minus),
	    cmocka_unit_test(test_the_later_policy_of_a_feature_wins),
	    cmocka_unit_test(test_repeated_policy_collects_every_feature),
	    cmocka_unit_test(test_repeated_plus_feature_counts_once),
	    cmocka_unit_test(test_plus_feature_with_empty_value_is_still_force),
	    cmocka_unit_test(test_empty_value_removes_the_property),
	    cmocka_unit_test(test_every_scalar_option_is_recorded),
	    cmocka_unit_test(test_host_is_host_model),
	    cmocka_unit_test(test_host_passthrough_is_a_special_mode),
	    cmocka_unit_test(test_none_clear_and_hv_default_clear_the_cpu),
	    cmocka_unit_test(test_maximum_is_a_model_name_as_in_virtinst_4_1),
	    cmocka_unit_test(test_modes_that_need_a_running_libvirt_are_refused),
	    cmocka_unit_test(test_leading_plus_feature_is_refused_with_a_hint),
	    cmocka_unit_test(test_unknown_option_is_named),
	    cmocka_unit_test(test_bare_token_after_the_first_is_an_unknown_option),
	    cmocka_unit_test(test_numa_and_xpath_options_are_unsupported),
	    cmocka_unit_test(test_maxphysaddr_is_unknown_as_in_virtinst_4_1),
	    cmocka_unit_test(test_option_without_value_is_refused),
	    cmocka_unit_test(test_policy_without_feature_is_refused),
	    cmocka_unit_test(test_feature_name_with_odd_characters_is_refused),
	    cmocka_unit_test(test_quotes_group_like_shlex),
	    cmocka_unit_test(test_consecutive_commas_are_one_separator),
	    cmocka_unit_test(test_unclosed_quote_is_refused),
	    cmocka_unit_test(test_migratable_is_normalized_to_on_or_off),
	    cmocka_unit_test(test_mode_match_and_check_must_be_libvirt_values),
	    cmocka_unit_test(test_clearxml_no_is_a_no_op),
	    cmocka_unit_test(test_topology_and_cache_values_are_checked),
	    cmocka_unit_test(test_secure_is_accepted_and_has_no_effect),
	    cmocka_unit_test(test_empty_spec_is_refused),
	    cmocka_unit_test(test_overlong_spec_is_refused),
	    cmocka_unit_test(test_policy_and_field_names),
	};

	return cmocka_run_group_tests_name("cpuspec", tests, NULL, NULL);
}
