// SPDX-License-Identifier: LGPL-2.1-or-later
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void state_init(struct nv_state *st)
{
	memset(st, 0, sizeof(*st));
	st->request = -1;
	st->virt_flag = -1;
	st->hypervisor = -1;
	st->nested_before = -1;
	st->nested_after = -1;
	st->firstboot = 1;
	snprintf(st->module, sizeof(st->module), "none");
}

int state_format(const struct nv_state *st, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "request=%d\nmodule=%s\nvendor=%s\nvirt_flag=%d\nhypervisor=%d\n"
			 "admin_nested=%s\naction=%s\nnested_before=%d\nnested_after=%d\n"
			 "reload_attempts=%d\nmessage=%s\nsource=%s\ncpu=%s\ndomains=%s\n"
			 "exclude=%s\nfirstboot=%d\n",
			 st->request, st->module, st->vendor, st->virt_flag, st->hypervisor,
			 st->admin_nested, st->action, st->nested_before, st->nested_after,
			 st->reload_attempts, st->message, st->source, st->cpu, st->domains,
			 st->exclude, st->firstboot);

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

static void set_str(char *dst, size_t size, const char *v, size_t vlen)
{
	snprintf(dst, size, "%.*s", (int)vlen, v);
}

static void set_int(int *dst, const char *v, size_t vlen)
{
	char tmp[16];
	char *end;
	long x;

	set_str(tmp, sizeof(tmp), v, vlen);
	x = strtol(tmp, &end, 10);
	if (end != tmp && *end == '\0' && x >= -1 && x < 1000000)
		*dst = (int)x;
}

static void note_line(const char *k, size_t klen, const char *v, size_t vlen, struct nv_state *st)
{
#define IS(key) (klen == strlen(key) && !memcmp(k, key, klen))
	if (IS("request"))
		set_int(&st->request, v, vlen);
	else if (IS("module"))
		set_str(st->module, sizeof(st->module), v, vlen);
	else if (IS("vendor"))
		set_str(st->vendor, sizeof(st->vendor), v, vlen);
	else if (IS("virt_flag"))
		set_int(&st->virt_flag, v, vlen);
	else if (IS("hypervisor"))
		set_int(&st->hypervisor, v, vlen);
	else if (IS("admin_nested"))
		set_str(st->admin_nested, sizeof(st->admin_nested), v, vlen);
	else if (IS("action"))
		set_str(st->action, sizeof(st->action), v, vlen);
	else if (IS("nested_before"))
		set_int(&st->nested_before, v, vlen);
	else if (IS("nested_after"))
		set_int(&st->nested_after, v, vlen);
	else if (IS("reload_attempts"))
		set_int(&st->reload_attempts, v, vlen);
	else if (IS("message"))
		set_str(st->message, sizeof(st->message), v, vlen);
	else if (IS("source"))
		set_str(st->source, sizeof(st->source), v, vlen);
	else if (IS("cpu"))
		set_str(st->cpu, sizeof(st->cpu), v, vlen);
	else if (IS("domains"))
		set_str(st->domains, sizeof(st->domains), v, vlen);
	else if (IS("exclude"))
		set_str(st->exclude, sizeof(st->exclude), v, vlen);
	else if (IS("firstboot"))
		set_int(&st->firstboot, v, vlen);
#undef IS
}

void state_parse(const char *buf, size_t len, struct nv_state *st)
{
	const char *p = buf, *end = buf + len;

	state_init(st);
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t llen = (nl ? nl : end) - p;
		const char *eq = memchr(p, '=', llen);

		if (eq)
			note_line(p, eq - p, eq + 1, llen - (eq - p) - 1, st);
		p += llen + 1;
	}
}
