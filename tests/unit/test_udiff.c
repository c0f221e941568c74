// SPDX-License-Identifier: LGPL-2.1-or-later
/* udiff: the unified diff of a dry run is what `diff -u` prints (and `patch` applies). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "udiff.h"

/* The diff of @a and @b without its two header lines, in a static buffer. */
static const char *hunks(const char *a, const char *b)
{
	static char out[4096];
	char *text = NULL, *p;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	assert_non_null(m);
	assert_int_equal(udiff_write(m, "a/x", a, strlen(a), "b/x", b, strlen(b)), 0);
	fclose(m);
	p = text;
	if (len) {
		assert_true(!strncmp(p, "--- a/x\n+++ b/x\n", 16));
		p += 16;
	}
	snprintf(out, sizeof(out), "%s", p);
	free(text);
	return out;
}

static void equal_texts_give_no_output(void **state)
{
	(void)state;
	assert_string_equal(hunks("a\nb\n", "a\nb\n"), "");
	assert_string_equal(hunks("", ""), "");
}

static void an_inserted_line_has_its_context(void **state)
{
	(void)state;
	assert_string_equal(hunks("a\nb\nc\n", "a\nb\nX\nc\n"),
			    "@@ -1,3 +1,4 @@\n a\n b\n+X\n c\n");
}

static void everything_added_to_an_empty_text(void **state)
{
	(void)state;
	assert_string_equal(hunks("", "x\ny\n"), "@@ -0,0 +1,2 @@\n+x\n+y\n");
}

static void a_missing_final_newline_is_marked(void **state)
{
	(void)state;
	assert_string_equal(hunks("a\nb", "a\nc"),
			    "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n"
			    "+c\n\\ No newline at end of file\n");
}

static void distant_changes_get_two_hunks(void **state)
{
	(void)state;
	assert_string_equal(
	    hunks(
		"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n",
		"1\ntwo\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\nnineteen\n20\n"),
	    "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"
	    "@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n");
}

static void close_changes_share_one_hunk(void **state)
{
	(void)state;
	assert_string_equal(
	    hunks("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\nthree\n4\n5\n6\n7\neight\n9\n10\n"),
	    "@@ -1,10 +1,10 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n 7\n-8\n+eight\n 9\n 10\n");
}

static void a_one_line_range_leaves_out_the_count(void **state)
{
	(void)state;
	assert_string_equal(hunks("a\n", "b\n"), "@@ -1 +1 @@\n-a\n+b\n");
}

static void a_replaced_cpu_block_reads_as_in_diff(void **state)
{
	(void)state;
	assert_string_equal(
	    hunks("<domain>\n  <cpu mode='host-model'/>\n  <clock/>\n</domain>\n",
		  "<domain>\n  <cpu mode='custom'>\n    <model>qemu64</model>\n  </cpu>\n"
		  "  <clock/>\n</domain>\n"),
	    "@@ -1,4 +1,6 @@\n <domain>\n-  <cpu mode='host-model'/>\n+  <cpu mode='custom'>\n"
	    "+    <model>qemu64</model>\n+  </cpu>\n   <clock/>\n </domain>\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(equal_texts_give_no_output),
	    cmocka_unit_test(an_inserted_line_has_its_context),
	    cmocka_unit_test(everything_added_to_an_empty_text),
	    cmocka_unit_test(a_missing_final_newline_is_marked),
	    cmocka_unit_test(distant_changes_get_two_hunks),
	    cmocka_unit_test(close_changes_share_one_hunk),
	    cmocka_unit_test(a_one_line_range_leaves_out_the_count),
	    cmocka_unit_test(a_replaced_cpu_block_reads_as_in_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
