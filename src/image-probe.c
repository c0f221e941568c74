// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libblkid as util-linux's blkid(8) uses it in low-level mode: one probe per region, the safe
 * probe (an ambiguous result is an error, not a guess), values copied out, probe freed.
 */
#include "image-probe.h"

#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

#define EXT_SUPER_OFFSET 1024
#define EXT_MAGIC	 0xEF53
#define EXT_ERROR_FS	 0x0002

static const char *const mountable[] = {"ext4", "xfs", "btrfs"};

static void copy_value(blkid_probe pr, const char *name, char *buf, size_t size)
{
	const char *v = NULL;

	buf[0] = '\0';
	if (blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && v)
		snprintf(buf, size, "%s", v);
}

static bool kernel_has_fs(const char *type)
{
	char *buf, *line, *save = NULL;
	size_t len;
	bool found = false;

	if (fileio_read(AT_FDCWD, "/proc/filesystems", 64 * 1024, true, &buf, &len) < 0)
		return true; /* no /proc: let mount(2) decide */
	for (line = strtok_r(buf, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save))
		found =
		    !strcmp(line + strcspn(line, "\t") + (line[strcspn(line, "\t")] ? 1 : 0), type);
	free(buf);
	return found;
}

/* Why @type cannot be mounted as a Linux root here, NULL when it can. */
static const char *refusal_of(const char *type)
{
	if (!type[0])
		return "no filesystem found";
	if (!strcmp(type, "crypto_LUKS"))
		return "a LUKS container (encrypted): open it with cryptsetup and give "
		       "--device /dev/mapper/NAME";
	if (!strcmp(type, "LVM2_member"))
		return "an LVM physical volume: activate the volume group and give --device "
		       "/dev/VG/LV";
	if (!strcmp(type, "swap"))
		return "swap space, not a filesystem";
	if (strstr(type, "raid_member"))
		return "a RAID member: assemble the array and give --device /dev/mdN";
	for (size_t i = 0; i < sizeof(mountable) / sizeof(mountable[0]); i++)
		if (!strcmp(type, mountable[i]))
			return kernel_has_fs(type) ? NULL
						   : "the running kernel has no driver for it "
						     "(not in /proc/filesystems)";
	return "not a Linux root filesystem nestvirt writes (ext4, xfs or btrfs)";
}

static blkid_probe new_probe(int fd, uint64_t offset, uint64_t size, bool parts)
{
	blkid_probe pr = blkid_new_probe();

	if (!pr)
		return NULL;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)offset, (blkid_loff_t)size) < 0) {
		blkid_free_probe(pr);
		return NULL;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
						  BLKID_SUBLKS_UUID | BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, parts);
	if (parts)
		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	return pr;
}

/* The filesystem of one region: its type (or "" / an ambiguity), label and UUID. */
static void probe_part(int fd, struct image_part *part)
{
	blkid_probe pr = new_probe(fd, part->offset, part->size, false);
	int r;

	if (!pr) {
		part->refusal = "libblkid cannot probe it";
		return;
	}
	r = blkid_do_safeprobe(pr);
	if (r == 0) {
		copy_value(pr, "TYPE", part->type, sizeof(part->type));
		copy_value(pr, "LABEL", part->label, sizeof(part->label));
		copy_value(pr, "UUID", part->uuid, sizeof(part->uuid));
		part->refusal = refusal_of(part->type);
	} else if (r == -2) {
		part->refusal = "ambiguous: more than one signature (wipefs lists them); not "
				"mounted";
	} else {
		part->refusal = r == 1 ? "no filesystem found" : "libblkid cannot probe it";
	}
	blkid_free_probe(pr);
}

