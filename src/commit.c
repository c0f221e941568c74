// SPDX-License-Identifier: LGPL-2.1-or-later
#include "commit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void fail(struct commit_file *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct commit_file *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	c->failed = true;
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
		r = confdir_backup(dirfd, c->name);
		if (r < 0) {
			fail(c, "cannot keep the original as %s%s: %s, left unchanged", c->name,
			     CONFDIR_BACKUP_SUFFIX, strerror(-r));
		} else if (r > 0) {
			snprintf(c->backup, sizeof(c->backup), "%s%s", c->name,
				 CONFDIR_BACKUP_SUFFIX);
			made++;
		}
	}
	return made;
}

/* Write every new version of the batch first, then fsync and rename each: by the time a
 * file's fsync runs, the writeback of the batch is already under way. */
static void replace_all(int dirfd, struct commit_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct commit_file *c = &files[i];
		int r;

		if (c->failed)
			continue;
		r = confdir_stage(dirfd, c->name, c->data, c->len, c->f, &c->tmp);
		if (r < 0)
			fail(c, "cannot write the new version: %s, left unchanged", strerror(-r));
	}
	for (size_t i = 0; i < n; i++) {
		struct commit_file *c = &files[i];
		int r;

		if (c->failed)
			continue;
		r = confdir_commit(dirfd, c->name, &c->tmp);
		if (r < 0)
			fail(c, "cannot write the new version: %s, left unchanged", strerror(-r));
		else
			c->renamed = true;
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
