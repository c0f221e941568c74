// SPDX-License-Identifier: LGPL-2.1-or-later
#include "image-chroot.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "fileio.h"
#include "log.h"

#define OUTPUT_MAX (64u << 20)

static void child(const char *mnt, const char *name, pid_t parent, int outfd, int argc, char **argv)
{
	int status;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	/* Killed with the parent (SIGKILL included), even if it died before this line. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(2);
	/* By path, not by an fd of the parent's: that is the parent namespace's mount, on which
	 * this namespace cannot mount. The path is in the parent's private /tmp. */
	if (unshare(CLONE_NEWNS) < 0 || chdir(mnt) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		log_error_errno(errno, "%s: cannot enter the image: %m", name);
		_exit(2);
	}
	/* Fails only when the image has no /run: then the report names the lock it leaves. */
	mount("nestvirt-run", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m");
	if (outfd >= 0 && dup2(outfd, STDOUT_FILENO) < 0)
		_exit(2);
	status = rewrite_main(argc, argv);
	fflush(stdout);
	_exit(status);
}

int imgchroot_rewrite(const char *mnt, const char *name, int argc, char **argv, char **ret_output,
		      volatile pid_t *child_pid)
{
	int pipefd[2] = {-1, -1}, status;
	pid_t parent = getpid(), pid;
	size_t len;

	if (ret_output && pipe2(pipefd, O_CLOEXEC) < 0)
		return log_error_errno(errno, "cannot start the rewrite: %m");
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		status = log_error_errno(errno, "cannot start the rewrite: %m");
		goto out;
	}
	if (pid == 0)
		child(mnt, name, parent, pipefd[1], argc, argv);
	*child_pid = pid;
	if (ret_output) {
		close(pipefd[1]);
		pipefd[1] = -1;
		if (fileio_read_fd(pipefd[0], OUTPUT_MAX, 64 * 1024, ret_output, &len) < 0)
			*ret_output = NULL;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = log_error_errno(errno, "rewrite: wait: %m");
			goto out;
		}
	*child_pid = 0;
	if (WIFEXITED(status)) {
		status = WEXITSTATUS(status);
		goto out;
	}
	status = log_error_errno(EINTR, "the rewrite was killed by signal %d", WTERMSIG(status));
	if (ret_output) {
		free(*ret_output);
		*ret_output = NULL;
	}
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return status;
}
