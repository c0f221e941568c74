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

/* The new document, and which bytes changed. Outside [old_from, old_to) of the input and
 * [new_from, new_to) of the output the two are the same, but for blanks next to them (the line
 * a removed <cpu> was on, the indentation of an inserted one). */
struct splice {
	char *out; /* malloc'd */
	size_t len;
	size_t old_from, old_to; /* the old <cpu>, or where the new one is inserted */
	size_t new_from, new_to; /* the new <cpu>, or where the old one was removed */
};

/* Fill @s. 0, -EINVAL when <domain> has no child element to place a new <cpu> next to, or
 * -ENOMEM. */
int splice_cpu(const struct domdoc *d, struct arena *ar, const struct cpu *c, struct splice *s);
