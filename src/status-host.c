// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestvirt status, the host: the CPU's flags, /dev/kvm, and the safe small-file read. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"
#include "status.h"

/* Symlinks resolve inside the root (an absolute link in a mounted image points into the
 * image, not at the running host); O_NONBLOCK so a FIFO never blocks the open. */
int status_open(int rootfd, const char *path, int flags)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | flags,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS)
		fd = openat(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | flags);
	return fd < 0 ? -errno : fd;
}

int status_read_file(int rootfd, const char *path, size_t cap, char **buf, size_t *len)
{
	struct stat st;
	int fd, r;

	fd = status_open(rootfd, path, 0);
	if (fd < 0)
		return fd;
	r = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (r == 0 && (size_t)st.st_size > cap)
		r = -EFBIG;
	if (r == 0)
		r = fileio_read_fd(fd, cap, (size_t)st.st_size, buf, len);
	close(fd);
	return r;
}

const char *status_strerror(int err)
{
	switch (err) {
	case -EINVAL:
		return "not a regular file";
	case -EFBIG:
		return "too large";
	default:
		return strerror(-err);
	}
}

const char *status_class_name(enum status_class c)
{
	switch (c) {
	case STATUS_OK:
		return "ok";
	case STATUS_NOT_REQUESTED:
		return "not-requested";
	case STATUS_UNSUPPORTED:
		return "unsupported";
	case STATUS_BUILTIN:
		return "builtin";
	case STATUS_PENDING_REBOOT:
		return "pending-reboot";
	case STATUS_CONFLICT:
		return "conflict";
	case STATUS_GUESTS:
		return "guests";
	case STATUS_FIRSTBOOT_FAILED:
		return "firstboot-failed";
	case STATUS_HELPER:
		return "boot-helper";
	case STATUS_UNKNOWN:
		break;
	}
	return "unknown";
}

/* The name of group @gid in the root's etc/group, "" when it cannot be told. */
static void group_name(int rootfd, gid_t gid, char *name, size_t size)
{
	char *buf, *p, *line;
	size_t len;

	name[0] = '\0';
	if (status_read_file(rootfd, "etc/group", 4 * 1024 * 1024, &buf, &len) < 0)
		return;
	for (p = buf; (line = strsep(&p, "\n"));) {
		char *save = line, *grp = strsep(&save, ":"), *id;

		if (!save || !strsep(&save, ":") || !(id = strsep(&save, ":")))
			continue;
		if (*id && strtoul(id, NULL, 10) == gid && strspn(id, "0123456789") == strlen(id)) {
			snprintf(name, size, "%s", grp);
			break;
		}
	}
	free(buf);
}

static void read_dev_kvm(int rootfd, struct status_host *h)
{
	struct stat st;

	h->kvm_group_rw = -1;
	if (fstatat(rootfd, "dev/kvm", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		h->dev_kvm = errno == ENOENT ? 0 : -1;
		if (errno != ENOENT)
			snprintf(h->dev_kvm_err, sizeof(h->dev_kvm_err), "/dev/kvm: %s",
				 strerror(errno));
		return;
	}
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 10 || minor(st.st_rdev) != 232) {
		h->dev_kvm = -1;
		snprintf(h->dev_kvm_err, sizeof(h->dev_kvm_err),
			 "/dev/kvm is not the KVM character device (10:232)");
		return;
	}
	h->dev_kvm = 1;
	h->dev_kvm_mode = st.st_mode & 07777;
	group_name(rootfd, st.st_gid, h->dev_kvm_group, sizeof(h->dev_kvm_group));
	if (h->dev_kvm_group[0])
		h->kvm_group_rw =
		    !strcmp(h->dev_kvm_group, "kvm") && (st.st_mode & 060) == 060 ? 1 : 0;
}

void status_read_host(int rootfd, struct status_report *r)
{
	struct status_host *h = &r->host;
	struct hostcpu cpu;

	h->cpuinfo_err = hostcpu_read(rootfd, &cpu);
	h->module = KVM_MODULE_NONE;
	h->virt_flag = h->slat = h->hypervisor = -1;
	if (h->cpuinfo_err == 0) {
		snprintf(h->vendor, sizeof(h->vendor), "%s", cpu.vendor);
		h->module = cpu.module;
		h->virt_flag = cpu.virt_flag;
		h->slat = cpu.slat;
		h->hypervisor = cpu.hypervisor;
	}
	read_dev_kvm(rootfd, h);
}
