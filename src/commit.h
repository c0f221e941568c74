/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "confdir.h"
#include "fileio.h"

/*
 * The crash-safe commit of a batch of edited domain files in one directory. For each file:
 * the backup is linked from the inode that was read, all backups are made durable (one fsync
 * of the directory), every new version is written to its temporary file, then each is
 * fsynced and put in place only if the name still holds the inode that was read, and one
 * more fsync of the directory makes the renames durable. A crash at any point leaves each
 * file old or new; a file another writer replaced meanwhile is left as that writer made it.
 */

struct commit_file {
	/* in */
	const char *name;	      /* "NAME.xml" in the directory */
	const struct confdir_file *f; /* what was read: its fd and stat */
	const void *data;	      /* the new version */
	size_t len;
	/* out */
	bool failed;
	char reason[512];	   /* why it failed, one line */
	char backup[NAME_MAX + 1]; /* the backup this batch made, or "" */
	bool renamed;		   /* the new version is in place */
	bool leftover;		   /* a version is left under the temporary name tmp.name */
	/* private */
	struct fileio_temp tmp;
};

/* Commit the @n files of @files in directory @dirfd, each file independently: a failure is
 * recorded in that file and the others go on. With @backup, the original of each file is
 * kept as NAME.xml.nestvirt-orig. Returns 0 (the results are in @files). */
int commit_batch(int dirfd, struct commit_file *files, size_t n, bool backup);
