// SPDX-License-Identifier: LGPL-2.1-or-later
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
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

int daemon_hold_pidfile(int rootfd, const char *path, struct daemon_hold *h, pid_t *pid)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	bool created = false;
	int fd;

	if (h->n == DAEMON_MAX_HELD || strlen(path) >= sizeof(h->path[0]))
		return -ENOBUFS;
	fd = openat(rootfd, path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = openat(rootfd, path,
			    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
		created = fd >= 0;
	}
	if (fd < 0)
		return -errno;
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		int r = errno == EAGAIN || errno == EACCES ? 1 : -errno;

		if (r == 1 && fcntl(fd, F_GETLK, &fl) == 0)
			*pid = fl.l_pid;
		if (created)
			unlinkat(rootfd, path, 0);
		close(fd);
		return r;
	}
	h->fd[h->n] = fd;
	h->created[h->n] = created;
	snprintf(h->path[h->n], sizeof(h->path[0]), "%s", path);
	h->n++;
	return 0;
}

static int hold_one(int rootfd, const struct daemon_running *d, const char *path,
		    struct daemon_hold *h, struct daemon_running *who, char *whopath,
		    size_t whopathlen)
{
	pid_t pid = 0;
	int r = daemon_hold_pidfile(rootfd, path, h, &pid);

	/* No run directory below this root: no daemon of it can start either. */
	if (r == -ENOENT)
		return 0;
	if (r != 0) {
		*who = *d;
		who->pid = pid;
		snprintf(whopath, whopathlen, "%s", path);
	}
	return r;
}

int daemon_hold_all(int rootfd, uid_t session_uid, struct daemon_hold *h,
		    struct daemon_running *who, char *whopath, size_t whopathlen)
{
	char path[128];
	struct stat st;
	int r;

	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		r = hold_one(rootfd, &daemons[i], daemons[i].pidfile, h, who, whopath, whopathlen);
		if (r != 0)
			return r;
	}
	if (session_uid == (uid_t)-1 || session_uid == 0)
		return 0;
	/* A session daemon keeps its pid file in $XDG_RUNTIME_DIR/libvirt; no runtime dir, no
	 * session daemon running or starting. */
	snprintf(path, sizeof(path), "run/user/%u/libvirt", (unsigned)session_uid);
	if (fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		snprintf(path, sizeof(path), "run/user/%u/libvirt/%s.pid", (unsigned)session_uid,
			 daemons[i].name);
		r = hold_one(rootfd, &daemons[i], path, h, who, whopath, whopathlen);
		if (r != 0)
			return r;
	}
	return 0;
}

bool daemon_hold_valid(int rootfd, const struct daemon_hold *h)
{
	for (size_t i = 0; i < h->n; i++) {
		struct stat a, b;

		if (fstat(h->fd[i], &a) < 0 ||
		    fstatat(rootfd, h->path[i], &b, AT_SYMLINK_NOFOLLOW) < 0 ||
		    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
			return false;
	}
	return true;
}

void daemon_release(int rootfd, struct daemon_hold *h)
{
	for (size_t i = 0; i < h->n; i++) {
		/* Removed while still locked: a daemon that opened it meanwhile sees the name
		 * gone when it checks its lock, and retries with a new file. */
		if (h->created[i])
			unlinkat(rootfd, h->path[i], 0);
		close(h->fd[i]);
	}
	h->n = 0;
}
