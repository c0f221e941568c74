// SPDX-License-Identifier: LGPL-2.1-or-later
/* The state file parser never crashes; what it parsed is formatted as exactly one line per key,
 * whatever the values hold, and survives a format/parse round when it has no control character. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The number of keys state_format writes. */
#define STATE_KEYS 16

static int has_control(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nv_state a, b;
	char text[8192];
	int n, lines = 0;

	state_parse((const char *)data, size, &a);
	n = state_format(&a, text, sizeof(text));
	if (n < 0)
		abort();
	for (int i = 0; i < n; i++)
		lines += text[i] == '\n';
	if (lines != STATE_KEYS)
		abort();
	if (has_control(a.message) || has_control(a.action) || has_control(a.module) ||
	    has_control(a.cpu) || has_control(a.domains) || has_control(a.exclude) ||
	    has_control(a.source))
		return 0;
	state_parse(text, n, &b);
	if (strcmp(a.action, b.action) || strcmp(a.module, b.module) || a.request != b.request ||
	    a.reload_attempts != b.reload_attempts || strcmp(a.message, b.message) ||
	    strcmp(a.source, b.source) || strcmp(a.cpu, b.cpu) || strcmp(a.domains, b.domains) ||
	    strcmp(a.exclude, b.exclude) || a.firstboot != b.firstboot)
		abort();
	return 0;
}
