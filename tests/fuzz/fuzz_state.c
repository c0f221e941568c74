// SPDX-License-Identifier: LGPL-2.1-or-later
/* The state file parser never crashes, and what it parsed survives a format/parse round. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nv_state a, b;
	char text[2048];
	int n;

	state_parse((const char *)data, size, &a);
	/* Newlines inside a value would split it: the writer never produces them. */
	if (strchr(a.message, '\n') || strchr(a.action, '\n') || strchr(a.vendor, '\n'))
		return 0;
	n = state_format(&a, text, sizeof(text));
	if (n < 0)
		abort();
	state_parse(text, n, &b);
	if (strcmp(a.action, b.action) || strcmp(a.module, b.module) || a.request != b.request ||
	    a.reload_attempts != b.reload_attempts || strcmp(a.message, b.message))
		abort();
	return 0;
}
