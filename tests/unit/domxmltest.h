/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* What the unit tests of the <cpu> edit share: a libvirt-written domain around the <cpu>
 * under test, and the checks of one domxml_apply. Include after <cmocka.h>. */

#include <string.h>

#include "cpuspec.h"
#include "domxml.h"

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

static inline struct domxml_request feature_req(const char *vf)
{
	return (struct domxml_request){.mode = DOMXML_MODE_FEATURE, .vendor_feature = vf};
}

static inline struct domxml_request mode_req(enum domxml_mode mode)
{
	return (struct domxml_request){.mode = mode, .vendor_feature = "vmx"};
}

static inline struct cpuspec *spec_of(const char *text)
{
	struct cpuspec *s = NULL;
	char err[256];

	if (cpuspec_parse(text, &s, err, sizeof(err)) < 0)
		fail_msg("--cpu %s: %s", text, err);
	return s;
}

static inline struct domxml_result apply(const char *doc, const struct domxml_request *req)
{
	struct domxml_result res;

	assert_int_equal(domxml_apply(doc, strlen(doc), req, &res), 0);
	if (res.status != DOMXML_CHANGED)
		assert_null(res.out);
	return res;
}

static inline void expect_status(const char *doc, const struct domxml_request *req,
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
static inline void expect_output(const char *doc, const struct domxml_request *req,
				 const char *expected)
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

static inline void expect_spec_output(const char *doc, const char *spec, const char *expected)
{
	struct cpuspec *s = spec_of(spec);
	struct domxml_request req = {.mode = DOMXML_MODE_SPEC, .vendor_feature = "vmx", .spec = s};

	expect_output(doc, &req, expected);
	cpuspec_free(s);
}

static inline void expect_spec_status(const char *doc, const char *spec, enum domxml_status status,
				      const char *reason_part)
{
	struct cpuspec *s = spec_of(spec);
	struct domxml_request req = {.mode = DOMXML_MODE_SPEC, .vendor_feature = "vmx", .spec = s};

	expect_status(doc, &req, status, reason_part);
	cpuspec_free(s);
}
