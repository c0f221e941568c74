/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * A bump allocator for the <cpu> edit: everything of one document is allocated from one arena
 * and freed at once. Internal to domxml*.c.
 */

struct chunk;

struct arena {
	struct chunk *head;
};

/* @n bytes aligned for any type, or NULL. Valid until arena_free(). */
void *arena_alloc(struct arena *a, size_t n);

/* A NUL-terminated copy of the @n bytes at @s, or NULL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* Free everything allocated from @a; @a is empty and reusable afterwards. */
void arena_free(struct arena *a);
