// SPDX-License-Identifier: LGPL-2.1-or-later
/* confdir: which files are domains, which are selected, safe reads, backup, replace, restore. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "confdir.h"
#include "fileio.h"
#include "testroot.h"

struct fixture {
	struct testroot t;
	int dirfd; /* the directory under test: the root of the temporary tree */
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

static void put(int dirfd, const char *name, const char *text, mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The content of @name, NUL-terminated, in a static buffer. */
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

/* --- selection ------------------------------------------------------------------------------ */

static void selected_without_globs_is_everything(void **state)
{
	(void)state;
	assert_true(confdir_selected("web", NULL, 0, NULL, 0));
}

static void selected_by_any_include_glob(void **state)
{
	char *inc[] = {"db*", "w?b"};

	(void)state;
	assert_true(confdir_selected("web", inc, 2, NULL, 0));
	assert_true(confdir_selected("db-01", inc, 2, NULL, 0));
	assert_false(confdir_selected("webs", inc, 2, NULL, 0));
	assert_false(confdir_selected("mail", inc, 2, NULL, 0));
}

static void exclude_wins_over_include(void **state)
{
	char *inc[] = {"*"}, *exc[] = {"*-test", "[0-9]*"};

	(void)state;
	assert_false(confdir_selected("web-test", inc, 1, exc, 2));
	assert_false(confdir_selected("9lives", inc, 1, exc, 2));
	assert_true(confdir_selected("web", inc, 1, exc, 2));
	assert_false(confdir_selected("web-test", NULL, 0, exc, 2));
}

static void globs_match_the_whole_name(void **state)
{
	char *inc[] = {"web"};

	(void)state;
	assert_false(confdir_selected("web1", inc, 1, NULL, 0));
	assert_false(confdir_selected("aweb", inc, 1, NULL, 0));
}

/* --- names ------------------------------------------------------------------------------------ */

static void domain_name_is_file_name_without_xml(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(confdir_domain_name("web.xml", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "web");
	assert_int_equal(confdir_domain_name("a.b.xml", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a.b");
	assert_int_equal(confdir_domain_name(".xml", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(confdir_domain_name("web.xml.nestvirt-orig", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(confdir_domain_name("a-very-long-name.xml", buf, sizeof(buf)),
			 -ENAMETOOLONG);
}

static void stale_temp_names_are_recognized_exactly(void **state)
{
	(void)state;
	assert_true(confdir_is_stale_temp(".web.xml.0a1b2c"));
	assert_true(confdir_is_stale_temp(".a.xml.ffffff"));
	assert_false(confdir_is_stale_temp("web.xml.0a1b2c"));	 /* no leading dot */
	assert_false(confdir_is_stale_temp(".web.xml.0A1B2C"));	 /* not our hex */
	assert_false(confdir_is_stale_temp(".web.xml.0a1b2"));	 /* five digits */
	assert_false(confdir_is_stale_temp(".web.xml.notes"));	 /* someone else's */
	assert_false(confdir_is_stale_temp(".web.conf.0a1b2c")); /* not for a .xml */
	assert_false(confdir_is_stale_temp(".xml.0a1b2c"));	 /* no name */
}

/* --- listing ---------------------------------------------------------------------------------- */

static void list_sorts_xml_names_and_never_enters_subdirs(void **state)
{
	struct fixture *f = *state;
	struct confdir_list l;

	put(f->dirfd, "web.xml", "", 0600);
	put(f->dirfd, "db.xml", "", 0600);
	put(f->dirfd, "notes.txt", "", 0600);
	put(f->dirfd, "web.xml.nestvirt-orig", "", 0600);
	put(f->dirfd, ".web.xml.0a1b2c", "", 0600);
	put(f->dirfd, "web.xml.new", "", 0600); /* libvirt's own temporary */
	assert_int_equal(mkdirat(f->dirfd, "autostart", 0755), 0);
	put(f->dirfd, "autostart/inner.xml", "", 0600);
	assert_int_equal(symlinkat("web.xml", f->dirfd, "link.xml"), 0);

	assert_int_equal(confdir_list(f->dirfd, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.names[0], "db.xml");
	assert_string_equal(l.names[1], "link.xml");
	assert_string_equal(l.names[2], "web.xml");
	assert_int_equal(l.nstale, 1);
	assert_string_equal(l.stale[0], ".web.xml.0a1b2c");
	assert_int_equal(l.nbackups, 1);
	assert_string_equal(l.backups[0], "web.xml.nestvirt-orig");
	confdir_list_free(&l);
}

static void list_of_an_empty_dir_is_empty(void **state)
{
	struct fixture *f = *state;
	struct confdir_list l;

	assert_int_equal(confdir_list(f->dirfd, &l), 0);
	assert_int_equal(l.n + l.nstale + l.nbackups, 0);
	confdir_list_free(&l);
}

/* --- safe reads ------------------------------------------------------------------------------- */

static void read_gives_bytes_fd_and_stat(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;

	put(f->dirfd, "web.xml", "<domain/>\n", 0640);
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	assert_int_equal(cf.len, 10);
	assert_string_equal(cf.buf, "<domain/>\n");
	assert_true(cf.fd >= 0);
	assert_int_equal(cf.st.st_mode & 07777, 0640);
	confdir_file_close(&cf);
}

static void read_refuses_a_symlink(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	char buf[64];

	put(f->dirfd, "web.xml", "<domain/>", 0600);
	assert_int_equal(symlinkat("web.xml", f->dirfd, "link.xml"), 0);
	assert_int_equal(confdir_read(f->dirfd, "link.xml", 100, &cf), -ELOOP);
	assert_string_equal(confdir_strerror(-ELOOP, &cf, buf, sizeof(buf)), "is a symbolic link");
}

static void read_refuses_a_fifo_without_blocking(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	char buf[64];
	int r;

	assert_int_equal(mkfifoat(f->dirfd, "fifo.xml", 0600), 0);
	r = confdir_read(f->dirfd, "fifo.xml", 100, &cf);
	assert_int_equal(r, -ENODEV);
	assert_string_equal(confdir_strerror(r, &cf, buf, sizeof(buf)), "is a FIFO");
}

static void read_refuses_a_directory(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;

	assert_int_equal(mkdirat(f->dirfd, "dir.xml", 0755), 0);
	assert_int_equal(confdir_read(f->dirfd, "dir.xml", 100, &cf), -EISDIR);
}

static void read_takes_exactly_the_cap_and_refuses_one_more(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	char buf[64];

	put(f->dirfd, "ten.xml", "0123456789", 0600);
	assert_int_equal(confdir_read(f->dirfd, "ten.xml", 10, &cf), 0);
	confdir_file_close(&cf);
	assert_int_equal(confdir_read(f->dirfd, "ten.xml", 9, &cf), -EFBIG);
	assert_string_equal(confdir_strerror(-EFBIG, &cf, buf, sizeof(buf)),
			    "is larger than the 1024 KiB cap for a domain file");
}

static void read_of_a_missing_file_names_the_errno(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	char buf[64];
	int r;

	r = confdir_read(f->dirfd, "gone.xml", 100, &cf);
	assert_int_equal(r, -ENOENT);
	assert_string_equal(confdir_strerror(r, &cf, buf, sizeof(buf)),
			    "cannot be read: No such file or directory");
}

/* --- backup, replace, restore ---------------------------------------------------------------- */

/* A backup of what a file holds, read through @cf (opened and closed here). */
static int backup(int dirfd, const char *name)
{
	struct confdir_file cf;
	int r;

	assert_int_equal(confdir_read(dirfd, name, 100, &cf), 0);
	r = confdir_backup(dirfd, name, &cf);
	confdir_file_close(&cf);
	return r;
}

static void backup_keeps_the_original_and_the_first_one_wins(void **state)
{
	struct fixture *f = *state;

	put(f->dirfd, "web.xml", "original", 0600);
	assert_int_equal(backup(f->dirfd, "web.xml"), 1);
	assert_string_equal(get(f->dirfd, "web.xml.nestvirt-orig"), "original");
	put(f->dirfd, "web.xml.new", "second", 0600);
	assert_int_equal(renameat(f->dirfd, "web.xml.new", f->dirfd, "web.xml"), 0);
	assert_int_equal(backup(f->dirfd, "web.xml"), 0);
	assert_string_equal(get(f->dirfd, "web.xml.nestvirt-orig"), "original");
}

static void backup_is_the_version_read_even_after_the_name_was_replaced(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;

	put(f->dirfd, "web.xml", "read", 0600);
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	put(f->dirfd, "web.xml.new", "libvirt's", 0600);
	assert_int_equal(renameat(f->dirfd, "web.xml.new", f->dirfd, "web.xml"), 0);
	/* Still linked nowhere but through the fd: the link fails, the version is gone. */
	assert_int_equal(confdir_backup(f->dirfd, "web.xml", &cf), -ESTALE);
	assert_false(exists(f->dirfd, "web.xml.nestvirt-orig"));
	confdir_file_close(&cf);

	put(f->dirfd, "web.xml", "read", 0600);
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	assert_int_equal(linkat(f->dirfd, "web.xml", f->dirfd, "keep", 0), 0);
	put(f->dirfd, "web.xml.new", "libvirt's", 0600);
	assert_int_equal(renameat(f->dirfd, "web.xml.new", f->dirfd, "web.xml"), 0);
	assert_int_equal(confdir_backup(f->dirfd, "web.xml", &cf), 1);
	assert_string_equal(get(f->dirfd, "web.xml.nestvirt-orig"), "read");
	confdir_file_close(&cf);
}

static void replace_writes_new_bytes_and_leaves_no_temporary(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	struct confdir_list l;

	put(f->dirfd, "web.xml", "old", 0600);
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	assert_int_equal(confdir_replace(f->dirfd, "web.xml", "new!", 4, &cf), 0);
	confdir_file_close(&cf);
	assert_string_equal(get(f->dirfd, "web.xml"), "new!");
	assert_int_equal(confdir_list(f->dirfd, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.nstale, 0);
	confdir_list_free(&l);
}

static void replace_keeps_mode_owner_and_xattrs(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	char val[64];
	struct stat st;
	ssize_t n;
	int fd;

	put(f->dirfd, "web.xml", "old", 0640);
	fd = openat(f->dirfd, "web.xml", O_RDONLY | O_CLOEXEC);
	if (fsetxattr(fd, "user.origin", "test", 4, 0) < 0) {
		close(fd);
		skip();
	}
	if (geteuid() == 0)
		assert_int_equal(fchown(fd, 65534, 65534), 0);
	close(fd);
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	assert_int_equal(confdir_replace(f->dirfd, "web.xml", "new", 3, &cf), 0);
	confdir_file_close(&cf);

	assert_int_equal(fstatat(f->dirfd, "web.xml", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	if (geteuid() == 0) {
		assert_int_equal(st.st_uid, 65534);
		assert_int_equal(st.st_gid, 65534);
	}
	fd = openat(f->dirfd, "web.xml", O_RDONLY | O_CLOEXEC);
	n = fgetxattr(fd, "user.origin", val, sizeof(val));
	close(fd);
	assert_int_equal(n, 4);
	assert_memory_equal(val, "test", 4);
}

static void copy_meta_copies_acl_and_selinux_label(void **state)
{
	/* A minimal POSIX ACL (version 2): user::rw- user:1000:r-- group::--- mask::r-- other::---,
	 * each entry tag (u16), perm (u16), id (u32), little-endian. */
	static const unsigned char acl[] = {
	    2,	  0, 0, 0,			   /* version */
	    1,	  0, 6, 0, 0xff, 0xff, 0xff, 0xff, /* USER_OBJ rw */
	    2,	  0, 4, 0, 0xe8, 3,    0,    0,	   /* USER 1000 r */
	    4,	  0, 0, 0, 0xff, 0xff, 0xff, 0xff, /* GROUP_OBJ */
	    0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff, /* MASK r */
	    0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, /* OTHER */
	};
	static const char label[] = "system_u:object_r:virt_etc_t:s0";
	struct fixture *f = *state;
	unsigned char got[128];
	int from, to;

	put(f->dirfd, "a.xml", "x", 0600);
	put(f->dirfd, "b.xml", "x", 0600);
	from = openat(f->dirfd, "a.xml", O_RDONLY | O_CLOEXEC);
	to = openat(f->dirfd, "b.xml", O_RDONLY | O_CLOEXEC);
	if (fsetxattr(from, "system.posix_acl_access", acl, sizeof(acl), 0) < 0 ||
	    fsetxattr(from, "security.selinux", label, sizeof(label), 0) < 0) {
		close(from);
		close(to);
		skip(); /* not root, or a filesystem without ACLs/security xattrs */
	}
	assert_int_equal(fileio_copy_meta(from, to), 0);
	assert_int_equal(fgetxattr(to, "system.posix_acl_access", got, sizeof(got)), sizeof(acl));
	assert_memory_equal(got, acl, sizeof(acl));
	assert_int_equal(fgetxattr(to, "security.selinux", got, sizeof(got)), sizeof(label));
	assert_memory_equal(got, label, sizeof(label));
	close(from);
	close(to);
}

static void a_staged_file_replaces_nothing_until_committed(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;
	struct confdir_list l;
	struct fileio_temp t;

	put(f->dirfd, "web.xml", "old", 0600);
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	assert_int_equal(confdir_stage(f->dirfd, "web.xml", "new", 3, &cf, &t), 0);
	assert_string_equal(get(f->dirfd, "web.xml"), "old");
	assert_true(confdir_is_stale_temp(t.name));
	assert_int_equal(confdir_commit(f->dirfd, "web.xml", &t), 0);
	assert_string_equal(get(f->dirfd, "web.xml"), "new");
	assert_int_equal(confdir_stage(f->dirfd, "web.xml", "newer", 5, &cf, &t), 0);
	confdir_abort(f->dirfd, &t);
	confdir_file_close(&cf);
	assert_string_equal(get(f->dirfd, "web.xml"), "new");
	assert_int_equal(confdir_list(f->dirfd, &l), 0);
	assert_int_equal(l.nstale, 0);
	confdir_list_free(&l);
}

static void restore_puts_the_original_back_and_drops_the_backup(void **state)
{
	struct fixture *f = *state;
	struct confdir_file cf;

	put(f->dirfd, "web.xml", "original", 0600);
	assert_int_equal(backup(f->dirfd, "web.xml"), 1);
	assert_int_equal(confdir_read(f->dirfd, "web.xml", 100, &cf), 0);
	assert_int_equal(confdir_replace(f->dirfd, "web.xml", "changed", 7, &cf), 0);
	confdir_file_close(&cf);
	assert_string_equal(get(f->dirfd, "web.xml"), "changed");
	assert_int_equal(confdir_restore(f->dirfd, "web.xml", NULL), 0);
	assert_string_equal(get(f->dirfd, "web.xml"), "original");
	assert_false(exists(f->dirfd, "web.xml.nestvirt-orig"));
}

static void restore_after_a_backup_without_replace_drops_the_extra_link(void **state)
{
	struct fixture *f = *state;

	/* A run stopped between the backup (a hard link) and the replace: rename(2) of two links
	 * to one file does nothing, so the backup name must still go. */
	put(f->dirfd, "web.xml", "original", 0600);
	assert_int_equal(backup(f->dirfd, "web.xml"), 1);
	assert_int_equal(confdir_restore(f->dirfd, "web.xml", NULL), 0);
	assert_string_equal(get(f->dirfd, "web.xml"), "original");
	assert_false(exists(f->dirfd, "web.xml.nestvirt-orig"));
}

static void restore_does_not_resurrect_an_undefined_domain(void **state)
{
	struct fixture *f = *state;

	put(f->dirfd, "web.xml.nestvirt-orig", "original", 0600);
	assert_int_equal(confdir_restore(f->dirfd, "web.xml", NULL), -ESTALE);
	assert_false(exists(f->dirfd, "web.xml"));
	assert_true(exists(f->dirfd, "web.xml.nestvirt-orig"));
}

static void restore_without_backup_is_enoent(void **state)
{
	struct fixture *f = *state;

	put(f->dirfd, "web.xml", "x", 0600);
	assert_int_equal(confdir_restore(f->dirfd, "web.xml", NULL), -ENOENT);
}

static void restore_refuses_a_symlink_backup(void **state)
{
	struct fixture *f = *state;

	put(f->dirfd, "web.xml", "x", 0600);
	put(f->dirfd, "elsewhere", "y", 0600);
	assert_int_equal(symlinkat("elsewhere", f->dirfd, "web.xml.nestvirt-orig"), 0);
	assert_int_equal(confdir_restore(f->dirfd, "web.xml", NULL), -ENODEV);
	assert_string_equal(get(f->dirfd, "web.xml"), "x");
}

/* --- the run lock ---------------------------------------------------------------------------- */

static void lock_is_exclusive_between_processes(void **state)
{
	struct fixture *f = *state;
	int fd, status;
	pid_t pid;

	assert_int_equal(confdir_lock(f->dirfd, "run/nestvirt/rewrite.lock", &fd), 0);
	assert_true(exists(f->dirfd, "run/nestvirt/rewrite.lock"));
	/* fcntl locks are per process: the contender must be another one. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd2;

		_exit(confdir_lock(f->dirfd, "run/nestvirt/rewrite.lock", &fd2) == -EBUSY ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	pid = fork();
	if (pid == 0) {
		int fd2;

		_exit(confdir_lock(f->dirfd, "run/nestvirt/rewrite.lock", &fd2) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(selected_without_globs_is_everything),
	    T(selected_by_any_include_glob),
	    T(exclude_wins_over_include),
	    T(globs_match_the_whole_name),
	    T(domain_name_is_file_name_without_xml),
	    T(stale_temp_names_are_recognized_exactly),
	    T(list_sorts_xml_names_and_never_enters_subdirs),
	    T(list_of_an_empty_dir_is_empty),
	    T(read_gives_bytes_fd_and_stat),
	    T(read_refuses_a_symlink),
	    T(read_refuses_a_fifo_without_blocking),
	    T(read_refuses_a_directory),
	    T(read_takes_exactly_the_cap_and_refuses_one_more),
	    T(read_of_a_missing_file_names_the_errno),
	    T(backup_keeps_the_original_and_the_first_one_wins),
	    T(backup_is_the_version_read_even_after_the_name_was_replaced),
	    T(replace_writes_new_bytes_and_leaves_no_temporary),
	    T(replace_keeps_mode_owner_and_xattrs),
	    T(copy_meta_copies_acl_and_selinux_label),
	    T(a_staged_file_replaces_nothing_until_committed),
	    T(restore_puts_the_original_back_and_drops_the_backup),
	    T(restore_after_a_backup_without_replace_drops_the_extra_link),
	    T(restore_does_not_resurrect_an_undefined_domain),
	    T(restore_without_backup_is_enoent),
	    T(restore_refuses_a_symlink_backup),
	    T(lock_is_exclusive_between_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
