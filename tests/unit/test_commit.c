// SPDX-License-Identifier: LGPL-2.1-or-later
/* commit: the batch commit replaces exactly the version it read, or nothing. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "commit.h"
#include "confdir.h"
#include "rwrecord.h"
#include "testroot.h"

struct fixture {
	struct testroot t;
	int dirfd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	testroot_init(&f->t);
	f->dirfd = f->t.fd;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testroot_cleanup(&f->t);
	free(f);
	return 0;
}

static void put(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* libvirt's way of saving: NAME.new, then rename over NAME. */
static void libvirt_save(int dirfd, const char *name, const char *text)
{
	char tmp[300];

	snprintf(tmp, sizeof(tmp), "%s.new", name);
	put(dirfd, tmp, text);
	assert_int_equal(renameat(dirfd, tmp, dirfd, name), 0);
}

static const char *get(int dirfd, const char *name)
{
	static char buf[4096];
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static bool exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The names in @dirfd other than "." and "..". */
static size_t count_names(int dirfd)
{
	struct confdir_list l;
	size_t n;

	assert_int_equal(confdir_list(dirfd, &l), 0);
	n = l.n + l.nstale + l.nbackups;
	confdir_list_free(&l);
	return n;
}

static void commit_replaces_the_version_read_and_keeps_it_as_backup(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	struct commit_file c;

	put(f->dirfd, "web.xml", "old");
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	c = (struct commit_file){.name = "web.xml", .f = &cf, .data = "new", .len = 3};
	assert_int_equal(commit_batch(f->dirfd, &c, 1, true), 0);
	assert_false(c.failed);
	assert_true(c.renamed);
	assert_string_equal(c.backup, "web.xml.nestvirt-orig");
	assert_string_equal(get(f->dirfd, "web.xml"), "new");
	assert_string_equal(get(f->dirfd, "web.xml.nestvirt-orig"), "old");
	assert_int_equal(count_names(f->dirfd), 2);
	confdir_file_close(&cf);
}

static void a_file_libvirt_saved_after_the_read_keeps_libvirts_version(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	struct commit_file c;

	put(f->dirfd, "web.xml", "old");
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	libvirt_save(f->dirfd, "web.xml", "libvirt added a disk");
	c = (struct commit_file){.name = "web.xml", .f = &cf, .data = "new", .len = 3};
	assert_int_equal(commit_batch(f->dirfd, &c, 1, true), 0);
	assert_true(c.failed);
	assert_false(c.renamed);
	assert_non_null(strstr(c.reason, "changed underneath"));
	assert_string_equal(get(f->dirfd, "web.xml"), "libvirt added a disk");
	/* No backup of a version that is gone, no temporary file. */
	assert_false(exists(f->dirfd, "web.xml.nestvirt-orig"));
	assert_int_equal(count_names(f->dirfd), 1);
	confdir_file_close(&cf);
}

static void a_file_libvirt_saved_after_the_backup_keeps_libvirts_version(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	struct commit_file c;

	/* The version read is still linked elsewhere, so its backup can be made; then the name
	 * is replaced before the commit. */
	put(f->dirfd, "web.xml", "old");
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	assert_int_equal(linkat(f->dirfd, "web.xml", f->dirfd, "hold", 0), 0);
	libvirt_save(f->dirfd, "web.xml", "libvirt's");
	c = (struct commit_file){.name = "web.xml", .f = &cf, .data = "new", .len = 3};
	assert_int_equal(commit_batch(f->dirfd, &c, 1, true), 0);
	assert_true(c.failed);
	assert_string_equal(get(f->dirfd, "web.xml"), "libvirt's");
	assert_false(exists(f->dirfd, "web.xml.nestvirt-orig"));
	confdir_file_close(&cf);
}

static void a_file_edited_in_place_after_the_read_is_left_alone(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	struct commit_file c;
	int fd;

	put(f->dirfd, "web.xml", "old");
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	fd = openat(f->dirfd, "web.xml", O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, " edited", 7), 7);
	close(fd);
	c = (struct commit_file){.name = "web.xml", .f = &cf, .data = "new", .len = 3};
	assert_int_equal(commit_batch(f->dirfd, &c, 1, false), 0);
	assert_true(c.failed);
	assert_string_equal(get(f->dirfd, "web.xml"), "old edited");
	assert_int_equal(count_names(f->dirfd), 1);
	confdir_file_close(&cf);
}

