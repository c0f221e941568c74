/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * The image's filesystem mounted where only this process sees it: a private mount namespace
 * whose /tmp is a private tmpfs holding the mount point, so that nothing — mount, directory —
 * outlives the process, even after SIGKILL. Paths inside are resolved as if the image's root
 * were "/" (openat2 RESOLVE_IN_ROOT): its symlinks cannot reach the build machine's files.
 */

/* Enter a private mount namespace (mounts propagate neither way) with a private /tmp. */
int imgmount_private_ns(void);

/* Mount filesystem @type of loop device @dev on a new directory below the private /tmp, with
 * nosuid, nodev, noexec and nosymfollow (where the kernel has it), read-only with @ro (journal
 * replay off then: nothing is written). @dir gets the mount point, @ret_rootfd its fd. */
int imgmount_mount(const char *dev, const char *type, bool ro, char *dir, size_t size,
		   int *ret_rootfd);

/* Sync the filesystem when @sync (its error is returned), close @rootfd, unmount @dir and
 * remove it. */
int imgmount_umount(const char *dir, int rootfd, bool sync);

/* Open @path below the image root @rootfd with @flags (O_CLOEXEC added), every component
 * resolved inside the image: an absolute symlink or ".." never leaves it. Returns an fd or
 * -errno. */
int imgmount_open(int rootfd, const char *path, int flags);
