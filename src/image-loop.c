// SPDX-License-Identifier: LGPL-2.1-or-later
#include "image-loop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

#define LOOP_CONTROL  "/dev/loop-control"
#define ATTACH_TRIES  16
#define MOUNTINFO_MAX (4u << 20)

static void fill_info(struct loop_info64 *info, const char *backing, uint64_t offset, uint64_t size,
		      bool ro)
{
	*info = (struct loop_info64){.lo_offset = offset, .lo_sizelimit = size};
	info->lo_flags = LO_FLAGS_AUTOCLEAR | (ro ? LO_FLAGS_READ_ONLY : 0);
	snprintf((char *)info->lo_file_name, sizeof(info->lo_file_name), "%s", backing);
}

/* Kernels before 5.8 have no LOOP_CONFIGURE: bind, then set autoclear and the window. A kill
 * between the two leaves the device bound (losetup -d clears it). */
static int attach_legacy(int loopfd, int fd, const struct loop_info64 *info)
{
	if (ioctl(loopfd, LOOP_SET_FD, fd) < 0)
		return -errno;
	if (ioctl(loopfd, LOOP_SET_STATUS64, info) < 0) {
		int r = -errno;

		ioctl(loopfd, LOOP_CLR_FD, 0);
		return r;
	}
	return 0;
}

int imgloop_attach(int fd, const char *backing, uint64_t offset, uint64_t size, bool ro, char *dev,
		   size_t devsize, int *ret_fd)
{
	struct loop_config cfg = {.fd = (unsigned)fd};
	int ctl, r = -EBUSY;

	ctl = open(LOOP_CONTROL, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return log_error_errno(errno, "%s: %m (no loop device support here?)",
				       LOOP_CONTROL);
	fill_info(&cfg.info, backing, offset, size, ro);
	/* Another process may take the free device between GET_FREE and our claim: retry. */
	for (int i = 0; i < ATTACH_TRIES && r == -EBUSY; i++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE), loopfd;

		if (n < 0) {
			r = -errno;
			break;
		}
		snprintf(dev, devsize, "/dev/loop%d", n);
		loopfd = open(dev, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (loopfd < 0) {
			r = -errno;
			break;
		}
		r = ioctl(loopfd, LOOP_CONFIGURE, &cfg) < 0 ? -errno : 0;
		if (r == -EINVAL || r == -ENOTTY)
			r = attach_legacy(loopfd, fd, &cfg.info);
		if (r == 0) {
			*ret_fd = loopfd;
			break;
		}
		close(loopfd);
	}
	close(ctl);
	if (r < 0)
		return log_error_errno(r, "%s: cannot attach a loop device: %m", backing);
	return 0;
}

int imgloop_find_backing(const struct stat *st, char *dev, size_t devsize)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char path[512], *buf;
		struct stat bst;
		size_t len;

		if (strncmp(e->d_name, "loop", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", e->d_name);
		if (fileio_read(AT_FDCWD, path, 8192, true, &buf, &len) < 0)
			continue;
		buf[strcspn(buf, "\n")] = '\0';
		if (stat(buf, &bst) == 0 && bst.st_dev == st->st_dev && bst.st_ino == st->st_ino &&
		    (bst.st_mode & S_IFMT) == (st->st_mode & S_IFMT)) {
			snprintf(dev, devsize, "/dev/%s", e->d_name);
			found = 1;
		}
		free(buf);
	}
	closedir(d);
	return found;
}

/* The device numbers of a whole disk's partitions, from sysfs; @devs gets room for @max. */
static size_t partitions_of(dev_t devno, dev_t *devs, size_t max)
{
	char path[128];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(devno), minor(devno));
	d = opendir(path);
	devs[n++] = devno;
	if (!d)
		return n;
	while (n < max && (e = readdir(d))) {
		char p[512], *buf;
		unsigned ma, mi;
		size_t len;

		snprintf(p, sizeof(p), "%s/%s/dev", path, e->d_name);
		if (e->d_name[0] == '.' || fileio_read(AT_FDCWD, p, 64, true, &buf, &len) < 0)
			continue;
		if (sscanf(buf, "%u:%u", &ma, &mi) == 2)
			devs[n++] = makedev(ma, mi);
		free(buf);
	}
	closedir(d);
	return n;
}

static bool has_holders(dev_t devno, char *what, size_t size)
{
	char path[128];
	struct dirent *e;
	bool held = false;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders", major(devno), minor(devno));
	d = opendir(path);
	while (d && !held && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(what, size, "in use by /dev/%s", e->d_name);
			held = true;
		}
	if (d)
		closedir(d);
	return held;
}

int imgloop_device_busy(dev_t devno, char *what, size_t size)
{
	dev_t devs[256];
	size_t n = partitions_of(devno, devs, 256), len;
	char *buf, *line, *save = NULL;
	int busy = 0;

	for (size_t i = 0; i < n; i++)
		if (has_holders(devs[i], what, size))
			return 1;
	if (fileio_read(AT_FDCWD, "/proc/self/mountinfo", MOUNTINFO_MAX, true, &buf, &len) < 0)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line && !busy; line = strtok_r(NULL, "\n", &save)) {
		unsigned ma, mi;
		char mnt[256];

		if (sscanf(line, "%*u %*u %u:%u %*s %255s", &ma, &mi, mnt) != 3)
			continue;
		for (size_t i = 0; i < n && !busy; i++)
			if (makedev(ma, mi) == devs[i]) {
				snprintf(what, size, "mounted on %s", mnt);
				busy = 1;
			}
	}
	free(buf);
	return busy;
}
