// SPDX-License-Identifier: LGPL-2.1-or-later
#include "commit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "rwrecord.h"

#define CHANGED_UNDERNEATH                                                                         \
	"changed underneath (replaced or edited by another writer since it was read), left for "   \
	"the next run"

static void fail(struct commit_file *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct commit_file *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	c->failed = true;
}

/* A backup name already taken is trusted only if it holds the original of this file as
 * nestvirt left it; anything else would make a later rollback put the wrong file back. */
static void check_existing_backup(int dirfd, struct commit_file *c)
{
	char bak[NAME_MAX + 1], why[NAME_MAX + 128];
	enum rwrecord_backup v;

	snprintf(bak, sizeof(bak), "%s%s", c->name, CONFDIR_BACKUP_SUFFIX);
	v = rwrecord_judge_backup(dirfd, bak, c->f);
	if (v == RWRECORD_BACKUP_KEEP)
		return;
	fail(c, "%s; left unchanged ('nestvirt rollback --prune' drops the backup)",
	     rwrecord_backup_reason(v, bak, why, sizeof(why)));
}

/* Link the backups of the batch; returns how many it made. */
static size_t link_backups(int dirfd, struct commit_file *files, size_t n)
{
	size_t made = 0;

	for (size_t i = 0; i < n; i++) {
		struct commit_file *c = &files[i];
		int r;

		if (c->failed)
			continue;
		r = confdir_backup(dirfd, c->name, c->f);
		if (r == -ESTALE) {
			fail(c, "%s", CHANGED_UNDERNEATH);
		} else if (r < 0) {
			fail(c, "cannot keep the original as %s%s: %s, left unchanged", c->name,
			     CONFDIR_BACKUP_SUFFIX, strerror(-r));
		} else if (r > 0) {
			snprintf(c->backup, sizeof(c->backup), "%s%s", c->name,
				 CONFDIR_BACKUP_SUFFIX);
			made++;
		} else {
			check_existing_backup(dirfd, c);
		}
	}
	return made;
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The same inode with the same size and modification time: the version that was read. */
static bool same_version(const struct stat *a, const struct stat *b)
{
	return same_inode(a, b) && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Does @name of @dirfd (not followed) hold the version @want? */
static bool holds(int dirfd, const char *name, const struct stat *want)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && same_version(&st, want);
}

/* The backup made by this batch links a version that is no longer current: drop it, or a
 * later run would take it for the original of what the other writer wrote. */
static void drop_backup(int dirfd, struct commit_file *c)
{
	if (!c->backup[0] || !holds(dirfd, c->backup, &c->f->st))
		return;
	if (unlinkat(dirfd, c->backup, 0) == 0)
		c->backup[0] = '\0';
}

/* Without RENAME_EXCHANGE (a filesystem that lacks it): check, then rename. */
static int rename_checked(int dirfd, struct commit_file *c)
{
	if (!holds(dirfd, c->name, &c->f->st))
		return -ESTALE;
	if (renameat(dirfd, c->tmp.name, dirfd, c->name) < 0)
		return -errno;
	return 0;
}

/* The name held another version when it was exchanged with ours: exchange them back, so that
 * the temporary name holds ours again, and remove it. */
static int swap_back(int dirfd, struct commit_file *c, const struct stat *ours)
{
	if (renameat2(dirfd, c->tmp.name, dirfd, c->name, RENAME_EXCHANGE) < 0) {
		fail(c,
		     "changed underneath while it was replaced, and the other writer's version "
		     "could not be put back from %s: %s",
		     c->tmp.name, strerror(errno));
		c->leftover = true;
		return -EIO;
	}
	if (!holds(dirfd, c->tmp.name, ours)) {
		/* A third version arrived between the two exchanges: it is the newest, keep it
		 * in place and the one it replaced aside for the admin. */
		(void)renameat2(dirfd, c->tmp.name, dirfd, c->name, RENAME_EXCHANGE);
		fail(c, "%s; an older version of it is kept as %s", CHANGED_UNDERNEATH,
		     c->tmp.name);
		c->leftover = true;
		return -EIO;
	}
	(void)unlinkat(dirfd, c->tmp.name, 0);
	return -ESTALE;
}

/*
 * Put the staged new version of @c in place only if the name still holds the version that
 * was read. RENAME_EXCHANGE swaps the two names atomically, so there is no window between a
 * check and the rename: what comes out under the temporary name is what was replaced, and if
 * it is not the version read, it is swapped back. Returns 0, -ESTALE (changed underneath,
 * nothing replaced) or another negative errno.
 */
static int swap_in(int dirfd, struct commit_file *c)
{
	struct stat now, ours;
	int r = 0;

	if (fstat(c->f->fd, &now) < 0 || fstat(c->tmp.fd, &ours) < 0)
		r = -errno;
	else if (!same_version(&now, &c->f->st))
		r = -ESTALE; /* edited in place */
	else if (fsync(c->tmp.fd) < 0)
		r = -errno;
	if (close(c->tmp.fd) < 0 && r == 0)
		r = -errno;
	c->tmp.fd = -1;
	if (r == 0 && renameat2(dirfd, c->tmp.name, dirfd, c->name, RENAME_EXCHANGE) < 0) {
		r = errno == ENOENT ? -ESTALE : -errno;
		if (r == -EINVAL || r == -ENOSYS)
			r = rename_checked(dirfd, c);
	} else if (r == 0) {
		if (!holds(dirfd, c->tmp.name, &c->f->st))
			return swap_back(dirfd, c, &ours);
		/* The old version, still linked as the backup when there is one. */
		if (unlinkat(dirfd, c->tmp.name, 0) < 0)
			c->leftover = true;
		return 0;
	}
	if (r < 0)
		(void)unlinkat(dirfd, c->tmp.name, 0);
	return r;
}

/* Write every new version of the batch first, then fsync and swap in each: by the time a
 * file's fsync runs, the writeback of the batch is already under way. */
static void replace_all(int dirfd, struct commit_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct commit_file *c = &files[i];
		int r;

		if (c->failed)
			continue;
		r = confdir_stage(dirfd, c->name, c->data, c->len, c->f, &c->tmp);
		if (r == 0) {
			/* What nestvirt wrote, for rollback: without user xattrs, nothing. */
			r = rwrecord_set(c->tmp.fd, c->data, c->len);
			if (r == -EOPNOTSUPP)
				r = 0;
			if (r < 0)
				confdir_abort(dirfd, &c->tmp);
		}
		if (r < 0)
			fail(c, "cannot write the new version: %s, left unchanged", strerror(-r));
	}
	for (size_t i = 0; i < n; i++) {
		struct commit_file *c = &files[i];
		int r;

		if (c->failed)
			continue;
		r = swap_in(dirfd, c);
		if (r == 0) {
			c->renamed = true;
			continue;
		}
		if (r == -ESTALE)
			fail(c, "%s", CHANGED_UNDERNEATH);
		else if (!c->failed)
			fail(c, "cannot write the new version: %s, left unchanged", strerror(-r));
		drop_backup(dirfd, c);
	}
}

/* The fsync of the directory failed: fail the files whose state it was to make durable, the
 * renamed ones (@renamed) or the ones with a backup new in this batch. */
static void fail_unsynced(struct commit_file *files, size_t n, bool renamed, int err)
{
	for (size_t i = 0; i < n; i++) {
		struct commit_file *c = &files[i];

		if (renamed && c->renamed)
			fail(c,
			     "new version written, but the directory could not be synced: %s "
			     "(a crash may bring back the original)",
			     strerror(-err));
		else if (!renamed && !c->failed && c->backup[0])
			fail(c, "cannot make the backup %s durable: %s, left unchanged", c->backup,
			     strerror(-err));
	}
}

int commit_batch(int dirfd, struct commit_file *files, size_t n, bool backup)
{
	bool any = false;
	int r;

	if (backup && link_backups(dirfd, files, n) > 0) {
		r = confdir_sync(dirfd);
		if (r < 0)
			fail_unsynced(files, n, false, r);
	}
	replace_all(dirfd, files, n);
	for (size_t i = 0; i < n; i++)
		any |= files[i].renamed;
	if (any) {
		r = confdir_sync(dirfd);
		if (r < 0)
			fail_unsynced(files, n, true, r);
	}
	return 0;
}
