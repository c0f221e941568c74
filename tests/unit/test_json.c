// SPDX-License-Identifier: LGPL-2.1-or-later
/* json: one JSON string writer; any bytes in, valid JSON out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

/* @s as a JSON string; valid until the next call. */
static const char *json_of(const char *s)
{
	static char out[1024];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	json_write_string(f, s);
	fclose(f);
	snprintf(out, sizeof(out), "%s", text);
	free(text);
	return out;
}

static void json_escapes_quotes_backslashes_and_controls(void **state)
{
	(void)state;
	assert_string_equal(json_of("a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(json_of("l1\nl2\tx\r"), "\"l1\\nl2\\tx\\r\"");
	assert_string_equal(json_of("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
}

static void json_keeps_valid_utf8(void **state)
{
	(void)state;
	assert_string_equal(json_of("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
			    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

static void json_replaces_invalid_utf8(void **state)
{
	(void)state;
	assert_string_equal(json_of("a\xff"
				    "b"),
			    "\"a\\ufffdb\"");
	assert_string_equal(json_of("\xc0\x80"), "\"\\ufffd\\ufffd\"");		   /* overlong */
	assert_string_equal(json_of("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
	assert_string_equal(json_of("\xe2\x82"), "\"\\ufffd\\ufffd\"");		   /* truncated */
}

static void json_of_a_byte_above_0x7f_alone_is_one_replacement_character(void **state)
{
	(void)state;
	assert_string_equal(json_of("\x80\xff"), "\"\\ufffd\\ufffd\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(json_escapes_quotes_backslashes_and_controls),
	    cmocka_unit_test(json_keeps_valid_utf8),
	    cmocka_unit_test(json_replaces_invalid_utf8),
	    cmocka_unit_test(json_of_a_byte_above_0x7f_alone_is_one_replacement_character),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
