// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Test VM only (LD_PRELOAD into nestvirt-firstboot.service by a drop-in): cuts the first boot off
 * right after the first domain file was replaced. With "nvtest.cutoff" on the kernel command
 * line, the first successful rename(2) whose new name ends in ".xml" syncs the disks and powers
 * the VM off from inside the renaming process (renameat2's RENAME_EXCHANGE too), before it can do
 * anything else: the power cut lands at exactly that point. The sync makes the cut state the one
 * the test means (the first file replaced on disk, the others not yet); without "nvtest.cutoff" it
 * changes nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

static int cutoff_armed(void)
{
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, "nvtest.cutoff") != NULL;
}

static int ends_xml(const char *path)
{
	size_t len = strlen(path);

	return len >= 4 && strcmp(path + len - 4, ".xml") == 0;
}

static void cutoff_after(int r, const char *newpath)
{
	char msg[512];
	int fd;

	if (r != 0 || !ends_xml(newpath) || !cutoff_armed())
		return;
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		snprintf(msg, sizeof(msg), "nvtest-cutoff: replaced %s, powering off now\n",
			 newpath);
		(void)!write(fd, msg, strlen(msg));
		close(fd);
	}
	sync();
	reboot(RB_POWER_OFF);
	/* Not allowed to power off (no CAP_SYS_BOOT): stop here all the same. */
	_exit(99);
}

int rename(const char *oldpath, const char *newpath)
{
	int (*real)(const char *, const char *) = dlsym(RTLD_NEXT, "rename");
	int r = real(oldpath, newpath);

	cutoff_after(r, newpath);
	return r;
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	int (*real)(int, const char *, int, const char *) = dlsym(RTLD_NEXT, "renameat");
	int r = real(olddirfd, oldpath, newdirfd, newpath);

	cutoff_after(r, newpath);
	return r;
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	      unsigned int flags)
{
	int (*real)(int, const char *, int, const char *, unsigned int) =
	    dlsym(RTLD_NEXT, "renameat2");
	int r = real(olddirfd, oldpath, newdirfd, newpath, flags);

	/* An exchange puts each name's file under the other: either may be the domain file. */
	cutoff_after(r, (flags & RENAME_EXCHANGE) && !ends_xml(newpath) ? oldpath : newpath);
	return r;
}
