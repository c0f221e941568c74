/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "fileio.h"

/*
 * libvirt's directory of persistent domain definitions (/etc/libvirt/qemu): which files are
 * domains, which ones a run selects, reading one safely, and replacing it crash-safely with
 * a backup. libvirt loads every "*.xml" there as a domain, so nothing written here other than
 * the domain files themselves ever has a name ending in ".xml".
 */

/* The per-file read cap: libvirt's domain files are a few KB; a larger one is not ours to edit. */
#define CONFDIR_MAX_FILE (1024 * 1024)

/* Appended to "NAME.xml" for the backup of the original, e.g. "web.xml.nestvirt-orig". */
#define CONFDIR_BACKUP_SUFFIX ".nestvirt-orig"

/* The "*.xml" names of a directory, sorted (strcmp) so that reports are stable. */
struct confdir_list {
	char **names;
	size_t n;
	char **stale; /* ".NAME.xml.XXXXXX" temporary files left by an interrupted run */
	size_t nstale;
	char **backups; /* "NAME.xml.nestvirt-orig" */
	size_t nbackups;
};

/* List directory @dirfd: every entry whose name ends in ".xml" (of any type: the caller
 * decides what to do with symlinks and FIFOs), plus stale temporaries and backups. Only the
 * names are read; subdirectories (autostart/, networks/) are never entered. */
int confdir_list(int dirfd, struct confdir_list *list);
void confdir_list_free(struct confdir_list *list);

/* True if @name looks like a temporary file of fileio_replace*() for a "*.xml" file:
 * "." + name ending in ".xml" + "." + six lowercase hex digits. */
bool confdir_is_stale_temp(const char *name);

/* The domain name a file stands for: "web.xml" -> "web" (written to @buf, @size bytes).
 * -EINVAL if @file does not end in ".xml" or has nothing before it. */
int confdir_domain_name(const char *file, char *buf, size_t size);

/* Is domain @name selected? With no @include globs every domain is; a match of any
 * @exclude glob deselects it (fnmatch(3) globs, matched against the domain name). */
bool confdir_selected(const char *name, char *const *include, size_t ninclude, char *const *exclude,
		      size_t nexclude);

/* One domain file read for editing: its bytes, its open fd (source of the metadata copied to
 * the replacement) and its stat. */
struct confdir_file {
	int fd;
	struct stat st;
	char *buf; /* NUL-terminated */
	size_t len;
};

/* Read regular file @name of @dirfd, at most @cap bytes, never following a symlink and never
 * blocking on a FIFO. Errors: -ELOOP a symlink, -EISDIR a directory, -ENODEV another
 * non-regular file (FIFO, socket, device; f->st tells which), -EFBIG larger than @cap, or
 * the errno of open/read (-EACCES …). On error @f holds nothing to free. */
int confdir_read(int dirfd, const char *name, size_t cap, struct confdir_file *f);
void confdir_file_close(struct confdir_file *f);

/* Why confdir_read() failed, for humans: "is a symbolic link", "is a FIFO", … */
const char *confdir_strerror(int err, const struct confdir_file *f, char *buf, size_t size);

/* Keep the version of @name that was read into @f as "@name.nestvirt-orig": a hard link of
 * the inode read (not of whatever @name holds now), so the same bytes, owner, mode, label and
 * xattrs, made atomically. Returns 1 if it made one, 0 if the backup name exists (the caller
 * judges it: confdir_check_backup), -ESTALE if the inode read has no name left (replaced
 * since). The caller makes it durable (confdir_sync) before it replaces @name. */
int confdir_backup(int dirfd, const char *name, const struct confdir_file *f);

/* Replace @name with @data crash-safely: a temporary ".NAME.XXXXXX" with the metadata of @f,
 * fsync, rename. Readers see either the old or the complete new file. Durable once the
 * caller has called confdir_sync (one fsync of the directory for a batch of files). */
int confdir_replace(int dirfd, const char *name, const void *data, size_t len,
		    const struct confdir_file *f);

/* confdir_replace in two steps for a batch: stage writes the temporary file (metadata
 * copied, writeback started), commit fsyncs it and renames it over @name, abort drops it. */
int confdir_stage(int dirfd, const char *name, const void *data, size_t len,
		  const struct confdir_file *f, struct fileio_temp *t);
int confdir_commit(int dirfd, const char *name, struct fileio_temp *t);
void confdir_abort(int dirfd, struct fileio_temp *t);

/* Make the renames and links done in @dirfd durable. */
int confdir_sync(int dirfd);

/* Put the backup of @name back under @name and drop the backup, atomically (one rename),
 * made durable before returning. -ENOENT if there is no backup; -ESTALE if @name itself no
 * longer exists (the domain was undefined: nothing is resurrected); -ENODEV if the backup is
 * not a regular file; -EAGAIN if @expect is given and @name no longer holds that version
 * (same inode, size and modification time) when it is about to be replaced. */
int confdir_restore(int dirfd, const char *name, const struct stat *expect);

/* Take the one-run-at-a-time lock @path below @rootfd (created with its directories).
 * -EBUSY when another process holds it; the lock lasts until *@ret_fd is closed. */
int confdir_lock(int rootfd, const char *path, int *ret_fd);
