// SPDX-License-Identifier: LGPL-2.1-or-later
/* Documents the <cpu> edit skips or refuses, and the names it checks against a CPU map. */
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

#include "domxmltest.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	};

	return cmocka_run_group_tests_name("domxml_refusals", tests, NULL, NULL);
}
