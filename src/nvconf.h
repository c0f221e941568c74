/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * /etc/nestvirt/nestvirt.conf: what the first-boot rewrite does. "key = value" lines, '#'
 * starts a comment line, blank lines are ignored; every key at most once; an unknown key or a
 * bad value is an error naming the line. Pure: a buffer in, a struct out.
 */
#define NVCONF_PATH	 "etc/nestvirt/nestvirt.conf"
#define NVCONF_MAX_SIZE	 (64 * 1024)
#define NVCONF_MAX_GLOBS 32
#define NVCONF_GLOB_MAX	 128

struct nvconf_globs {
	size_t n;
	char v[NVCONF_MAX_GLOBS][NVCONF_GLOB_MAX];
};

struct nvconf {
	char mode[24];	 /* feature (default), host-passthrough, host-model */
	char cpu[256];	 /* a --cpu SPEC (virt-install syntax), "" when none */
	char policy[12]; /* mode feature: the vendor feature's policy, require (default) or force */
	struct nvconf_globs domains; /* none: every domain */
	struct nvconf_globs exclude;
	bool backup;	      /* keep NAME.xml.nestvirt-orig (default yes) */
	bool override;	      /* also turn on a vendor feature the admin disabled (default no) */
	bool include_managed; /* also rewrite domains another layer owns (managed.h; default no) */
	unsigned cpu_line;    /* the line that set mode, cpu or policy, 0 when none did */
};

struct nvconf_error {
	unsigned line; /* 1-based; 0 when the error is about the whole file */
	char msg[320];
};

/* The defaults: mode feature, policy require, every domain, backups on, no override. */
void nvconf_init(struct nvconf *c);

/* Parse @len bytes of @buf into @c (initialized first). Returns 0, or -EINVAL with @err
 * naming the line and the value. */
int nvconf_parse(const char *buf, size_t len, struct nvconf *c, struct nvconf_error *err);

/* Split @text (globs separated by commas and/or blanks) into @g. Returns 0, or -EINVAL with
 * the reason in @err (an empty list is fine). Used for the command line's overrides too. */
int nvconf_globs_parse(const char *text, struct nvconf_globs *g, char *err, size_t errlen);
