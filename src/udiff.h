/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdio.h>

/*
 * A unified diff of two texts, as `diff -u` prints it and `patch` applies it, computed in
 * process: the dry run shows one per file, and forking diff(1) for each of thousands of files
 * would cost more than the rewrite. Lines common to both ends are cut first; the rest is a
 * longest-common-subsequence over lines, which for the <cpu> edit is a handful of lines.
 */

/* Write the diff of @a (@alen bytes) and @b (@blen bytes) to @out with "--- @alabel" and
 * "+++ @blabel" headers and 3 lines of context; nothing when the texts are equal.
 * Returns 0 or negative errno. */
int udiff_write(FILE *out, const char *alabel, const char *a, size_t alen, const char *blabel,
		const char *b, size_t blen);
