// SPDX-License-Identifier: LGPL-2.1-or-later
/* image-probe.c without a disk: --partition specs against a probe result, the ext error flag
 * from a superblock in memory, and libblkid's verdict on in-memory images. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "image-probe.h"
#include "log.h"

static struct image_part parts[] = {
    {.number = 1, .type = "vfat", .label = "EFI", .partlabel = "esp", .partuuid = "aa-1"},
    {.number = 2, .type = "ext4", .label = "root", .uuid = "u-2", .partlabel = "linux"},
    {.number = 5, .type = "swap", .partuuid = "aa-5"},
};
static const struct image_probe gpt = {.pttype = "gpt", .parts = parts, .nparts = 3};

static void test_partition_specs_find_each_key(void **state)
{
	(void)state;
	assert_int_equal(image_probe_find(&gpt, "2", "d"), 1);
	assert_int_equal(image_probe_find(&gpt, "5", "d"), 2);
	assert_int_equal(image_probe_find(&gpt, "LABEL=root", "d"), 1);
	assert_int_equal(image_probe_find(&gpt, "PARTLABEL=esp", "d"), 0);
	assert_int_equal(image_probe_find(&gpt, "UUID=u-2", "d"), 1);
	assert_int_equal(image_probe_find(&gpt, "PARTUUID=aa-5", "d"), 2);
}

static void test_partition_specs_missing_or_malformed(void **state)
{
	struct image_probe bare = {.pttype = "", .parts = parts + 1, .nparts = 1};

	(void)state;
	log_set_max_level(LOG_EMERG);
	assert_int_equal(image_probe_find(&gpt, "3", "d"), -ENOENT);
	assert_int_equal(image_probe_find(&gpt, "LABEL=nope", "d"), -ENOENT);
	assert_int_equal(image_probe_find(&gpt, "0", "d"), -EINVAL);
	assert_int_equal(image_probe_find(&gpt, "2x", "d"), -EINVAL);
	assert_int_equal(image_probe_find(&gpt, "NAME=root", "d"), -EINVAL);
	/* LABEL=root is a label, not a prefix: "LABEL=roo" matches nothing. */
	assert_int_equal(image_probe_find(&gpt, "LABEL=roo", "d"), -ENOENT);
	assert_int_equal(image_probe_find(&bare, "1", "d"), -EINVAL);
}

/* An fd holding @size zero bytes with an ext superblock whose s_state is @state. */
static int ext_image(size_t size, unsigned state)
{
	unsigned char sb[64] = {0};
	int fd = memfd_create("img", 0);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	sb[0x38] = 0x53;
	sb[0x39] = 0xEF;
	sb[0x3A] = state & 0xff;
	assert_int_equal(pwrite(fd, sb, sizeof(sb), 1024), (ssize_t)sizeof(sb));
	return fd;
}

static void test_ext_error_flag_is_read_from_the_superblock(void **state)
{
	struct image_part ext = {.number = 0, .type = "ext4", .size = 1 << 20};
	struct image_part xfs = {.number = 0, .type = "xfs", .size = 1 << 20};
	int clean = ext_image(1 << 20, 1), dirty = ext_image(1 << 20, 3);

	(void)state;
	assert_int_equal(image_part_has_errors(clean, &ext), 0);
	assert_int_equal(image_part_has_errors(dirty, &ext), 1);
	assert_int_equal(image_part_has_errors(dirty, &xfs), 0);
	close(clean);
	close(dirty);
}

static void test_zeros_are_not_an_image(void **state)
{
	struct image_probe p;
	int fd = memfd_create("zeros", 0);

	(void)state;
	log_set_max_level(LOG_EMERG);
	assert_int_equal(ftruncate(fd, 4 << 20), 0);
	assert_int_equal(image_probe(fd, "zeros", &p), -ENODATA);
	assert_null(p.parts);
	close(fd);
}

static void test_swap_signature_is_refused_with_the_reason(void **state)
{
	struct image_probe p;
	int fd = memfd_create("swap", 0);
	/* mkswap's header: version 1 and the last page after the boot block, the signature at
	 * the end of the first page. */
	const uint32_t header[2] = {1, 1023};
	long page = sysconf(_SC_PAGESIZE);

	(void)state;
	assert_int_equal(ftruncate(fd, 4 << 20), 0);
	assert_int_equal(pwrite(fd, header, sizeof(header), 1024), (ssize_t)sizeof(header));
	assert_int_equal(pwrite(fd, "SWAPSPACE2", 10, page - 10), 10);
	assert_int_equal(image_probe(fd, "swap", &p), 0);
	assert_string_equal(p.pttype, "");
	assert_int_equal(p.nparts, 1);
	assert_string_equal(p.parts[0].type, "swap");
	assert_string_equal(p.parts[0].refusal, "swap space, not a filesystem");
	image_probe_free(&p);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_partition_specs_find_each_key),
	    cmocka_unit_test(test_partition_specs_missing_or_malformed),
	    cmocka_unit_test(test_ext_error_flag_is_read_from_the_superblock),
	    cmocka_unit_test(test_zeros_are_not_an_image),
	    cmocka_unit_test(test_swap_signature_is_refused_with_the_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
