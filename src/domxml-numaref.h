/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domxml-arena.h"

/*
 * The elements outside <cpu> that refer to the guest's NUMA cells (<cpu><numa><cell id=N>) by
 * number, so that libvirt refuses the domain once the cells are gone: <numatune><memnode
 * cellid>, <memoryBacking><hugepages><page nodeset>, a memory device's or a PCI expander bus's
 * <target><node>. Internal to domxml*.c.
 */

/* How deep below <domain> a reference can be. */
#define NUMAREF_DEPTH 4

/* Whether the element at @path (the names below <domain>, outermost first; NULL for a
 * namespaced one), @n of them, refers to a NUMA cell. When that depends on an attribute,
 * *@attr is its name (the element refers only when it has it), else NULL. */
bool numaref_match(const char *const *path, size_t n, const char **attr);

/* How the reference reads in a message: "<numatune><memnode cellid='1'>", with the attribute
 * @attr (NULL: none) set to @value. NULL on ENOMEM. */
const char *numaref_describe(struct arena *ar, const char *const *path, size_t n, const char *attr,
			     const char *value);
