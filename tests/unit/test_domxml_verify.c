// SPDX-License-Identifier: LGPL-2.1-or-later
/* The <cpu> edit's post-condition (domxml-verify.c): output that is not well-formed, not a
 * <domain>, or changed outside <cpu> is refused, whatever wrote it. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "domxml-verify.h"

#define IN                                                                                         \
	"<domain type='kvm'>\n"                                                                    \
	"  <name>t</name>\n"                                                                       \
	"  <cpu mode='custom'>\n"                                                                  \
	"    <model>Haswell</model>\n"                                                             \
	"    <feature xmlns:x='urn:x' x:note='n' policy='disable' name='vmx'/>\n"                  \
	"  </cpu>\n"                                                                               \
	"  <devices/>\n"                                                                           \
	"</domain>\n"

/* Check @out as the splice of IN that replaced its <cpu> by the bytes from @cpu_at to the
 * matching "</cpu>" (or, without one, by nothing at @cpu_at). */
static int verify(const char *in, const char *out, const char *cpu_at, char *why, size_t len)
{
	struct arena ar = {0};
	struct domdoc d;
	struct splice s = {.out = (char *)out, .len = strlen(out)};
	const char *from = strstr(out, cpu_at), *end;
	int r;

	assert_int_equal(domdoc_scan(&ar, in, strlen(in), &d), 0);
	assert_null(d.invalid);
	assert_non_null(from);
	end = strstr(from, "</cpu>");
	s.old_from = d.cpu_start;
	s.old_to = d.cpu_end;
	s.new_from = (size_t)(from - out);
	s.new_to = end ? (size_t)(end + 6 - out) : s.new_from;
	r = verify_splice(&ar, &d, &s, end != NULL, why, len);
	arena_free(&ar);
	return r;
}

static void expect_refused(const char *out, const char *cpu_at, const char *reason_part)
{
	char why[256];

	assert_int_equal(verify(IN, out, cpu_at, why, sizeof(why)), -EBADMSG);
	if (!strstr(why, reason_part))
		fail_msg("reason '%s' lacks '%s'", why, reason_part);
}

static void test_output_as_the_splice_wrote_it_holds(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(
	    verify(IN,
		   "<domain type='kvm'>\n"
		   "  <name>t</name>\n"
		   "  <cpu mode='custom'>\n"
		   "    <model>Haswell</model>\n"
		   "    <feature xmlns:x='urn:x' policy='require' name='vmx' x:note='n'/>\n"
		   "  </cpu>\n"
		   "  <devices/>\n"
		   "</domain>\n",
		   "<cpu", why, sizeof(why)),
	    0);
	assert_string_equal(why, "");
}

static void test_output_with_an_undeclared_namespace_prefix_is_refused(void **state)
{
	(void)state;
	expect_refused("<domain type='kvm'>\n"
		       "  <name>t</name>\n"
		       "  <cpu mode='custom'>\n"
		       "    <model>Haswell</model>\n"
		       "    <feature policy='require' name='vmx' x:note='n'/>\n"
		       "  </cpu>\n"
		       "  <devices/>\n"
		       "</domain>\n",
		       "<cpu", "namespace prefix it does not declare");
}

static void test_output_that_is_not_well_formed_is_refused(void **state)
{
	(void)state;
	expect_refused("<domain type='kvm'>\n"
		       "  <name>t</name>\n"
		       "  <cpu mode='custom'>\n"
		       "    <model>Haswell</model>\n"
		       "    <feature policy='require' name='vmx'>\n"
		       "  </cpu>\n"
		       "  <devices/>\n"
		       "</domain>\n",
		       "<cpu", "cannot be read back: not well-formed XML");
}

static void test_output_whose_root_is_not_domain_is_refused(void **state)
{
	(void)state;
	expect_refused("<domainx type='kvm'>\n"
		       "  <name>t</name>\n"
		       "  <cpu mode='custom'/>\n"
		       "  <devices/>\n"
		       "</domainx>\n",
		       "<cpu", "the root element is not <domain>");
}

static void test_output_changed_outside_cpu_is_refused(void **state)
{
	(void)state;
	expect_refused("<domain type='kvm'>\n"
		       "  <name>u</name>\n"
		       "  <cpu mode='host-passthrough'></cpu>\n"
		       "  <devices/>\n"
		       "</domain>\n",
		       "<cpu", "changed bytes outside <cpu>");
}

static void test_output_with_a_second_cpu_is_refused(void **state)
{
	(void)state;
	expect_refused("<domain type='kvm'>\n"
		       "  <name>t</name>\n"
		       "  <cpu mode='host-passthrough'/>\n"
		       "  <cpu mode='host-model'/>\n"
		       "  <devices/>\n"
		       "</domain>\n",
		       "<cpu", "has more than one <cpu>");
}

static void test_output_without_the_cpu_it_should_have_is_refused(void **state)
{
	(void)state;
	/* A <cpu> was written, but the output does not have it where the splice says. */
	expect_refused("<domain type='kvm'>\n"
		       "  <name>t</name>\n"
		       "  <!-- <cpu mode='host-passthrough'></cpu> -->\n"
		       "  <devices/>\n"
		       "</domain>\n",
		       "<cpu", "does not have the <cpu> it should");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_output_as_the_splice_wrote_it_holds),
	    cmocka_unit_test(test_output_with_an_undeclared_namespace_prefix_is_refused),
	    cmocka_unit_test(test_output_that_is_not_well_formed_is_refused),
	    cmocka_unit_test(test_output_whose_root_is_not_domain_is_refused),
	    cmocka_unit_test(test_output_changed_outside_cpu_is_refused),
	    cmocka_unit_test(test_output_with_a_second_cpu_is_refused),
	    cmocka_unit_test(test_output_without_the_cpu_it_should_have_is_refused),
	};

	return cmocka_run_group_tests_name("domxml_verify", tests, NULL, NULL);
}
