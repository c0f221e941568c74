/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "domxml-arena.h"
#include "domxml-cpu.h"
#include "domxml-scan.h"

/*
 * Writing and splicing: the document @d with the bytes of its <cpu> replaced by @c written in
 * libvirt's style (children that did not change copied byte for byte), removed when @c is not
 * present, or inserted where libvirt writes <cpu>. Internal to domxml*.c.
 */

/* The new document in a malloc'd *@ret of *@ret_len bytes. 0, -EINVAL when <domain> has no
 * child element to place a new <cpu> next to, or -ENOMEM. */
int splice_cpu(const struct domdoc *d, struct arena *ar, const struct cpu *c, char **ret,
	       size_t *ret_len);