static void a_file_removed_after_the_read_is_not_brought_back(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	struct commit_file c;

	put(f->dirfd, "web.xml", "old");
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	assert_int_equal(unlinkat(f->dirfd, "web.xml", 0), 0);
	c = (struct commit_file){.name = "web.xml", .f = &cf, .data = "new", .len = 3};
	assert_int_equal(commit_batch(f->dirfd, &c, 1, false), 0);
	assert_true(c.failed);
	assert_false(exists(f->dirfd, "web.xml"));
	assert_int_equal(count_names(f->dirfd), 0);
	confdir_file_close(&cf);
}

static void one_changed_file_does_not_stop_the_others(void **state)
{
	struct fixture *f = *state;
	struct confdir_file a, b;
	struct commit_file c[2];

	put(f->dirfd, "a.xml", "old a");
	put(f->dirfd, "b.xml", "old b");
	assert_int_equal(confdir_read(f->dirfd, "a.xml", 100, &a), 0);
	assert_int_equal(confdir_read(f->dirfd, "b.xml", 100, &b), 0);
	libvirt_save(f->dirfd, "a.xml", "libvirt's a");
	c[0] = (struct commit_file){.name = "a.xml", .f = &a, .data = "new a", .len = 5};
	c[1] = (struct commit_file){.name = "b.xml", .f = &b, .data = "new b", .len = 5};
	assert_int_equal(commit_batch(f->dirfd, c, 2, true), 0);
	assert_true(c[0].failed);
	assert_false(c[1].failed);
	assert_string_equal(get(f->dirfd, "a.xml"), "libvirt's a");
	assert_string_equal(get(f->dirfd, "b.xml"), "new b");
	assert_string_equal(get(f->dirfd, "b.xml.nestvirt-orig"), "old b");
	confdir_file_close(&a);
	confdir_file_close(&b);
}

static void what_commit_wrote_is_recorded_until_someone_else_writes(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf, now;
	struct commit_file c;
	int fd;

	put(f->dirfd, "web.xml", "old");
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	assert_int_equal(rwrecord_matches(&cf), 0);
	c = (struct commit_file){.name = "web.xml", .f = &cf, .data = "new", .len = 3};
	assert_int_equal(commit_batch(f->dirfd, &c, 1, true), 0);
	confdir_file_close(&cf);
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &now), 0);
	assert_int_equal(rwrecord_matches(&now), 1);
	confdir_file_close(&now);
	/* An in-place edit keeps the xattr, not the bytes it records. */
	fd = openat(f->dirfd, "web.xml", O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "!", 1), 1);
	close(fd);
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &now), 0);
	assert_int_equal(rwrecord_matches(&now), 0);
	confdir_file_close(&now);
	/* libvirt's save is a new inode without the record. */
	libvirt_save(f->dirfd, "web.xml", "new");
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &now), 0);
	assert_int_equal(rwrecord_matches(&now), 0);
	confdir_file_close(&now);
}

static void an_existing_backup_of_another_domain_fails_the_file(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	struct commit_file c;

	put(f->dirfd, "web.xml", "<domain><uuid>2222</uuid></domain>");
	put(f->dirfd, "web.xml.nestvirt-orig", "<domain><uuid>1111</uuid></domain>");
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	c = (struct commit_file){.name = "web.xml", .f = &cf, .data = "new", .len = 3};
	assert_int_equal(commit_batch(f->dirfd, &c, 1, true), 0);
	assert_true(c.failed);
	assert_non_null(strstr(c.reason, "holds another domain"));
	assert_string_equal(get(f->dirfd, "web.xml"), "<domain><uuid>2222</uuid></domain>");
	assert_string_equal(get(f->dirfd, "web.xml.nestvirt-orig"),
			    "<domain><uuid>1111</uuid></domain>");
	confdir_file_close(&cf);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(commit_replaces_the_version_read_and_keeps_it_as_backup),
	    T(a_file_libvirt_saved_after_the_read_keeps_libvirts_version),
	    T(a_file_libvirt_saved_after_the_backup_keeps_libvirts_version),
	    T(a_file_edited_in_place_after_the_read_is_left_alone),
	    T(a_file_removed_after_the_read_is_not_brought_back),
	    T(one_changed_file_does_not_stop_the_others),
	    T(what_commit_wrote_is_recorded_until_someone_else_writes),
	    T(an_existing_backup_of_another_domain_fails_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
