// SPDX-License-Identifier: LGPL-2.1-or-later
#include "rwrecord.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <nettle/sha2.h>

#define HEXLEN (SHA256_DIGEST_SIZE * 2)

static void sha256_hex(const void *data, size_t len, char hex[HEXLEN + 1])
{
	uint8_t d[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

int rwrecord_set(int fd, const void *data, size_t len)
{
	char hex[HEXLEN + 1];

	sha256_hex(data, len, hex);
	if (fsetxattr(fd, RWRECORD_XATTR, hex, HEXLEN, 0) < 0)
		return errno == ENOTSUP ? -EOPNOTSUPP : -errno;
	return 0;
}

int rwrecord_matches(const struct confdir_file *f)
{
	char rec[HEXLEN + 1], hex[HEXLEN + 1];
	ssize_t n;

	n = fgetxattr(f->fd, RWRECORD_XATTR, rec, sizeof(rec));
	if (n < 0)
		return errno == ENODATA || errno == ENOTSUP || errno == ERANGE ? 0 : -errno;
	if (n != HEXLEN)
		return 0;
	sha256_hex(f->buf, f->len, hex);
	return !memcmp(rec, hex, HEXLEN);
}

/* A domain file, parsed for one look at it: no network, no messages. NULL if not well-formed. */
static xmlDocPtr read_doc(const char *buf, size_t len)
{
	return xmlReadMemory(buf, (int)len, NULL, NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

int rwrecord_domain_uuid(const char *buf, size_t len, char uuid[64])
{
	xmlDocPtr doc = read_doc(buf, len);
	xmlNodePtr root;
	int r = -EINVAL;

	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	for (xmlNodePtr n = root ? root->children : NULL; n; n = n->next) {
		xmlChar *s;
		size_t k = 0;

		if (n->type != XML_ELEMENT_NODE || xmlStrcmp(n->name, BAD_CAST "uuid"))
			continue;
		s = xmlNodeGetContent(n);
		for (const xmlChar *p = s; p && *p && k < 63; p++)
			if (isxdigit(*p))
				uuid[k++] = tolower(*p);
		uuid[k] = '\0';
		xmlFree(s);
		r = k ? 0 : -EINVAL;
		break;
	}
	xmlFreeDoc(doc);
	return r;
}

int rwrecord_root_element(const char *buf, size_t len, char *name, size_t size)
{
	xmlDocPtr doc = read_doc(buf, len);
	xmlNodePtr root;
	int r = -EINVAL;

	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	if (root) {
		snprintf(name, size, "%s", (const char *)root->name);
		r = 0;
	}
	xmlFreeDoc(doc);
	return r;
}

enum rwrecord_backup rwrecord_judge_backup(int dirfd, const char *bak, const struct confdir_file *f)
{
	char ubak[64], ucur[64];
	struct confdir_file b;
	enum rwrecord_backup v;
	struct stat st;

	if (fstatat(dirfd, bak, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return RWRECORD_BACKUP_UNREADABLE;
	if (!S_ISREG(st.st_mode))
		return RWRECORD_BACKUP_NOT_A_FILE;
	/* A run stopped between the backup and the replace: both names are the file read. */
	if (st.st_dev == f->st.st_dev && st.st_ino == f->st.st_ino)
		return RWRECORD_BACKUP_KEEP;
	if (confdir_read(dirfd, bak, CONFDIR_MAX_FILE, &b) < 0)
		return RWRECORD_BACKUP_UNREADABLE;
	if (rwrecord_domain_uuid(b.buf, b.len, ubak) < 0)
		v = RWRECORD_BACKUP_UNREADABLE;
	else if (rwrecord_domain_uuid(f->buf, f->len, ucur) < 0 || strcmp(ubak, ucur))
		v = RWRECORD_BACKUP_OTHER_DOMAIN;
	else if (rwrecord_matches(f) != 1)
		v = RWRECORD_BACKUP_OLDER;
	else
		v = RWRECORD_BACKUP_KEEP;
	confdir_file_close(&b);
	return v;
}

const char *rwrecord_backup_reason(enum rwrecord_backup v, const char *bak, char *buf, size_t size)
{
	switch (v) {
	case RWRECORD_BACKUP_NOT_A_FILE:
		snprintf(buf, size,
			 "%s exists and is not a regular file: not a backup nestvirt made", bak);
		break;
	case RWRECORD_BACKUP_UNREADABLE:
		snprintf(buf, size, "%s exists but cannot be read as a domain definition", bak);
		break;
	case RWRECORD_BACKUP_OTHER_DOMAIN:
		snprintf(
		    buf, size,
		    "%s holds another domain (another <uuid>: undefined and re-defined since?)",
		    bak);
		break;
	case RWRECORD_BACKUP_OLDER:
		snprintf(buf, size,
			 "%s is older than later edits of this file (it was changed after nestvirt "
			 "wrote it)",
			 bak);
		break;
	default:
		snprintf(buf, size, "%s is the original", bak);
	}
	return buf;
}
