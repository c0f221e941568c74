/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * Loop devices for `nestvirt image`: a new one per mount, set to clear itself (autoclear) once
 * its last user — the mount, our fd — is gone, so a killed run leaves none behind.
 */

/* Attach open file or block device @fd to a free loop device over @size bytes from @offset
 * (@size 0: to the end), autoclear, read-only with @ro. @backing names the file for losetup.
 * Returns the loop device's fd and writes its path to @dev. */
int imgloop_attach(int fd, const char *backing, uint64_t offset, uint64_t size, bool ro, char *dev,
		   size_t devsize, int *ret_fd);

/* Is the file or block device @st the backing of a loop device? 1 with the loop device's name
 * in @dev, 0 when not. Only sysfs is read: no loop device is opened. */
int imgloop_find_backing(const struct stat *st, char *dev, size_t devsize);

/* Is block device @devno (or, for a whole disk, one of its partitions) mounted or held (device
 * mapper, md)? 1 with what in @what, 0 when not. */
int imgloop_device_busy(dev_t devno, char *what, size_t size);
