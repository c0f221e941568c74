/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "hostcpu.h"

/*
 * The request: nestvirt= and its nestvirt.* options on the kernel command line, read the way the
 * kernel splits it (whitespace, double quotes), and the persistent setting in
 * /etc/nestvirt/persistent for hosts whose command line cannot be changed.
 */

enum nv_request {
	NV_REQUEST_ABSENT = -1, /* no valid nestvirt= : do nothing */
	NV_REQUEST_OFF = 0,
	NV_REQUEST_ON = 1,
};

/* The longest nestvirt.cpu=, nestvirt.domains= or nestvirt.exclude= value, in bytes. */
#define CMDLINE_VALUE_MAX 255

struct cmdline_opts {
	enum nv_request request;
	/* The admin's own MODULE.nested= (last occurrence), "" when absent. */
	char admin_nested[KVM_MODULE_COUNT][16];
	/* One-boot overrides for the first boot (last valid occurrence), "" when absent:
	 * nestvirt.cpu=SPEC, nestvirt.domains=GLOB[,GLOB…], nestvirt.exclude=GLOB[,GLOB…]. */
	char cpu[CMDLINE_VALUE_MAX + 1];
	char domains[CMDLINE_VALUE_MAX + 1];
	char exclude[CMDLINE_VALUE_MAX + 1];
	/* nestvirt.firstboot= (bool like nestvirt=): 1, 0, or -1 when absent. */
	int firstboot;
};

/* Called for each token of ours that is refused, with the NUL-terminated token (which may hold
 * control characters: escape it before showing it) and why. */
typedef void (*cmdline_warn_fn)(const char *token, const char *reason, void *userdata);

/* Parse @len bytes of @buf into @opts. Never fails: a refused value is reported through @warn
 * (may be NULL) and counts as absent — an earlier valid occurrence does not win over it. NUL
 * bytes separate tokens like whitespace. */
void cmdline_parse(const char *buf, size_t len, struct cmdline_opts *opts, cmdline_warn_fn warn,
		   void *userdata);

/* Called for the first line of the persistent file that is not understood: its number (from 1)
 * and its text, NUL-terminated (may hold control characters). */
typedef void (*cmdline_line_warn_fn)(unsigned line, const char *text, void *userdata);

/* The request in the text of /etc/nestvirt/persistent: lines "nestvirt=1" or "nestvirt=0" (the
 * last counts; the values of nestvirt= on the command line are understood), blank lines and
 * '#' comments. Any other line makes the whole file count as absent, after @warn. */
enum nv_request cmdline_parse_persistent(const char *buf, size_t len, cmdline_line_warn_fn warn,
					 void *userdata);

/* The request's value for the module parameter: 1 or 0. */
int nv_request_value(enum nv_request r);
