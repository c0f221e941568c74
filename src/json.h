/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

/*
 * JSON strings (RFC 8259) for the CLI's --json output. The input is bytes (file names can be
 * anything): valid UTF-8 is copied, every byte of an invalid sequence (overlong, surrogate,
 * above U+10FFFF, truncated, a stray byte above 0x7F) becomes one U+FFFD, written "\ufffd";
 * '"', '\\', \n, \t, \r get their short escapes; other control characters and DEL are
 * "\u00XX". The output is always valid JSON and pure ASCII apart from copied UTF-8.
 */

/* Write @s as a JSON string, quoted. */
void json_write_string(FILE *out, const char *s);
