// SPDX-License-Identifier: LGPL-2.1-or-later
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct daemon_running daemons[] = {
    {.name = "libvirtd", .pidfile = "run/libvirtd.pid"},
    {.name = "virtqemud", .pidfile = "run/virtqemud.pid"},
};

int daemon_pidfile_locked(int rootfd, const char *path, pid_t *pid)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd, r;

	/* O_NONBLOCK: whatever sits there (a FIFO planted in /run) must not hang us. */
	fd = openat(rootfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* l_start = l_len = 0 asks about the whole file: libvirt locks its first byte only. */
	r = fcntl(fd, F_GETLK, &fl) < 0 ? -errno : fl.l_type != F_UNLCK;
	if (r == 1)
		*pid = fl.l_pid;
	close(fd);
	return r;
}

int daemon_find_running(int rootfd, struct daemon_running *who)
{
	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		pid_t pid = 0;
		int r = daemon_pidfile_locked(rootfd, daemons[i].pidfile, &pid);

		if (r != 0) {
			*who = daemons[i];
			who->pid = pid;
			return r;
		}
	}
	return 0;
}

static bool exists(int rootfd, const char *fmt, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), fmt, name) >= (int)sizeof(path))
		return false;
	return fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

bool daemon_domain_running(int rootfd, const char *name)
{
	return exists(rootfd, "run/libvirt/qemu/%s.xml", name);
}

bool daemon_domain_saved(int rootfd, const char *name)
{
	return exists(rootfd, "var/lib/libvirt/qemu/save/%s.save", name);
}
