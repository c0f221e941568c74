/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Internal to the --cpu SPEC parser (cpuspec.c): a SPEC split into "key=value" tuples. */

struct cpuspec_tuple {
	char *key;
	char *val; /* NULL: a bare token without '=' */
};

struct cpuspec_tuples {
	struct cpuspec_tuple *v;
	size_t n, cap;
};

/* Append the tuples of @text, split the way Python's shlex splits it for virt-install, to
 * @toks. -EINVAL with a message in @err for an open quote or a final backslash, -ENOMEM. */
int cpuspec_split(const char *text, struct cpuspec_tuples *toks, char *err, size_t errlen);
void cpuspec_tuples_free(struct cpuspec_tuples *t);
