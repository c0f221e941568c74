// SPDX-License-Identifier: LGPL-2.1-or-later
/* The kernel command line parser never crashes and always gives a defined request. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmdline_opts o;

	cmdline_parse((const char *)data, size, &o, NULL, NULL);
	if (o.request != NV_REQUEST_ABSENT && o.request != NV_REQUEST_ON &&
	    o.request != NV_REQUEST_OFF)
		abort();
	for (int m = 0; m < KVM_MODULE_COUNT; m++)
		if (memchr(o.admin_nested[m], '\0', sizeof(o.admin_nested[m])) == NULL)
			abort();
	return 0;
}
