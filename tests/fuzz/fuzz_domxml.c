// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the <cpu> edit (domxml_apply). Input layout:
 *   byte 0: the mode (feature, host-passthrough, host-model, disable, SPEC)
 *   byte 1: bit 0 svm instead of vmx, bit 1 --override, bit 2 check names against a CPU map
 *   then, in SPEC mode, a --cpu SPEC up to the first newline; then the document.
 * Besides not crashing, every outcome must hold its promises: a changed document is
 * non-empty and a second apply on it changes nothing; other outcomes return no document; the
 * edit's own post-condition never has to refuse what the writer produced.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpumap.h"
#include "cpuspec.h"
#include "domxml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cpumap *map;

static const char map_index[] =
    "<cpus><arch name='x86'><feature name='vmx'/><feature name='svm'/>"
    "<feature name='x2apic'/><feature name='pcid'/><model name='qemu64'/>"
    "<model name='Haswell'/><model name='Haswell-noTSX'/><model name='Skylake-Client'/>"
    "<model name='EPYC-Rome'/></arch></cpus>";

static int read_map(void *opaque, const char *name, char **buf, size_t *len)
{
	(void)opaque;
	if (strcmp(name, "index.xml"))
		return -ENOENT;
	*buf = strdup(map_index);
	*len = strlen(map_index);
	return *buf ? 0 : -ENOMEM;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (cpumap_load_with(read_map, NULL, "index.xml", "x86_64", &map) < 0)
		abort();
	return 0;
}

static void check(const uint8_t *doc, size_t len, const struct domxml_request *req)
{
	struct domxml_result res, again;
	int r = domxml_apply((const char *)doc, len, req, &res);

	if (r == -ENOMEM)
		return;
	if (r < 0 || (unsigned)res.status > DOMXML_INVALID || !memchr(res.reason, 0, 256))
		abort();
	/* The post-condition (domxml-verify.c) refusing an output is a bug of the writer. */
	if (res.status == DOMXML_INVALID && (!strncmp(res.reason, "the edited ", 11) ||
					     !strncmp(res.reason, "the edit changed ", 17)))
		abort();
	if (res.status != DOMXML_CHANGED) {
		if (res.out || res.out_len)
			abort();
		return;
	}
	if (!res.out || !res.out_len)
		abort();
	r = domxml_apply(res.out, res.out_len, req, &again);
	if (r == 0 && again.status != DOMXML_UNCHANGED)
		abort(); /* not idempotent */
	domxml_result_free(&again);
	domxml_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct domxml_request req = {0};
	struct cpuspec *spec = NULL;
	char text[256], err[256];
	size_t n = 0;

	if (size < 2)
		return 0;
	req.mode = data[0] % 5;
	req.vendor_feature = data[1] & 1 ? "svm" : "vmx";
	req.override = data[1] & 2;
	req.map = data[1] & 4 ? map : NULL;
	data += 2;
	size -= 2;
	if (req.mode == DOMXML_MODE_SPEC) {
		while (n < size && n < sizeof(text) - 1 && data[n] != '\n')
			n++;
		memcpy(text, data, n);
		text[n] = '\0';
		if (cpuspec_parse(text, &spec, err, sizeof(err)) < 0 &&
		    cpuspec_parse("Haswell,+vmx", &spec, err, sizeof(err)) < 0)
			return 0;
		req.spec = spec;
		if (n < size)
			n++;
	}
	check(data + n, size - n, &req);
	cpuspec_free(spec);
	return 0;
}
