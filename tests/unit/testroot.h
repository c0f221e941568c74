/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Fake host trees for unit tests: a temporary root with /proc, /sys/module and /run files. */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct testroot {
	char path[256];
	int fd;
};

static inline void testroot_mkdirs(const struct testroot *t, const char *rel)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s/%s", t->path, rel);
	for (char *p = buf + strlen(t->path) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

/* Write @text to @rel below the root, making parent directories. */
static inline void testroot_write(const struct testroot *t, const char *rel, const char *text)
{
	char dir[512], path[1024];
	char *slash;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", rel);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		testroot_mkdirs(t, dir);
	}
	snprintf(path, sizeof(path), "%s/%s", t->path, rel);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

/* Read @rel below the root into @buf; "" when absent. */
static inline const char *testroot_read(const struct testroot *t, const char *rel, char *buf,
					size_t size)
{
	char path[1024];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->path, rel);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return buf;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static inline int testroot_exists(const struct testroot *t, const char *rel)
{
	return faccessat(t->fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A loaded module in the fake /sys/module. */
static inline void testroot_module(const struct testroot *t, const char *mod, const char *nested,
				   int refcnt)
{
	char rel[256], val[32];

	snprintf(rel, sizeof(rel), "sys/module/%s/initstate", mod);
	testroot_write(t, rel, "live\n");
	snprintf(rel, sizeof(rel), "sys/module/%s/refcnt", mod);
	snprintf(val, sizeof(val), "%d\n", refcnt);
	testroot_write(t, rel, val);
	snprintf(rel, sizeof(rel), "sys/module/%s/parameters/nested", mod);
	snprintf(val, sizeof(val), "%s\n", nested);
	testroot_write(t, rel, val);
}

static inline void testroot_init(struct testroot *t)
{
	snprintf(t->path, sizeof(t->path), "/tmp/nestvirt-unit-XXXXXX");
	if (!mkdtemp(t->path))
		abort();
	testroot_mkdirs(t, "sys/module");
	testroot_mkdirs(t, "run");
	testroot_mkdirs(t, "proc");
	t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->fd < 0)
		abort();
}

static inline void testroot_cleanup(struct testroot *t)
{
	char cmd[600];

	close(t->fd);
	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s' && rm -rf '%s'", t->path, t->path);
	if (system(cmd) != 0)
		abort();
}
