/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "confdir.h"

/*
 * What nestvirt wrote, and whether a backup may be trusted. Each file `rewrite` writes carries
 * the SHA-256 of its bytes in the extended attribute RWRECORD_XATTR, set on the temporary file
 * before its fsync: it is part of the same inode, so the atomic replace keeps it, and any other
 * writer (libvirt's NAME.xml.new + rename, an editor, an in-place edit) leaves a file without
 * it or with bytes that no longer match it.
 */

#define RWRECORD_XATTR "user.nestvirt.written"

/* Record on the open file @fd that its content is @data (@len bytes). -EOPNOTSUPP when the
 * filesystem keeps no user xattrs (nothing is recorded: rollback will ask for an override). */
int rwrecord_set(int fd, const void *data, size_t len);

/* Is @f (bytes and fd as read) exactly what nestvirt wrote? 1 yes, 0 no (no record or other
 * bytes), negative errno when the record cannot be read. */
int rwrecord_matches(const struct confdir_file *f);

/* The <uuid> of domain document @buf into @uuid (lowercase); -EINVAL if it has none. */
int rwrecord_domain_uuid(const char *buf, size_t len, char uuid[64]);

/* The root element's name of well-formed document @buf into @name; -EINVAL if it is not
 * well-formed. Tells a foreign document (<network>) from a broken domain file. */
int rwrecord_root_element(const char *buf, size_t len, char *name, size_t size);

/* What an existing "NAME.xml.nestvirt-orig" is, judged against the file read as @f. */
enum rwrecord_backup {
	RWRECORD_BACKUP_KEEP,	      /* the original of the file as nestvirt left it: keep it */
	RWRECORD_BACKUP_NOT_A_FILE,   /* a symlink, directory, FIFO, device… */
	RWRECORD_BACKUP_UNREADABLE,   /* cannot be read or parsed as a domain */
	RWRECORD_BACKUP_OTHER_DOMAIN, /* another <uuid>: a domain undefined and re-defined */
	RWRECORD_BACKUP_OLDER, /* same domain, but the file changed since nestvirt wrote it */
};

/* Judge backup @bak of directory @dirfd against @f, the current file as read. */
enum rwrecord_backup rwrecord_judge_backup(int dirfd, const char *bak,
					   const struct confdir_file *f);

/* The reason for a verdict other than KEEP, one line, naming @bak. */
const char *rwrecord_backup_reason(enum rwrecord_backup v, const char *bak, char *buf, size_t size);
