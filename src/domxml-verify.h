/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domxml-arena.h"
#include "domxml-scan.h"
#include "domxml-write.h"

/*
 * The edit's own post-condition, checked on every document it produces before it is returned:
 * the output is read again as the input was, so a bug in the writer refuses the file instead
 * of handing libvirt a document it would skip. Internal to domxml*.c.
 */

/* Whether @s (the splice of @in) is well-formed (namespaces too, when @in was), still a
 * <domain>, has exactly one <cpu> where the splice wrote it (none when @cpu_present is false),
 * and the same bytes as @in outside the <cpu>. Returns 0 when it holds, -EBADMSG with the
 * reason in @why when not, -ENOMEM. */
int verify_splice(struct arena *ar, const struct domdoc *in, const struct splice *s,
		  bool cpu_present, char *why, size_t whylen);
