/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "hostcpu.h"

/* The kernel command line, read the way the kernel splits it (whitespace, double quotes). */

enum nv_request {
	NV_REQUEST_ABSENT = -1, /* no valid nestvirt= : do nothing */
	NV_REQUEST_OFF = 0,
	NV_REQUEST_ON = 1,
};

struct cmdline_opts {
	enum nv_request request;
	/* The admin's own MODULE.nested= (last occurrence), "" when absent. */
	char admin_nested[KVM_MODULE_COUNT][16];
};

/* Called for each nestvirt= token whose value is not understood; the token is NUL-terminated. */
typedef void (*cmdline_warn_fn)(const char *token, void *userdata);

/* Parse @len bytes of @buf into @opts. Never fails: unknown values are reported through @warn
 * (may be NULL) and ignored. NUL bytes separate tokens like whitespace. */
void cmdline_parse(const char *buf, size_t len, struct cmdline_opts *opts, cmdline_warn_fn warn,
		   void *userdata);

/* The request's value for the module parameter: 1 or 0. */
int nv_request_value(enum nv_request r);
