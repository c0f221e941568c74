// SPDX-License-Identifier: LGPL-2.1-or-later
/* daemon: a live libvirtd/virtqemud is seen by the fcntl lock on its pid file, nothing else. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "testroot.h"

struct fixture {
	struct testroot t;
	int rootfd;
	pid_t holder;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	testroot_init(&f->t); /* has run/ */
	f->rootfd = f->t.fd;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->holder > 0) {
		kill(f->holder, SIGKILL);
		waitpid(f->holder, NULL, 0);
	}
	testroot_cleanup(&f->t);
	free(f);
	return 0;
}

static void put(int rootfd, const char *path)
{
	int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "4242\n", 5), 5);
	close(fd);
}

/* A child process that locks the first byte of @path, as libvirt's virPidFileAcquire does. */
static pid_t lock_in_child(int rootfd, const char *path)
{
	int pipefd[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1};
		int fd = openat(rootfd, path, O_RDWR | O_CREAT, 0644);

		if (fd < 0 || fcntl(fd, F_SETLK, &fl) < 0)
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	return pid;
}

static void no_pid_files_means_not_running(void **state)
{
	struct fixture *f = *state;
	struct daemon_running who;

	assert_int_equal(daemon_find_running(f->rootfd, &who), 0);
}

static void a_pid_file_nobody_locks_is_stale(void **state)
{
	struct fixture *f = *state;
	struct daemon_running who;

	put(f->rootfd, "run/libvirtd.pid");
	put(f->rootfd, "run/virtqemud.pid");
	assert_int_equal(daemon_find_running(f->rootfd, &who), 0);
}

static void a_locked_libvirtd_pid_file_is_a_running_libvirtd(void **state)
{
	struct fixture *f = *state;
	struct daemon_running who;

	f->holder = lock_in_child(f->rootfd, "run/libvirtd.pid");
	assert_int_equal(daemon_find_running(f->rootfd, &who), 1);
	assert_string_equal(who.name, "libvirtd");
	assert_string_equal(who.pidfile, "run/libvirtd.pid");
	assert_int_equal(who.pid, f->holder);
}

static void a_locked_virtqemud_pid_file_is_a_running_virtqemud(void **state)
{
	struct fixture *f = *state;
	struct daemon_running who;

	put(f->rootfd, "run/libvirtd.pid");
	f->holder = lock_in_child(f->rootfd, "run/virtqemud.pid");
	assert_int_equal(daemon_find_running(f->rootfd, &who), 1);
	assert_string_equal(who.name, "virtqemud");
	assert_int_equal(who.pid, f->holder);
}

static void the_lock_ends_with_the_daemon(void **state)
{
	struct fixture *f = *state;
	struct daemon_running who;

	f->holder = lock_in_child(f->rootfd, "run/libvirtd.pid");
	kill(f->holder, SIGKILL);
	waitpid(f->holder, NULL, 0);
	f->holder = 0;
	assert_int_equal(daemon_find_running(f->rootfd, &who), 0);
}

static void a_fifo_as_pid_file_does_not_hang(void **state)
{
	struct fixture *f = *state;
	pid_t pid;

	assert_int_equal(mkfifoat(f->rootfd, "run/libvirtd.pid", 0644), 0);
	assert_int_equal(daemon_pidfile_locked(f->rootfd, "run/libvirtd.pid", &pid), 0);
}

static void running_and_saved_domains_are_seen_by_their_files(void **state)
{
	struct fixture *f = *state;

	assert_false(daemon_domain_running(f->rootfd, "web"));
	assert_false(daemon_domain_saved(f->rootfd, "web"));
	assert_int_equal(mkdirat(f->rootfd, "run/libvirt", 0755), 0);
	assert_int_equal(mkdirat(f->rootfd, "run/libvirt/qemu", 0755), 0);
	put(f->rootfd, "run/libvirt/qemu/web.xml");
	assert_true(daemon_domain_running(f->rootfd, "web"));
	assert_false(daemon_domain_running(f->rootfd, "db"));
	assert_int_equal(mkdirat(f->rootfd, "var", 0755), 0);
	assert_int_equal(mkdirat(f->rootfd, "var/lib", 0755), 0);
	assert_int_equal(mkdirat(f->rootfd, "var/lib/libvirt", 0755), 0);
	assert_int_equal(mkdirat(f->rootfd, "var/lib/libvirt/qemu", 0755), 0);
	assert_int_equal(mkdirat(f->rootfd, "var/lib/libvirt/qemu/save", 0755), 0);
	put(f->rootfd, "var/lib/libvirt/qemu/save/web.save");
	assert_true(daemon_domain_saved(f->rootfd, "web"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(no_pid_files_means_not_running),
	    T(a_pid_file_nobody_locks_is_stale),
	    T(a_locked_libvirtd_pid_file_is_a_running_libvirtd),
	    T(a_locked_virtqemud_pid_file_is_a_running_virtqemud),
	    T(the_lock_ends_with_the_daemon),
	    T(a_fifo_as_pid_file_does_not_hang),
	    T(running_and_saved_domains_are_seen_by_their_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
