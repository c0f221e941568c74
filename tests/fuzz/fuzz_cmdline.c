// SPDX-License-Identifier: LGPL-2.1-or-later
/* The request parsers (kernel command line, persistent file) never crash and always give a
 * defined request; a recorded override is a terminated line without control characters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_override(const char *v, size_t size)
{
	if (!memchr(v, '\0', size))
		abort();
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

static void check_request(int r)
{
	if (r != NV_REQUEST_ABSENT && r != NV_REQUEST_ON && r != NV_REQUEST_OFF)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmdline_opts o;

	cmdline_parse((const char *)data, size, &o, NULL, NULL);
	check_request(o.request);
	check_request(o.firstboot);
	for (int m = 0; m < KVM_MODULE_COUNT; m++)
		if (memchr(o.admin_nested[m], '\0', sizeof(o.admin_nested[m])) == NULL)
			abort();
	check_override(o.cpu, sizeof(o.cpu));
	check_override(o.domains, sizeof(o.domains));
	check_override(o.exclude, sizeof(o.exclude));
	check_request(cmdline_parse_persistent((const char *)data, size, NULL, NULL));
	return 0;
}
