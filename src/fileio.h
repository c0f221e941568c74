/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Files at the edges: every path is relative to a directory fd (the --root), so the same
 * code runs on / and on a test tree. Writers never leave a half-written file under the
 * final name: they write ".NAME.XXXXXX" in the same directory, fsync it and rename it.
 */

/* Read all of open file @fd into a malloc'd buffer with a NUL after the data, starting with room
 * for @hint bytes (e.g. st_size). More than @cap bytes give -EFBIG. */
int fileio_read_fd(int fd, size_t cap, size_t hint, char **ret_buf, size_t *ret_len);

/* Read @path below @dirfd into a malloc'd buffer with a NUL after the data. Files longer than
 * @cap give -EFBIG; a symlink as last component is followed only if @follow. */
int fileio_read(int dirfd, const char *path, size_t cap, bool follow, char **ret_buf,
		size_t *ret_len);

/* Open directory @path below @dirfd without following symlinks in any component; with
 * @create, missing components are made with mode 0755. -ENOTDIR when one is a file or symlink. */
int fileio_open_dir(int dirfd, const char *path, bool create, int *ret_fd);

/* Atomically replace (or create) @name in directory @dirfd with @data, file mode @mode. */
int fileio_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode);

/* A directory stream over @dirfd's directory; @dirfd itself stays open and usable. */
int fileio_dir_stream(int dirfd, DIR **ret);

/* Remove ".NAME.XXXXXX" leftovers (six lowercase hex digits: our temp names, nothing else) of a
 * replace that was interrupted (crash, power loss).
 * Returns how many were removed. */
int fileio_clean_stale(int dirfd, const char *name);

/* Like fileio_replace, but the new file gets the owner, group, mode and every extended
 * attribute (SELinux label, POSIX ACLs, user.*) of the open file @likefd, and the temporary
 * name ".NAME.XXXXXX" never ends in ".xml". A failure leaves @name as it was. With @sync_dir
 * false the caller fsyncs @dirfd itself, once for a batch of files. */
int fileio_replace_like(int dirfd, const char *name, const void *data, size_t len, int likefd,
			bool sync_dir);

/* fileio_replace_like in two steps, so that a batch of files is written first and then
 * committed one by one: the fsync of each then finds its data already on the way to disk. */
struct fileio_temp {
	int fd;
	char name[300]; /* ".NAME.XXXXXX" */
};

/* Write @data to a new ".NAME.XXXXXX" in @dirfd with the metadata of @likefd and start its
 * writeback (not durable yet). On failure nothing is left behind. */
int fileio_temp_write_like(int dirfd, const char *name, const void *data, size_t len, int likefd,
			   struct fileio_temp *t);

/* fsync @t, close it and rename it over @name (the directory is not synced). On failure the
 * temporary file is removed and @name is left as it was. */
int fileio_temp_commit(int dirfd, const char *name, struct fileio_temp *t);

/* Remove @t unused (a batch given up). */
void fileio_temp_abort(int dirfd, struct fileio_temp *t);

/* Give @to exactly the owner, group, mode and extended attributes of @from: all of @from's
 * are copied, and those @to has that @from lacks (an inherited ACL) are removed. */
int fileio_copy_meta(int from, int to);

/* @rel below @root as people know it, for messages: "/etc/x" for root "/", "ROOT/etc/x"
 * otherwise (one slash between). -ENAMETOOLONG when it does not fit (then truncated). */
int fileio_join_path(char *buf, size_t size, const char *root, const char *rel);
