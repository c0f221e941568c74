// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt image: provision a host disk image offline. libblkid finds the root filesystem
 * (image-probe.c), an autoclear loop device carries it (image-loop.c), it is mounted in a
 * private mount namespace (image-mount.c), and then the same code as on a live host writes the
 * persistent setting (persistent.c) or rewrites the stored domains (rewrite_main, run in a
 * child chrooted into the image so that no path of the image can reach the build machine).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "commands.h"
#include "fileio.h"
#include "image-chroot.h"
#include "image-loop.h"
#include "image-mount.h"
#include "image-opts.h"
#include "image-probe.h"
#include "image-report.h"
#include "log.h"
#include "persistent.h"
#include "rwcli.h"

#define STAMP_PATH    "var/lib/nestvirt/firstboot.done"
#define NESTVIRT_PATH "usr/bin/nestvirt"

/* What one run holds, released by cleanup() on every path. */
struct run {
	struct image_opts o;
	struct imgreport rep;
	struct image_probe probe;
	char name[PATH_MAX];
	char disp[PATH_MAX + 2]; /* "NAME:" before paths inside the image */
	int fd;
	struct stat st;
	bool writes;
	char loopdev[64];
	int loopfd;
	char mnt[PATH_MAX];
	int rootfd;
};

/* The one piece of state a signal handler must reach. */
static volatile sig_atomic_t got_signal;
static volatile pid_t child_pid;

static void on_signal(int sig)
{
	got_signal = sig;
	if (child_pid > 0)
		kill(child_pid, sig);
}

static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int refuse_busy(struct run *run, const char *what)
{
	return imgreport_fail(&run->rep, EBUSY,
			      "%s: %s: refused (a filesystem must have one writer; unmount it or "
			      "detach the loop device first)",
			      run->name, what);
}