static int add_part(struct image_probe *p, const struct image_part *part)
{
	struct image_part *v = realloc(p->parts, (p->nparts + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	p->parts = v;
	p->parts[p->nparts++] = *part;
	return 0;
}

static int read_table(int fd, const char *name, blkid_probe pr, struct image_probe *p)
{
	blkid_partlist ls = blkid_probe_get_partitions(pr);
	blkid_parttable tab;
	int n, r;

	if (!ls)
		return log_error_errno(EUCLEAN, "%s: the partition table cannot be read", name);
	tab = blkid_partlist_get_table(ls);
	if (tab && blkid_parttable_get_id(tab))
		snprintf(p->ptuuid, sizeof(p->ptuuid), "%s", blkid_parttable_get_id(tab));
	n = blkid_partlist_numof_partitions(ls);
	for (int i = 0; i < n; i++) {
		blkid_partition par = blkid_partlist_get_partition(ls, i);
		struct image_part part = {0};

		if (!par)
			continue;
		part.number = blkid_partition_get_partno(par);
		part.offset = (uint64_t)blkid_partition_get_start(par) * 512;
		part.size = (uint64_t)blkid_partition_get_size(par) * 512;
		if (blkid_partition_get_name(par))
			snprintf(part.partlabel, sizeof(part.partlabel), "%s",
				 blkid_partition_get_name(par));
		if (blkid_partition_get_uuid(par))
			snprintf(part.partuuid, sizeof(part.partuuid), "%s",
				 blkid_partition_get_uuid(par));
		if (blkid_partition_is_extended(par))
			continue;
		if (part.offset + part.size > p->size)
			return log_error_errno(
			    EUCLEAN,
			    "%s: partition %d ends at byte %llu, past the end of the image (%llu "
			    "bytes): the image is truncated or its partition table is damaged",
			    name, part.number, (unsigned long long)(part.offset + part.size),
			    (unsigned long long)p->size);
		probe_part(fd, &part);
		r = add_part(p, &part);
		if (r < 0)
			return log_error_errno(r, "%m");
	}
	return 0;
}

/* A protective MBR (type 0xEE) whose GPT libblkid could not read: a truncated or damaged GPT. */
static bool has_protective_mbr(int fd)
{
	unsigned char mbr[512];

	if (pread(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr))
		return false;
	if (mbr[510] != 0x55 || mbr[511] != 0xAA)
		return false;
	for (int i = 0; i < 4; i++)
		if (mbr[446 + 16 * i + 4] == 0xEE)
			return true;
	return false;
}

int image_probe(int fd, const char *name, struct image_probe *p)
{
	struct image_part whole = {0};
	blkid_probe pr;
	int r;

	*p = (struct image_probe){0};
	pr = new_probe(fd, 0, 0, true);
	if (!pr)
		return log_error_errno(EIO, "%s: libblkid cannot probe it", name);
	p->size = (uint64_t)blkid_probe_get_size(pr);
	r = blkid_do_safeprobe(pr);
	if (r == -2) {
		r = log_error_errno(EUCLEAN,
				    "%s: ambiguous probe: more than one partition table or "
				    "filesystem signature (wipefs %s lists them); refused",
				    name, name);
		goto out;
	}
	if (r < 0) {
		r = log_error_errno(EIO, "%s: libblkid cannot probe it", name);
		goto out;
	}
	if (r == 1) {
		if (has_protective_mbr(fd))
			r = log_error_errno(EUCLEAN,
					    "%s: a GPT disk whose partition table cannot be read "
					    "(truncated or damaged: neither GPT header is valid)",
					    name);
		else
			r = log_error_errno(ENODATA,
					    "%s: neither a partition table nor a filesystem: not a "
					    "disk image",
					    name);
		goto out;
	}
	copy_value(pr, "PTTYPE", p->pttype, sizeof(p->pttype));
	/* libblkid names the protective MBR alone when neither GPT header is valid. */
	if (!strcmp(p->pttype, "PMBR")) {
		r = log_error_errno(
		    EUCLEAN,
		    "%s: a GPT disk whose partition table cannot be read (truncated "
		    "or damaged: neither GPT header is valid)",
		    name);
		goto out;
	}
	if (p->pttype[0]) {
		r = read_table(fd, name, pr, p);
		goto out;
	}
	whole.size = p->size;
	probe_part(fd, &whole);
	r = add_part(p, &whole);
	if (r < 0)
		log_error_errno(r, "%m");
out:
	blkid_free_probe(pr);
	if (r < 0)
		image_probe_free(p);
	return r < 0 ? r : 0;
}

void image_probe_free(struct image_probe *p)
{
	free(p->parts);
	p->parts = NULL;
	p->nparts = 0;
}

int image_probe_find(const struct image_probe *p, const char *spec, const char *name)
{
	static const struct {
		const char *prefix;
		size_t offset;
	} keys[] = {
	    {"LABEL=", offsetof(struct image_part, label)},
	    {"PARTLABEL=", offsetof(struct image_part, partlabel)},
	    {"UUID=", offsetof(struct image_part, uuid)},
	    {"PARTUUID=", offsetof(struct image_part, partuuid)},
	};
	char *end;
	long n;

	if (!p->pttype[0])
		return log_error_errno(EINVAL,
				       "%s: no partition table (a bare %s filesystem): leave out "
				       "--partition",
				       name, p->parts[0].type[0] ? p->parts[0].type : "unknown");
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t len = strlen(keys[k].prefix);

		if (strncmp(spec, keys[k].prefix, len))
			continue;
		for (size_t i = 0; i < p->nparts; i++)
			if (!strcmp((const char *)&p->parts[i] + keys[k].offset, spec + len))
				return (int)i;
		return log_error_errno(ENOENT, "%s: no partition has %s", name, spec);
	}
	errno = 0;
	n = strtol(spec, &end, 10);
	if (errno || end == spec || *end || n < 1)
		return log_error_errno(EINVAL,
				       "--partition '%s': give a number, LABEL=, PARTLABEL=, UUID= "
				       "or PARTUUID=",
				       spec);
	for (size_t i = 0; i < p->nparts; i++)
		if (p->parts[i].number == n)
			return (int)i;
	return log_error_errno(ENOENT, "%s: no partition %ld (the %s table has %zu)", name, n,
			       p->pttype, p->nparts);
}

int image_part_has_errors(int fd, const struct image_part *part)
{
	unsigned char sb[64];

	if (strncmp(part->type, "ext", 3))
		return 0;
	if (pread(fd, sb, sizeof(sb), (off_t)(part->offset + EXT_SUPER_OFFSET)) != sizeof(sb))
		return 0;
	if ((sb[0x38] | sb[0x39] << 8) != EXT_MAGIC)
		return 0;
	return ((sb[0x3A] | sb[0x3B] << 8) & EXT_ERROR_FS) != 0;
}

int image_resolve_device(const char *spec, char *path, size_t size)
{
	blkid_cache cache = NULL;
	char *dev;

	if (!strchr(spec, '=') || spec[0] == '/') {
		snprintf(path, size, "%s", spec);
		return 0;
	}
	/* "/dev/null" as the cache file: nothing is read, and the write at the end goes nowhere. */
	if (blkid_get_cache(&cache, "/dev/null") < 0)
		return log_error_errno(ENOMEM, "%s: libblkid: %m", spec);
	dev = blkid_evaluate_tag(spec, NULL, &cache);
	blkid_put_cache(cache);
	if (!dev)
		return log_error_errno(ENOENT, "--device %s: no block device has it", spec);
	snprintf(path, size, "%s", dev);
	free(dev);
	return 0;
}
