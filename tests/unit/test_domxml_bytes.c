// SPDX-License-Identifier: LGPL-2.1-or-later
/* The bytes of the <cpu> edit: placement, indentation, line ends, comments, escaping, and
 * the golden pairs of tests/data/domxml/. */
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
#include "fileio.h"

#include "domxmltest.h"

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

	return cmocka_run_group_tests_name("domxml_bytes", tests, NULL, NULL);
}
