// SPDX-License-Identifier: LGPL-2.1-or-later
#include "state.h"

#include <errno.h>
#include <stdbool.h>
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

/* Appends to a fixed buffer; remembers that it ran out instead of failing each call. */
struct out {
	char *buf;
	size_t size, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n >= o->size - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* A value is one line: control characters (none of ours has any) are written as \xHH, so
 * nothing in a value can start a line of its own. */
static void put_str(struct out *o, const char *key, const char *v)
{
	static const char hex[] = "0123456789abcdef";

	put(o, key, strlen(key));
	put(o, "=", 1);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		char esc[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};

		if (*p < 0x20 || *p == 0x7f)
			put(o, esc, 4);
		else
			put(o, (const char *)p, 1);
	}
	put(o, "\n", 1);
}

static void put_int(struct out *o, const char *key, int v)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", v);
	put_str(o, key, num);
}

int state_format(const struct nv_state *st, char *buf, size_t size)
{
	struct out o = {buf, size, 0, size == 0};

	put_int(&o, "request", st->request);
	put_str(&o, "module", st->module);
	put_str(&o, "vendor", st->vendor);
	put_int(&o, "virt_flag", st->virt_flag);
	put_int(&o, "hypervisor", st->hypervisor);
	put_str(&o, "admin_nested", st->admin_nested);
	put_str(&o, "action", st->action);
	put_int(&o, "nested_before", st->nested_before);
	put_int(&o, "nested_after", st->nested_after);
	put_int(&o, "reload_attempts", st->reload_attempts);
	put_str(&o, "message", st->message);
	put_str(&o, "source", st->source);
	put_str(&o, "cpu", st->cpu);
	put_str(&o, "domains", st->domains);
	put_str(&o, "exclude", st->exclude);
	put_int(&o, "firstboot", st->firstboot);
	return o.full ? -ENOSPC : (int)o.len;
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
