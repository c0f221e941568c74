// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the --cpu SPEC parser (cpuspec_parse). Besides not crashing: a refusal
 * says why; an accepted SPEC holds only libvirt names, and applying it to a domain with a
 * <cpu> and to one without gives a result that a second apply leaves alone.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpuspec.h"
#include "domxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const docs[] = {
    "<domain type='kvm'>\n  <name>a</name>\n  <os>\n    <type arch='x86_64'>hvm</type>\n"
    "  </os>\n  <features>\n    <acpi/>\n  </features>\n  <clock offset='utc'/>\n</domain>\n",
    "<domain type='kvm'>\n  <name>b</name>\n  <features/>\n"
    "  <cpu mode='custom' match='exact' check='partial'>\n"
    "    <model fallback='allow'>Haswell-noTSX</model>\n    <vendor>Intel</vendor>\n"
    "    <topology sockets='1' dies='1' cores='2' threads='1'/>\n"
    "    <feature policy='disable' name='vmx'/>\n    <feature policy='optional' name='x2apic'/>\n"
    "    <numa>\n      <cell id='0' cpus='0-1' memory='1048576' unit='KiB'/>\n    </numa>\n"
    "  </cpu>\n</domain>\n",
    "<domain type='kvm'><name>c</name><cpu mode='host-passthrough' migratable='on'/></domain>",
};

static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
			    *s))
			return false;
	return true;
}

static void check_spec(const struct cpuspec *s)
{
	for (size_t i = 0; i < s->nfeatures; i++)
		if (!is_name(s->features[i].name) || !cpuspec_policy_name(s->features[i].policy))
			abort();
	for (int f = 0; f < CPUSPEC_NFIELDS; f++)
		if (!s->opt[f].set && s->opt[f].value)
			abort();
}

static void apply_twice(const char *doc, const struct cpuspec *s)
{
	struct domxml_request req = {.mode = DOMXML_MODE_SPEC, .vendor_feature = "vmx", .spec = s};
	struct domxml_result res, again;

	if (domxml_apply(doc, strlen(doc), &req, &res) < 0)
		return;
	if (res.status != DOMXML_CHANGED)
		return;
	if (domxml_apply(res.out, res.out_len, &req, &again) == 0 &&
	    again.status != DOMXML_UNCHANGED)
		abort();
	domxml_result_free(&again);
	domxml_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpuspec *s = NULL;
	char err[256];
	char *text;
	int r;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = 'x';
	r = cpuspec_parse(text, &s, err, sizeof(err));
	free(text);
	if (r == -EINVAL && !err[0])
		abort(); /* a refusal must say why */
	if (r < 0)
		return 0;
	check_spec(s);
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		apply_twice(docs[i], s);
	cpuspec_free(s);
	return 0;
}