/* Open the image or device; refuse one that another writer may be using. */
static int open_target(struct run *run)
{
	char dev[64], what[PATH_MAX + 32];
	int flags = (run->writes ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY;
	int r;

	if (run->o.device) {
		r = image_resolve_device(run->o.device, run->name, sizeof(run->name));
		if (r < 0)
			return imgreport_fail(&run->rep, r, "--device %s: not found",
					      run->o.device);
		flags |= run->writes ? O_EXCL : 0; /* EBUSY while mounted or claimed */
	} else {
		snprintf(run->name, sizeof(run->name), "%s", run->o.image);
	}
	snprintf(run->disp, sizeof(run->disp), "%s:", run->name);
	run->fd = open(run->name, flags);
	if (run->fd < 0 && errno == EBUSY)
		return refuse_busy(run, "the device is mounted or in use");
	if (run->fd < 0)
		return imgreport_fail(&run->rep, errno, "%s: cannot open: %m", run->name);
	if (fstat(run->fd, &run->st) < 0)
		return imgreport_fail(&run->rep, errno, "%s: %m", run->name);
	if (!S_ISREG(run->st.st_mode) && !S_ISBLK(run->st.st_mode))
		return imgreport_fail(&run->rep, EINVAL,
				      "%s: neither a regular file nor a block device", run->name);
	if (S_ISREG(run->st.st_mode) && flock(run->fd, LOCK_EX | LOCK_NB) < 0)
		return refuse_busy(run, "another nestvirt image is working on it");
	if (imgloop_find_backing(&run->st, dev, sizeof(dev)) > 0) {
		snprintf(what, sizeof(what),
			 "already attached to %s (mounted or in use elsewhere?)", dev);
		return refuse_busy(run, what);
	}
	if (S_ISBLK(run->st.st_mode) && imgloop_device_busy(run->st.st_rdev, what, sizeof(what)))
		return refuse_busy(run, what);
	return 0;
}

static int interrupted(struct run *run)
{
	if (!got_signal)
		return 0;
	return imgreport_fail(&run->rep, EINTR, "interrupted by signal %d: nothing more is done",
			      (int)got_signal);
}

static void unmount(struct run *run, bool sync, int *status)
{
	int r = 0;

	if (run->rootfd >= 0)
		r = imgmount_umount(run->mnt, run->rootfd, sync);
	if (r < 0 && *status == 0)
		*status = 1;
	run->rootfd = -1;
	if (run->loopfd >= 0)
		close(run->loopfd); /* the last user: autoclear detaches the device */
	run->loopfd = -1;
}

static int mount_part(struct run *run, const struct image_part *part, bool ro)
{
	int r;

	r = imgloop_attach(run->fd, run->name, part->offset, part->number ? part->size : 0, ro,
			   run->loopdev, sizeof(run->loopdev), &run->loopfd);
	if (r < 0)
		return imgreport_fail(&run->rep, r, "%s: cannot attach a loop device", run->name);
	r = imgmount_mount(run->loopdev, part->type, ro, run->mnt, sizeof(run->mnt), &run->rootfd);
	if (r < 0) {
		close(run->loopfd);
		run->loopfd = -1;
		return imgreport_fail(&run->rep, r, "%s: cannot mount partition %d", run->name,
				      part->number);
	}
	return 0;
}

/* Whether the root of the mounted filesystem has an etc directory. */
static bool has_etc(const struct run *run)
{
	int fd = imgmount_open(run->rootfd, "etc", O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Without --partition: each candidate is looked into read-only; the one with /etc wins. */
static int pick_root(struct run *run, int *ret_idx)
{
	int found = -1, n = 0, status = 0, r;
	char list[1024] = "";

	for (size_t i = 0; i < run->probe.nparts; i++) {
		struct image_part *part = &run->probe.parts[i];

		if (part->refusal)
			continue;
		r = mount_part(run, part, true);
		if (r < 0)
			return r;
		part->has_etc = has_etc(run);
		unmount(run, false, &status);
		if (!part->has_etc)
			continue;
		n++;
		found = (int)i;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d (%s%s%s)",
			 n > 1 ? ", " : "", part->number, part->type,
			 part->label[0] ? " LABEL=" : "", part->label);
	}
	if (n == 0)
		return imgreport_fail(&run->rep, ENOENT,
				      "%s: no partition holds a Linux root with /etc (ext4, xfs or "
				      "btrfs); the partitions are listed above",
				      run->name);
	if (n > 1)
		return imgreport_fail(&run->rep, EEXIST,
				      "%s: more than one Linux root with /etc: partitions %s; give "
				      "--partition",
				      run->name, list);
	*ret_idx = found;
	return 0;
}

static int choose(struct run *run, int *ret_idx)
{
	const struct image_part *part;
	int idx = 0, r;

	if (run->o.partition) {
		idx = image_probe_find(&run->probe, run->o.partition, run->name);
		if (idx < 0)
			return imgreport_fail(&run->rep, idx, "--partition %s: not found",
					      run->o.partition);
	} else if (run->probe.pttype[0]) {
		r = pick_root(run, &idx);
		if (r < 0)
			return r;
	}
	part = &run->probe.parts[idx];
	if (part->refusal)
		return imgreport_fail(&run->rep, EMEDIUMTYPE, "%s: %s%d: %s; refused", run->name,
				      part->number ? "partition " : "the whole image, ",
				      part->number, part->refusal);
	imgreport_chosen(&run->rep, idx,
			 run->o.partition	? "given by --partition"
			 : run->probe.pttype[0] ? "the only Linux root holding /etc"
						: "a bare filesystem image");
	*ret_idx = idx;
	return 0;
}

/* The value the image's persistent file holds now, for the report: "nestvirt=N" or "absent". */
static const char *old_setting(const struct run *run)
{
	enum nv_request req = NV_REQUEST_ABSENT;
	int fd = imgmount_open(run->rootfd, PERSISTENT_PATH, O_RDONLY | O_NONBLOCK);
	size_t len;
	char *buf;

	if (fd < 0)
		return "absent before";
	if (fileio_read_fd(fd, 4096, 512, &buf, &len) == 0) {
		req = cmdline_parse_persistent(buf, len, NULL, NULL);
		free(buf);
	}
	close(fd);
	return req == NV_REQUEST_ON    ? "was nestvirt=1"
	       : req == NV_REQUEST_OFF ? "was nestvirt=0"
				       : "was not understood";
}

static bool image_has(const struct run *run, const char *path)
{
	int fd = imgmount_open(run->rootfd, path, O_PATH);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The temporary file of a killed write: the image is locked (flock), so no other writer owns
 * it. */
static void remove_stale(struct run *run)
{
	int dirfd, n;

	if (fileio_open_dir(run->rootfd, PERSISTENT_DIR, false, &dirfd) < 0)
		return;
	n = fileio_clean_stale(dirfd, PERSISTENT_NAME);
	close(dirfd);
	if (n > 0)
		imgreport_change(&run->rep,
				 "%s/%s/.%s.XXXXXX: removed %d temporary file(s) of an interrupted "
				 "run",
				 run->disp, PERSISTENT_DIR, PERSISTENT_NAME, n);
}

static int write_setting(struct run *run)
{
	const char *by = run->o.value ? "nestvirt image --enable" : "nestvirt image --disable";
	const char *old = old_setting(run);
	char path[PATH_MAX * 2];
	int r;

	fileio_join_path(path, sizeof(path), run->disp, PERSISTENT_PATH);
	if (!run->o.dry_run)
		remove_stale(run);
	if (!run->o.dry_run) {
		r = persistent_write(run->rootfd, run->disp, run->o.value, by);
		if (r < 0)
			return imgreport_fail(&run->rep, r,
					      "%s: not written; the image is unchanged", path);
	}
	imgreport_change(&run->rep, "%s: nestvirt=%d at every boot (%s)", path, run->o.value, old);
	if (run->o.value != 1 || run->o.now_rewrite)
		return 0;
	if (image_has(run, STAMP_PATH))
		imgreport_warn(
		    &run->rep,
		    "%s/%s exists: the image's first boot was done before, so its stored "
		    "domains are not rewritten at boot; give --now-rewrite",
		    run->name, STAMP_PATH);
	if (!image_has(run, NESTVIRT_PATH))
		imgreport_warn(&run->rep,
			       "%s has no /%s: install nestvirt in the image, or nothing acts on "
			       "the setting at its boot",
			       run->name, NESTVIRT_PATH);
	return 0;
}

static int run_rewrite(struct run *run)
{
	char *argv[MAX_RW_ARGS + 8];
	int argc = 0, status;
	/* The lock lands on the child's tmpfs over /run; an image without /run keeps it. */
	bool lock_before = image_has(run, RWCLI_LOCK_PATH);

	argv[argc++] = "rewrite";
	argv[argc++] = "--root";
	argv[argc++] = "/";
	for (int i = 0; i < run->o.rw_argc; i++)
		argv[argc++] = run->o.rw_argv[i];
	if (run->o.value == 0 && !run->o.rw_mode) {
		argv[argc++] = "--mode";
		argv[argc++] = "disable";
	}
	if (run->o.dry_run)
		argv[argc++] = "--dry-run";
	if (run->o.json)
		argv[argc++] = "--json";
	argv[argc] = NULL;
	if (!run->o.json)
		printf("rewrite of %s/etc/libvirt/qemu:\n", run->disp);
	status = imgchroot_rewrite(run->mnt, run->name, argc, argv,
				   run->o.json ? &run->rep.rewrite : NULL, &child_pid);
	if (status < 0)
		return imgreport_fail(&run->rep, status, "%s: the rewrite did not finish",
				      run->name);
	run->rep.rewrite_status = status;
	if (!lock_before && image_has(run, RWCLI_LOCK_PATH))
		imgreport_change(&run->rep,
				 "%s/%s: created (the rewrite's lock: the image has no /run "
				 "directory to hold it)",
				 run->disp, RWCLI_LOCK_PATH);
	return run->rep.rewrite_status;
}

/* Inside the mounted image: the setting, then the rewrite. Returns the exit status. */
static int provision(struct run *run, const struct image_part *part)
{
	int r;

	if (!has_etc(run)) {
		imgreport_fail(&run->rep, ENOENT,
			       "%s: partition %d holds no /etc: not a Linux root; refused",
			       run->name, part->number);
		return 2;
	}
	if (run->o.value >= 0) {
		if (interrupted(run) < 0)
			return 1;
		if (write_setting(run) < 0)
			return 1;
	}
	if (run->o.now_rewrite) {
		if (interrupted(run) < 0)
			return 1;
		r = run_rewrite(run);
		return r < 0 ? 1 : r;
	}
	return 0;
}

/* Up to the mount: refusals (exit 2) before anything in the image is touched. */
static int prepare(struct run *run, int *ret_idx)
{
	const struct image_part *part;
	int r;

	if (open_target(run) < 0)
		return -1;
	r = image_probe(run->fd, run->name, &run->probe);
	if (r < 0)
		return imgreport_fail(&run->rep, r, "%s: cannot be provisioned", run->name);
	imgreport_probe(&run->rep, &run->probe);
	if (interrupted(run) < 0 || imgmount_private_ns() < 0)
		return -1;
	if (choose(run, ret_idx) < 0 || interrupted(run) < 0)
		return -1;
	part = &run->probe.parts[*ret_idx];
	if (image_part_has_errors(run->fd, part)) {
		if (run->writes)
			return imgreport_fail(&run->rep, EUCLEAN,
					      "%s: partition %d: the filesystem records errors: "
					      "run 'fsck.%s -f' on it first; nothing written",
					      run->name, part->number, part->type);
		imgreport_warn(&run->rep, "%s: partition %d: the filesystem records errors (fsck)",
			       run->name, part->number);
	}
	if (mount_part(run, part, !run->writes) < 0)
		return -1;
	imgreport_mounted(&run->rep, run->loopdev, !run->writes);
	return 0;
}

int image_main(int argc, char **argv)
{
	struct run run = {.fd = -1, .loopfd = -1, .rootfd = -1};
	int status, idx = -1;

	status = image_opts_parse(argc, argv, &run.o);
	if (status != 0)
		return status > 0 ? 0 : 2;
	run.writes = !run.o.dry_run && (run.o.value >= 0 || run.o.now_rewrite);
	imgreport_init(&run.rep, stdout, run.o.json, run.o.dry_run,
		       run.o.image ? run.o.image : run.o.device);
	catch_signals();
	status = prepare(&run, &idx) < 0 ? 2 : 0;
	if (status == 0)
		status = provision(&run, &run.probe.parts[idx]);
	unmount(&run, run.writes, &status);
	if (got_signal && status == 0)
		status = 1;
	status = imgreport_end(&run.rep, status);
	free(run.rep.rewrite);
	image_probe_free(&run.probe);
	if (run.fd >= 0)
		close(run.fd);
	return got_signal ? 128 + got_signal : status;
}
