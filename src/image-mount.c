// SPDX-License-Identifier: LGPL-2.1-or-later
#include "image-mount.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

#define PRIVATE_TMP "/tmp"

int imgmount_private_ns(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return log_error_errno(errno, "cannot make a private mount namespace: %m");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return log_error_errno(errno, "cannot make the mount namespace private: %m");
	if (mount("nestvirt-image", PRIVATE_TMP, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0700,size=64k") < 0)
		return log_error_errno(errno, "cannot mount a private tmpfs on %s: %m",
				       PRIVATE_TMP);
	return 0;
}

/* Replaying a journal writes: a read-only look must not, and the loop device is read-only. */
static const char *ro_options(const char *type)
{
	if (!strcmp(type, "ext4") || !strcmp(type, "xfs"))
		return "norecovery";
	if (!strcmp(type, "btrfs"))
		return "rescue=nologreplay";
	return NULL;
}

int imgmount_mount(const char *dev, const char *type, bool ro, char *dir, size_t size,
		   int *ret_rootfd)
{
	unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (ro ? MS_RDONLY : 0);
	const char *data = ro ? ro_options(type) : NULL;
	int r;

	snprintf(dir, size, PRIVATE_TMP "/root.XXXXXX");
	if (!mkdtemp(dir))
		return log_error_errno(errno, "%s: cannot make the mount point: %m", dir);
	r = mount(dev, dir, type, flags | MS_NOSYMFOLLOW, data);
	if (r < 0 && errno == EINVAL) /* kernels before 5.10 have no nosymfollow */
		r = mount(dev, dir, type, flags, data);
	if (r < 0) {
		r = log_error_errno(errno, "%s: cannot mount the %s filesystem%s: %m (see dmesg)",
				    dev, type, ro ? " read-only" : "");
		rmdir(dir);
		return r;
	}
	*ret_rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*ret_rootfd < 0) {
		r = log_error_errno(errno, "%s: cannot open the mounted root: %m", dir);
		umount2(dir, MNT_DETACH);
		rmdir(dir);
		return r;
	}
	return 0;
}

int imgmount_umount(const char *dir, int rootfd, bool sync)
{
	int r = 0;

	if (sync && syncfs(rootfd) < 0)
		r = log_error_errno(errno, "cannot sync the image's filesystem: %m");
	close(rootfd);
	if (umount2(dir, 0) < 0) {
		int err = errno;

		/* Still busy (a child left behind): detach it; it goes with the namespace. */
		umount2(dir, MNT_DETACH);
		if (r == 0 && err != EBUSY)
			r = log_error_errno(err, "%s: cannot unmount: %m", dir);
	}
	rmdir(dir);
	return r;
}

/* Before 5.6 (no openat2): the stricter walk that follows no symlink at all. */
static int open_nofollow(int rootfd, const char *path, int flags)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int dfd, fd, r;

	if (flags & O_DIRECTORY) {
		r = fileio_open_dir(rootfd, path, false, &fd);
		return r < 0 ? r : fd;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 0, path);
	r = fileio_open_dir(rootfd, dir, false, &dfd);
	if (r < 0)
		return r;
	fd = openat(dfd, slash ? slash + 1 : path, flags | O_NOFOLLOW | O_CLOEXEC);
	r = fd < 0 ? -errno : fd;
	close(dfd);
	return r;
}

int imgmount_open(int rootfd, const char *path, int flags)
{
	struct open_how how = {
	    .flags = (unsigned)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	if (fd >= 0)
		return fd;
	if (errno != ENOSYS)
		return -errno;
	return open_nofollow(rootfd, path, flags);
}
