/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What a disk image holds, from libblkid's safe probe (no cache read or written): the partition
 * table and, for each partition (or the whole image when it is a bare filesystem), the
 * filesystem type, label and UUIDs, and whether nestvirt may mount it read-write.
 */

struct image_part {
	int number;	       /* partition number; 0: the whole image (no partition table) */
	uint64_t offset, size; /* bytes */
	char type[32];	       /* libblkid's TYPE, "" when nothing was found */
	char label[256], uuid[64], partlabel[256], partuuid[64];
	const char *refusal; /* why it cannot be the root; NULL when it can */
	bool has_etc;	     /* set by the caller after looking inside */
};

struct image_probe {
	char pttype[16]; /* "gpt", "dos", … or "" for a bare filesystem */
	char ptuuid[64];
	uint64_t size;
	struct image_part *parts;
	size_t nparts;
};

/* Probe open image or device @fd (@name for messages). Errors are logged with the reason:
 * -ENODATA nothing recognised, -EUCLEAN an ambiguous probe or a damaged or truncated partition
 * table. */
int image_probe(int fd, const char *name, struct image_probe *p);
void image_probe_free(struct image_probe *p);

/* The index in @p->parts of the partition @spec names: a number, LABEL=, PARTLABEL=, UUID= or
 * PARTUUID=. -ENOENT when none matches, -EINVAL for a malformed spec (both logged). */
int image_probe_find(const struct image_probe *p, const char *spec, const char *name);

/* 1 when the ext2/3/4 filesystem of @part records errors (fsck needed), 0 when not or not ext. */
int image_part_has_errors(int fd, const struct image_part *part);

/* A block device named by path or by tag (UUID=, LABEL=, PARTUUID=, PARTLABEL=), resolved with
 * libblkid without writing its cache. -ENOENT (logged) when no device has the tag. */
int image_resolve_device(const char *spec, char *path, size_t size);
