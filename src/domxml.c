// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The <cpu> edit of one domain document, in memory.
 *
 * 1. Read: libxml2's SAX2 parser (no network, no entity substitution, no DTD; a DOCTYPE is
 *    refused) reports each element with the parser's byte position, so the exact bytes of
 *    <domain>'s children and of <cpu> and its children are known in the original buffer.
 *    The <cpu> is kept as a small model: its attributes, and each child with its original
 *    bytes plus, for the children this edit may change (model, vendor, topology, cache,
 *    feature), its attributes and text.
 * 2. Edit: the request is applied to a copy of that model, the way virt-xml would (SPEC) or
 *    by the rules of --mode (feature, disable, host-passthrough, host-model).
 * 3. Write: if the model did not change, the document is left alone. Otherwise the new <cpu>
 *    is written in libvirt's style (single quotes, libvirt's order of attributes and children,
 *    one child per line, the document's indentation) with every child that did not change
 *    copied byte for byte, and spliced in place of the old one (or where libvirt writes
 *    <cpu>: after <features>). Every byte outside <cpu> stays as it was.
 */
#include "domxml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "cpumap.h"
#include "cpuspec.h"

/* ------------------------------------------------------------------------------------------ */
/* A bump allocator: everything of one document is freed at once. */

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
};

#define CHUNK_SIZE 8192

static void *arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t need = (n + 15) & ~(size_t)15;

	if (!c || c->size - c->used < need) {
		size_t size = need > CHUNK_SIZE ? need : CHUNK_SIZE;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->used = 0;
		c->size = size;
		c->next = a->head;
		a->head = c;
	}
	c->used += need;
	return (char *)c->data + c->used - need;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void arena_free(struct arena *a)
{
	while (a->head) {
		struct chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* A growing output buffer. */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Text as libvirt escapes it (virBufferEscapeString), plus the characters an attribute value
 * would otherwise lose to normalization. */
static const struct {
	char c;
	const char *text, *attr;
} escapes[] = {
    {'<', "&lt;", "&lt;"},	{'>', "&gt;", "&gt;"},	   {'&', "&amp;", "&amp;"},
    {'\'', "&apos;", "&apos;"}, {'"', "&quot;", "&quot;"}, {'\r', "&#13;", "&#13;"},
    {'\n', "\n", "&#10;"},	{'\t', "\t", "&#9;"},
};

static void buf_escaped(struct buf *b, const char *s, bool attr)
{
	for (; *s; s++) {
		size_t i = 0;

		while (i < sizeof(escapes) / sizeof(escapes[0]) && escapes[i].c != *s)
			i++;
		if (i == sizeof(escapes) / sizeof(escapes[0]))
			buf_add(b, s, 1);
		else
			buf_puts(b, attr ? escapes[i].attr : escapes[i].text);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The model of a <cpu>. */

struct attr {
	const char *name;
	const char *value;
};

struct attrs {
	struct attr *v;
	size_t n;
};

/* The children of <cpu>, in libvirt's order of writing them (virCPUDefFormatBufFull). */
enum kind {
	K_MODEL,
	K_VENDOR,
	K_TOPOLOGY,
	K_CACHE,
	K_MAXPHYSADDR,
	K_FEATURE,
	K_NUMA,
	K_OTHER,   /* anything else: kept as it is, after libvirt's own */
	K_COMMENT, /* kept with the element that follows it */
};

static const char *const kind_names[] = {
    [K_MODEL] = "model", [K_VENDOR] = "vendor",		  [K_TOPOLOGY] = "topology",
    [K_CACHE] = "cache", [K_MAXPHYSADDR] = "maxphysaddr", [K_FEATURE] = "feature",
    [K_NUMA] = "numa",
};

struct kid {
	enum kind kind;
	bool dirty;	 /* new or changed: written from attrs/text, not copied */
	const char *raw; /* the original bytes, NULL for a new element */
	size_t raw_len;
	struct attrs attrs;
	const char *text; /* model, vendor: the content; NULL when empty */
};

struct cpu {
	bool present;
	struct attrs attrs;
	const char *tag; /* original start tag up to its '>' or "/>", NULL when new */
	size_t tag_len;
	struct kid *kids;
	size_t nkids, cap;
	const char *unusual; /* why this <cpu> cannot be rewritten; NULL when it can */
};

static const char *attr_get(const struct attrs *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].name, name))
			return a->v[i].value;
	return NULL;
}

/* Set (or with @value NULL remove) attribute @name. Returns 1 if that changed anything,
 * 0 if not, -ENOMEM. */
static int attr_set(struct arena *ar, struct attrs *a, const char *name, const char *value)
{
	struct attr *v;

	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->v[i].name, name))
			continue;
		if (value && !strcmp(a->v[i].value, value))
			return 0;
		if (value) {
			a->v[i].value = value;
		} else {
			memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof(*a->v));
			a->n--;
		}
		return 1;
	}
	if (!value)
		return 0;
	v = arena_alloc(ar, (a->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (a->n)
		memcpy(v, a->v, a->n * sizeof(*v));
	v[a->n++] = (struct attr){name, value};
	a->v = v;
	return 1;
}

static bool attrs_equal(const struct attrs *a, const struct attrs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const char *v = attr_get(b, a->v[i].name);

		if (!v || strcmp(v, a->v[i].value))
			return false;
	}
	return true;
}

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool kid_equal(const struct kid *a, const struct kid *b)
{
	if (a->kind != b->kind || !str_equal(a->text, b->text) ||
	    !attrs_equal(&a->attrs, &b->attrs))
		return false;
	/* Children kept as bytes are only equal to themselves. */
	if (a->kind >= K_MAXPHYSADDR && a->kind != K_FEATURE)
		return a->raw_len == b->raw_len && a->raw && b->raw &&
		       !memcmp(a->raw, b->raw, a->raw_len);
	return true;
}

static bool cpu_empty(const struct cpu *c)
{
	return !c->attrs.n && !c->nkids;
}

/* Same meaning: an empty <cpu/> means no <cpu>, as libvirt reads it. */
static bool cpu_equal(const struct cpu *a, const struct cpu *b)
{
	bool ap = a->present && !cpu_empty(a), bp = b->present && !cpu_empty(b);

	if (ap != bp)
		return false;
	if (!ap)
		return true;
	if (!attrs_equal(&a->attrs, &b->attrs) || a->nkids != b->nkids)
		return false;
	for (size_t i = 0; i < a->nkids; i++)
		if (!kid_equal(&a->kids[i], &b->kids[i]))
			return false;
	return true;
}

static int cpu_reserve(struct arena *ar, struct cpu *c, size_t n)
{
	struct kid *k;
	size_t cap;

	if (c->nkids + n <= c->cap)
		return 0;
	cap = (c->nkids + n) * 2 + 8;
	k = arena_alloc(ar, cap * sizeof(*k));
	if (!k)
		return -ENOMEM;
	if (c->nkids)
		memcpy(k, c->kids, c->nkids * sizeof(*k));
	c->kids = k;
	c->cap = cap;
	return 0;
}

/* A deep enough copy of @src for editing: the kid array and attribute arrays are new,
 * strings are shared (they are never changed in place). */
static int cpu_copy(struct arena *ar, struct cpu *dst, const struct cpu *src)
{
	*dst = *src;
	dst->kids = NULL;
	dst->cap = 0;
	dst->nkids = 0;
	if (cpu_reserve(ar, dst, src->nkids) < 0)
		return -ENOMEM;
	dst->nkids = src->nkids;
	if (src->nkids)
		memcpy(dst->kids, src->kids, src->nkids * sizeof(*dst->kids));
	/* attr_set changes attribute arrays in place: the copy gets its own */
	for (size_t i = 0; i <= dst->nkids; i++) {
		struct attrs *a = i < dst->nkids ? &dst->kids[i].attrs : &dst->attrs;
		struct attr *v;

		if (!a->n)
			continue;
		v = arena_alloc(ar, a->n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memcpy(v, a->v, a->n * sizeof(*v));
		a->v = v;
	}
	return 0;
}

static int kid_find(const struct cpu *c, enum kind kind)
{
	for (size_t i = 0; i < c->nkids; i++)
		if (c->kids[i].kind == kind)
			return (int)i;
	return -1;
}

static int feature_find(const struct cpu *c, const char *name)
{
	for (size_t i = 0; i < c->nkids; i++)
		if (c->kids[i].kind == K_FEATURE &&
		    str_equal(attr_get(&c->kids[i].attrs, "name"), name))
			return (int)i;
	return -1;
}

static void kid_remove(struct cpu *c, size_t i)
{
	memmove(&c->kids[i], &c->kids[i + 1], (c->nkids - i - 1) * sizeof(*c->kids));
	c->nkids--;
}

/* A new child of @kind, placed after the last child that libvirt writes before or with it. */
static struct kid *kid_add(struct arena *ar, struct cpu *c, enum kind kind)
{
	size_t at = 0;

	if (cpu_reserve(ar, c, 1) < 0)
		return NULL;
	for (size_t i = 0; i < c->nkids; i++)
		if (c->kids[i].kind <= kind)
			at = i + 1;
	memmove(&c->kids[at + 1], &c->kids[at], (c->nkids - at) * sizeof(*c->kids));
	c->nkids++;
	c->kids[at] = (struct kid){.kind = kind, .dirty = true};
	c->present = true;
	return &c->kids[at];
}

static void cpu_clear(struct cpu *c)
{
	c->attrs.n = 0;
	c->nkids = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading the document. */

/* A child element of <domain>, where it is in the buffer. */
struct top {
	const char *name; /* NULL for a namespaced element */
	size_t start, end;
};

struct text {
	char *p;
	size_t len, cap;
};

struct parse {
	const char *buf;
	size_t len;
	xmlParserCtxtPtr ctxt;
	struct arena *ar;
	int err;	     /* -ENOMEM */
	const char *invalid; /* why the document is refused */
	int depth;
	const char *type, *arch;
	size_t root_start;
	struct top *tops;
	size_t ntops, topcap;
	bool in_os, in_cpu, os_type_seen;
	int ncpu;
	size_t cpu_start, cpu_end;
	struct cpu cpu;
	struct kid *kid; /* the open child of <cpu> */
	bool kid_text;	 /* the open child's text matters (model, vendor) */
	struct text text;
};

static void stop(struct parse *p)
{
	xmlStopParser(p->ctxt);
}

static void fail_oom(struct parse *p)
{
	p->err = -ENOMEM;
	stop(p);
}

static void refuse(struct parse *p, const char *why)
{
	if (!p->invalid)
		p->invalid = why;
	stop(p);
}

static void set_unusual(struct parse *p, const char *why)
{
	if (!p->cpu.unusual)
		p->cpu.unusual = why;
}

/* The byte offset the parser has reached. */
static size_t pos(struct parse *p)
{
	long c = xmlByteConsumed(p->ctxt);

	if (c < 0 || (size_t)c > p->len)
		return p->len + 1; /* rejected by the checks that use it */
	return (size_t)c;
}

/* The start of the tag whose attributes end at @end: attribute values cannot hold '<'. */
static size_t tag_start(struct parse *p, size_t end)
{
	while (end > 0 && end <= p->len && p->buf[end] != '<')
		end--;
	return end;
}

/* The element's name as its bytes spell it. */
static bool bytes_are(struct parse *p, size_t at, const char *s)
{
	size_t n = strlen(s);

	return at + n <= p->len && !memcmp(p->buf + at, s, n);
}

/* An attribute value as SAX2 hands it over: libxml2 leaves "&#38;" for each '&' when it
 * does not substitute entities (every other reference is already resolved). */
static const char *attr_value(struct parse *p, const xmlChar *start, const xmlChar *end)
{
	size_t n = (size_t)(end - start), o = 0;
	char *v = arena_alloc(p->ar, n + 1);

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (start[i] == '&' && i + 5 <= n && !memcmp(start + i, "&#38;", 5)) {
			v[o++] = '&';
			i += 4;
		} else {
			v[o++] = (char)start[i];
		}
	}
	v[o] = '\0';
	return v;
}

static int read_attrs(struct parse *p, int n, const xmlChar **a, struct attrs *out)
{
	out->n = 0;
	out->v = NULL;
	if (n <= 0)
		return 0;
	out->v = arena_alloc(p->ar, (size_t)n * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (int i = 0; i < n; i++, a += 5) {
		const char *name = (const char *)a[0];

		if (a[1]) {
			size_t lp = strlen((const char *)a[1]), ln = strlen(name);
			char *q = arena_alloc(p->ar, lp + ln + 2);

			if (!q)
				return -ENOMEM;
			memcpy(q, a[1], lp);
			q[lp] = ':';
			memcpy(q + lp + 1, name, ln + 1);
			name = q;
		} else {
			name = arena_strndup(p->ar, name, strlen(name));
		}
		out->v[i].name = name;
		out->v[i].value = attr_value(p, a[3], a[4]);
		if (!name || !out->v[i].value)
			return -ENOMEM;
	}
	out->n = (size_t)n;
	return 0;
}

static const char *find_attr(int n, const xmlChar **a, const char *name, struct parse *p)
{
	for (int i = 0; i < n; i++, a += 5)
		if (!a[1] && !strcmp((const char *)a[0], name))
			return attr_value(p, a[3], a[4]);
	return NULL;
}

static enum kind kind_of(const xmlChar *name, const xmlChar *uri)
{
	if (uri)
		return K_OTHER;
	for (int k = K_MODEL; k <= K_NUMA; k++)
		if (!strcmp((const char *)name, kind_names[k]))
			return k;
	return K_OTHER;
}

static void start_root(struct parse *p, const xmlChar *name, const xmlChar *uri, int nattr,
		       const xmlChar **attrs, size_t end)
{
	if (uri || strcmp((const char *)name, "domain"))
		return refuse(p, "the root element is not <domain>");
	p->root_start = tag_start(p, end);
	p->type = find_attr(nattr, attrs, "type", p);
}

static void start_top(struct parse *p, const xmlChar *name, const xmlChar *uri, int nattr,
		      const xmlChar **attrs, int nns, size_t end)
{
	struct top *t;

	if (p->ntops == p->topcap) {
		size_t cap = p->topcap ? 2 * p->topcap : 32;

		t = arena_alloc(p->ar, cap * sizeof(*t));
		if (!t)
			return fail_oom(p);
		if (p->ntops)
			memcpy(t, p->tops, p->ntops * sizeof(*t));
		p->tops = t;
		p->topcap = cap;
	}
	t = &p->tops[p->ntops++];
	t->name = uri ? NULL : (const char *)name; /* names live in the parser's dictionary */
	t->start = tag_start(p, end);
	t->end = 0;
	if (!t->name)
		return;
	t->name = arena_strndup(p->ar, t->name, strlen(t->name));
	if (!t->name)
		return fail_oom(p);
	p->in_os = !strcmp(t->name, "os");
	if (strcmp(t->name, "cpu"))
		return;
	if (++p->ncpu > 1)
		return refuse(p, "has more than one <cpu>");
	p->in_cpu = true;
	p->cpu_start = t->start;
	p->cpu.present = true;
	p->cpu.tag = p->buf + t->start;
	p->cpu.tag_len = end - t->start;
	if (nns)
		set_unusual(p, "<cpu> declares XML namespaces");
	if (read_attrs(p, nattr, attrs, &p->cpu.attrs) < 0)
		fail_oom(p);
}

static void start_cpu_kid(struct parse *p, const xmlChar *name, const xmlChar *uri, int nattr,
			  const xmlChar **attrs, size_t end)
{
	struct kid *k;

	if (cpu_reserve(p->ar, &p->cpu, 1) < 0)
		return fail_oom(p);
	k = &p->cpu.kids[p->cpu.nkids++];
	*k = (struct kid){.kind = kind_of(name, uri), .raw = p->buf + tag_start(p, end)};
	if (read_attrs(p, nattr, attrs, &k->attrs) < 0)
		return fail_oom(p);
	p->kid = k;
	p->kid_text = k->kind == K_MODEL || k->kind == K_VENDOR;
	p->text.len = 0;
}

/* Do the bytes at the tag start @start spell "<prefix:name"? */
static bool tag_matches(struct parse *p, size_t start, const xmlChar *prefix, const xmlChar *name)
{
	size_t at = start + 1;

	if (p->buf[start] != '<')
		return false;
	if (prefix) {
		if (!bytes_are(p, at, (const char *)prefix))
			return false;
		at += strlen((const char *)prefix);
		if (!bytes_are(p, at, ":"))
			return false;
		at++;
	}
	return bytes_are(p, at, (const char *)name);
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
		     int nns, const xmlChar **ns, int nattr, int ndefaulted, const xmlChar **attrs)
{
	struct parse *p = ctx;
	size_t end = pos(p);

	(void)ns;
	(void)ndefaulted;
	p->depth++;
	if (end >= p->len || !tag_matches(p, tag_start(p, end), prefix, name))
		return refuse(p, "the parser's positions do not match the bytes");
	if (p->depth == 1)
		return start_root(p, name, uri, nattr, attrs, end);
	if (p->depth == 2)
		return start_top(p, name, uri, nattr, attrs, nns, end);
	if (p->depth == 3 && p->in_os && !p->os_type_seen && !uri &&
	    !strcmp((const char *)name, "type")) {
		p->os_type_seen = true;
		p->arch = find_attr(nattr, attrs, "arch", p);
		return;
	}
	if (!p->in_cpu)
		return;
	if (p->depth == 3)
		return start_cpu_kid(p, name, uri, nattr, attrs, end);
	if (p->kid && p->kid->kind < K_MAXPHYSADDR)
		set_unusual(p, "an element inside <cpu><model>, <vendor>, <topology> or <cache>");
	if (p->kid && p->kid->kind == K_FEATURE)
		set_unusual(p, "an element inside <cpu><feature>");
}

static const char *text_take(struct parse *p)
{
	if (!p->text.len)
		return NULL;
	return arena_strndup(p->ar, p->text.p, p->text.len);
}

static void end_cpu_kid(struct parse *p, size_t end)
{
	struct kid *k = p->kid;

	k->raw_len = (size_t)(p->buf + end - k->raw);
	if (p->kid_text) {
		k->text = text_take(p);
		if (p->text.len && !k->text)
			fail_oom(p);
	}
	p->kid = NULL;
}

static void on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	struct parse *p = ctx;
	size_t end = pos(p);

	(void)name;
	(void)prefix;
	(void)uri;
	if (end > p->len || end == 0 || p->buf[end - 1] != '>')
		refuse(p, "the parser's positions do not match the bytes");
	else if (p->depth == 3 && p->in_cpu && p->kid)
		end_cpu_kid(p, end);
	else if (p->depth == 2 && p->ntops) {
		p->tops[p->ntops - 1].end = end;
		if (p->in_cpu)
			p->cpu_end = end;
		p->in_os = p->in_cpu = false;
	}
	p->depth--;
}

static bool all_blank(const xmlChar *s, int len)
{
	for (int i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

static void on_text(void *ctx, const xmlChar *s, int len)
{
	struct parse *p = ctx;

	if (!p->in_cpu || len <= 0)
		return;
	if (p->depth == 2) {
		if (!all_blank(s, len))
			set_unusual(p, "text directly inside <cpu>");
		return;
	}
	if (p->depth != 3 || !p->kid)
		return;
	if (!p->kid_text) {
		if (!all_blank(s, len) && p->kid->kind < K_MAXPHYSADDR)
			set_unusual(p, "text inside <cpu><topology> or <cache>");
		if (!all_blank(s, len) && p->kid->kind == K_FEATURE)
			set_unusual(p, "text inside <cpu><feature>");
		return;
	}
	if (p->text.len + (size_t)len + 1 > p->text.cap) {
		size_t cap = (p->text.len + (size_t)len + 1) * 2;
		char *q = realloc(p->text.p, cap);

		if (!q)
			return fail_oom(p);
		p->text.p = q;
		p->text.cap = cap;
	}
	memcpy(p->text.p + p->text.len, s, (size_t)len);
	p->text.len += (size_t)len;
}

/* A comment directly inside <cpu> is kept, with the element after it. */
static void on_comment(void *ctx, const xmlChar *value)
{
	struct parse *p = ctx;
	size_t end = pos(p), start;
	struct kid *k;

	(void)value;
	if (!p->in_cpu)
		return;
	if (p->depth != 2) {
		if (p->kid && p->kid->kind <= K_FEATURE && p->kid->kind != K_MAXPHYSADDR)
			set_unusual(p, "a comment inside a child of <cpu>");
		return;
	}
	if (end > p->len || end < 7 || memcmp(p->buf + end - 3, "-->", 3))
		return refuse(p, "the parser's positions do not match the bytes");
	/* A comment cannot contain "--", so the nearest "<!--" before its end is its start. */
	for (start = end - 7;; start--) {
		if (!memcmp(p->buf + start, "<!--", 4))
			break;
		if (start == 0)
			return refuse(p, "the parser's positions do not match the bytes");
	}
	if (cpu_reserve(p->ar, &p->cpu, 1) < 0)
		return fail_oom(p);
	k = &p->cpu.kids[p->cpu.nkids++];
	*k = (struct kid){.kind = K_COMMENT, .raw = p->buf + start, .raw_len = end - start};
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	struct parse *p = ctx;

	(void)target;
	(void)data;
	if (p->in_cpu)
		set_unusual(p, "a processing instruction inside <cpu>");
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	(void)name;
	(void)eid;
	(void)sid;
	refuse(ctx, "has a DOCTYPE");
}

static void on_entity(void *ctx, const xmlChar *name, int type, const xmlChar *pid,
		      const xmlChar *sid, xmlChar *content)
{
	(void)name;
	(void)type;
	(void)pid;
	(void)sid;
	(void)content;
	refuse(ctx, "declares entities");
}

static void on_reference(void *ctx, const xmlChar *name)
{
	(void)name;
	refuse(ctx, "uses entity references");
}

static void on_error(void *ctx, xmlErrorPtr err)
{
	/* Kept in the context's last error; nothing is printed. */
	(void)ctx;
	(void)err;
}

static void sax_setup(xmlSAXHandler *sax)
{
	memset(sax, 0, sizeof(*sax));
	sax->initialized = XML_SAX2_MAGIC;
	sax->startElementNs = on_start;
	sax->endElementNs = on_end;
	sax->characters = on_text;
	sax->cdataBlock = on_text;
	sax->ignorableWhitespace = on_text;
	sax->comment = on_comment;
	sax->processingInstruction = on_pi;
	sax->internalSubset = on_doctype;
	sax->externalSubset = on_doctype;
	sax->entityDecl = on_entity;
	sax->reference = on_reference;
	sax->serror = on_error;
}

static const char *parse_error(struct parse *p)
{
	const xmlError *e = xmlCtxtGetLastError(p->ctxt);
	char msg[200];
	size_t n;

	if (!e || !e->message)
		return "not well-formed XML";
	snprintf(msg, sizeof(msg), "not well-formed XML (line %d: %s", e->line, e->message);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	p->invalid = arena_strndup(p->ar, msg, n + 1);
	if (!p->invalid)
		return "not well-formed XML";
	((char *)p->invalid)[n] = ')';
	return p->invalid;
}

/* Parse @p->buf; afterwards p->err (process failure) or p->invalid (document refused) or
 * the fields describe the document. */
static void parse_doc(struct parse *p)
{
	xmlParserCtxtPtr ctxt;

	if (p->len > INT32_MAX || p->len == 0) {
		p->invalid = p->len ? "too large" : "empty";
		return;
	}
	ctxt = xmlCreateMemoryParserCtxt(p->buf, (int)p->len);
	if (!ctxt) {
		p->err = -ENOMEM;
		return;
	}
	p->ctxt = ctxt;
	sax_setup(ctxt->sax);
	ctxt->userData = p;
	/* No XML_PARSE_NOENT (no entity substitution), no DTDLOAD/DTDATTR, no network. */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlParseDocument(ctxt);
	if (!p->err && !p->invalid && !ctxt->wellFormed)
		p->invalid = parse_error(p);
	if (!p->err && !p->invalid && ctxt->input && ctxt->input->buf && ctxt->input->buf->encoder)
		p->invalid = "is not UTF-8 (only UTF-8 documents are edited)";
	if (!p->err && !p->invalid && p->depth != 0)
		p->invalid = "not well-formed XML";
	if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	xmlFreeParserCtxt(ctxt);
	p->ctxt = NULL;
	free(p->text.p);
	p->text.p = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Editing the model. */

struct edit {
	struct arena *ar;
	struct cpu *c;
	const struct domxml_request *req;
	const char *arch;
	const char *added_model; /* the default model this edit added, if any */
	char what[160];		 /* what changed, for the reason */
};

static int set_cpu_attr(struct edit *e, const char *name, const char *value)
{
	return attr_set(e->ar, &e->c->attrs, name, value);
}

/* The child of @kind (the first one), created when @create. */
static struct kid *get_kid(struct edit *e, enum kind kind, bool create, int *err)
{
	int i = kid_find(e->c, kind);
	struct kid *k;

	*err = 0;
	if (i >= 0)
		return &e->c->kids[i];
	if (!create)
		return NULL;
	k = kid_add(e->ar, e->c, kind);
	if (!k)
		*err = -ENOMEM;
	return k;
}

/* An element left with neither attributes nor text is dropped, as virt-xml drops it. */
static void drop_if_empty(struct edit *e, struct kid *k)
{
	if (!k->attrs.n && !k->text)
		kid_remove(e->c, (size_t)(k - e->c->kids));
}

static int set_kid_attr(struct edit *e, enum kind kind, const char *name, const char *value)
{
	struct kid *k;
	int r;

	k = get_kid(e, kind, value != NULL, &r);
	if (!k)
		return r;
	r = attr_set(e->ar, &k->attrs, name, value);
	if (r > 0)
		k->dirty = true;
	drop_if_empty(e, k);
	return r < 0 ? r : 0;
}

static int set_kid_text(struct edit *e, enum kind kind, const char *text)
{
	struct kid *k;
	int r;

	k = get_kid(e, kind, text != NULL, &r);
	if (!k)
		return r;
	if (!str_equal(k->text, text)) {
		k->text = text;
		k->dirty = true;
	}
	drop_if_empty(e, k);
	return 0;
}

static int set_feature(struct edit *e, const char *name, const char *policy)
{
	int i = feature_find(e->c, name);
	struct kid *k;
	int r;

	if (i >= 0) {
		k = &e->c->kids[i];
		r = attr_set(e->ar, &k->attrs, "policy", policy);
		if (r > 0)
			k->dirty = true;
		return r < 0 ? r : 0;
	}
	k = kid_add(e->ar, e->c, K_FEATURE);
	if (!k)
		return -ENOMEM;
	r = attr_set(e->ar, &k->attrs, "policy", policy);
	if (r >= 0)
		r = attr_set(e->ar, &k->attrs, "name", name);
	return r < 0 ? r : 0;
}

static void remove_features(struct edit *e)
{
	for (size_t i = e->c->nkids; i-- > 0;)
		if (e->c->kids[i].kind == K_FEATURE)
			kid_remove(e->c, i);
}

static const char *cpu_mode(const struct cpu *c)
{
	const char *m = attr_get(&c->attrs, "mode");

	return m ? m : "custom";
}

static const char *model_name(const struct cpu *c)
{
	int i = kid_find(c, K_MODEL);

	return i < 0 ? NULL : c->kids[i].text;
}

/* A feature's policy; libvirt reads a missing one as "require". NULL when absent. */
static const char *feature_policy(const struct cpu *c, const char *name)
{
	int i = feature_find(c, name);
	const char *pol;

	if (i < 0)
		return NULL;
	pol = attr_get(&c->kids[i].attrs, "policy");
	return pol ? pol : "require";
}

static bool is_x86(const char *arch)
{
	return !arch || !strcmp(arch, "x86_64") || !strcmp(arch, "i686") || !strcmp(arch, "i586") ||
	       !strcmp(arch, "i486") || !strcmp(arch, "i386");
}

/* The model libvirt's QEMU driver puts in a custom-mode <cpu> without one when it loads the
 * domain (qemuDomainDefSetDefaultCPU): QEMU's default for the machine, qemu64 on x86_64 and
 * qemu32 on 32-bit x86, with check='none', match='exact' and fallback='forbid'. Writing it
 * out changes nothing about the guest CPU; it only makes room for features. Options a --cpu
 * SPEC (@s) sets itself are left as the SPEC set them. */
static int add_default_model(struct edit *e, const struct cpuspec *s)
{
	static const struct {
		enum cpuspec_field field;
		const char *attr, *value;
	} defaults[] = {
	    {CPUSPEC_F_MODE, "mode", "custom"},
	    {CPUSPEC_F_MATCH, "match", "exact"},
	    {CPUSPEC_F_CHECK, "check", "none"},
	};
	const char *model = e->arch && strcmp(e->arch, "x86_64") ? "qemu32" : "qemu64";
	int r;

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		if (s && s->opt[defaults[i].field].set)
			continue;
		r = set_cpu_attr(e, defaults[i].attr, defaults[i].value);
		if (r < 0)
			return r;
	}
	if (!s || !s->opt[CPUSPEC_F_FALLBACK].set) {
		r = set_kid_attr(e, K_MODEL, "fallback", "forbid");
		if (r < 0)
			return r;
	}
	r = set_kid_text(e, K_MODEL, model);
	if (r < 0)
		return r;
	e->added_model = model;
	return 0;
}

static bool needs_model(const struct cpu *c)
{
	return !strcmp(cpu_mode(c), "custom") && !model_name(c);
}

/* --mode feature / disable: the vendor feature with @policy. */
static int edit_feature(struct edit *e, const char *policy, struct domxml_result *res)
{
	const char *vf = e->req->vendor_feature;
	const char *old = feature_policy(e->c, vf);
	const char *mode = cpu_mode(e->c);
	bool enable = !strcmp(policy, "require");
	int r;

	if (old && enable && (!strcmp(old, "require") || !strcmp(old, "force")))
		return 0;
	if (old && !enable && (!strcmp(old, "disable") || !strcmp(old, "forbid")))
		return 0;
	if (!old && enable && (!strcmp(mode, "host-passthrough") || !strcmp(mode, "maximum"))) {
		snprintf(res->reason, sizeof(res->reason), "%s already passes %s through", mode,
			 vf);
		return 0;
	}
	if (needs_model(e->c)) {
		r = add_default_model(e, NULL);
		if (r < 0)
			return r;
	}
	r = set_feature(e, vf, policy);
	if (old)
		snprintf(e->what, sizeof(e->what), "%s: policy '%s' -> '%s'", vf, old, policy);
	else if (e->added_model)
		snprintf(e->what, sizeof(e->what),
			 "no CPU model: wrote libvirt's default %s (check='none') with %s '%s'",
			 e->added_model, vf, policy);
	else
		snprintf(e->what, sizeof(e->what), "added %s with policy '%s'", vf, policy);
	return r;
}

/* virt-xml's set_special_mode for host-model / host-passthrough: model, vendor, fallback,
 * migratable, check and features go; match, vendor_id, topology, cache and numa stay. */
static int special_mode(struct edit *e, const char *mode)
{
	int r;

	if ((r = set_kid_text(e, K_MODEL, NULL)) < 0 ||
	    (r = set_kid_attr(e, K_MODEL, "fallback", NULL)) < 0 ||
	    (r = set_kid_text(e, K_VENDOR, NULL)) < 0 ||
	    (r = set_cpu_attr(e, "migratable", NULL)) < 0 ||
	    (r = set_cpu_attr(e, "check", NULL)) < 0)
		return r;
	remove_features(e);
	r = set_cpu_attr(e, "mode", mode);
	return r < 0 ? r : 0;
}

/* virt-xml's set_model (without the host security features it asks a live libvirt for). */
static int spec_model(struct edit *e, const char *model)
{
	int r;

	if ((r = set_cpu_attr(e, "migratable", NULL)) < 0)
		return r;
	if (model) {
		if ((r = set_cpu_attr(e, "mode", "custom")) < 0)
			return r;
		if (!attr_get(&e->c->attrs, "match") && (r = set_cpu_attr(e, "match", "exact")) < 0)
			return r;
	}
	return set_kid_text(e, K_MODEL, model);
}

static int spec_field(struct edit *e, enum cpuspec_field f, const char *v)
{
	static const char *const topology[] = {"sockets", "dies", "cores", "threads"};
	int r;

	switch (f) {
	case CPUSPEC_F_MODEL:
		return 0; /* spec_model */
	case CPUSPEC_F_FALLBACK:
		return set_kid_attr(e, K_MODEL, "fallback", v);
	case CPUSPEC_F_VENDOR_ID:
		return set_kid_attr(e, K_MODEL, "vendor_id", v);
	case CPUSPEC_F_VENDOR:
		return set_kid_text(e, K_VENDOR, v);
	case CPUSPEC_F_SOCKETS:
	case CPUSPEC_F_DIES:
	case CPUSPEC_F_CORES:
	case CPUSPEC_F_THREADS:
		return set_kid_attr(e, K_TOPOLOGY, topology[f - CPUSPEC_F_SOCKETS], v);
	case CPUSPEC_F_CACHE_LEVEL:
		return set_kid_attr(e, K_CACHE, "level", v);
	case CPUSPEC_F_CACHE_MODE:
		return set_kid_attr(e, K_CACHE, "mode", v);
	default: /* mode, match, check, migratable */
		r = set_cpu_attr(e, cpuspec_field_name(f), v);
		return r < 0 ? r : 0;
	}
}

/* --cpu SPEC, in virt-install's order: clearxml, model, the other fields, the features. */
static int edit_spec(struct edit *e)
{
	const struct cpuspec *s = e->req->spec;
	bool model_removed = false;
	int r = 0;

	if (s->clearxml)
		cpu_clear(e->c);
	if (s->opt[CPUSPEC_F_MODEL].set) {
		switch (s->special) {
		case CPUSPEC_HOST_MODEL:
			r = special_mode(e, "host-model");
			break;
		case CPUSPEC_HOST_PASSTHROUGH:
			r = special_mode(e, "host-passthrough");
			break;
		case CPUSPEC_CLEAR:
			cpu_clear(e->c);
			break;
		default:
			model_removed = !s->opt[CPUSPEC_F_MODEL].value;
			r = spec_model(e, s->opt[CPUSPEC_F_MODEL].value);
		}
	}
	for (int f = CPUSPEC_F_MODEL + 1; f < CPUSPEC_NFIELDS && r >= 0; f++)
		if (s->opt[f].set)
			r = spec_field(e, f, s->opt[f].value);
	for (size_t i = 0; i < s->nfeatures && r >= 0; i++)
		r = set_feature(e, s->features[i].name, cpuspec_policy_name(s->features[i].policy));
	if (r < 0)
		return r;
	/* virt-xml would leave features without a model, which libvirt refuses to load. */
	if (!model_removed && needs_model(e->c) && kid_find(e->c, K_FEATURE) >= 0)
		r = add_default_model(e, s);
	if (e->added_model)
		snprintf(e->what, sizeof(e->what),
			 "applied --cpu (no CPU model: wrote libvirt's default %s, check='none')",
			 e->added_model);
	else
		snprintf(e->what, sizeof(e->what), "applied --cpu");
	return r;
}

static int edit_host_mode(struct edit *e, const char *mode)
{
	const char *old = cpu_mode(e->c);

	snprintf(e->what, sizeof(e->what), "mode '%s' -> '%s' (model, vendor and features dropped)",
		 old, mode);
	return special_mode(e, mode);
}

/* ------------------------------------------------------------------------------------------ */
/* What libvirt's parser (virCPUDefParseXML) would refuse in a guest <cpu>. */

static bool in_set(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

static const char *check_attrs(const struct cpu *c, const char *mode)
{
	static const char *const modes[] = {"custom", "host-model", "host-passthrough", "maximum",
					    NULL};
	static const char *const matches[] = {"exact", "minimum", "strict", NULL};
	static const char *const checks[] = {"default", "none", "partial", "full", NULL};
	const char *v;

	if (!in_set(mode, modes))
		return "invalid mode";
	v = attr_get(&c->attrs, "migratable");
	if (v && strcmp(v, "on") && strcmp(v, "off"))
		return "invalid migratable";
	if (v && strcmp(mode, "host-passthrough") && strcmp(mode, "maximum"))
		return "migratable is only allowed with host-passthrough or maximum";
	v = attr_get(&c->attrs, "match");
	if (v && !in_set(v, matches))
		return "invalid match";
	v = attr_get(&c->attrs, "check");
	if (v && !in_set(v, checks))
		return "invalid check";
	return NULL;
}

static const char *check_model(const struct cpu *c, const char *mode)
{
	int i = kid_find(c, K_MODEL);
	const char *v;

	if (i < 0 || !strcmp(mode, "host-passthrough") || !strcmp(mode, "maximum"))
		return NULL;
	v = attr_get(&c->kids[i].attrs, "fallback");
	if (v && strcmp(v, "allow") && strcmp(v, "forbid"))
		return "invalid model fallback";
	v = attr_get(&c->kids[i].attrs, "vendor_id");
	if (v && (strlen(v) != 12 || strchr(v, ',')))
		return "model vendor_id must be 12 characters without a comma";
	return NULL;
}

static const char *check_kid(const struct kid *k)
{
	static const char *const policies[] = {"force",	  "require", "optional",
					       "disable", "forbid",  NULL};
	static const char *const cache_modes[] = {"emulate", "passthrough", "disable", NULL};
	const char *v;

	switch (k->kind) {
	case K_TOPOLOGY:
		if (!cpuspec_is_count(attr_get(&k->attrs, "sockets")) ||
		    !cpuspec_is_count(attr_get(&k->attrs, "cores")) ||
		    !cpuspec_is_count(attr_get(&k->attrs, "threads")))
			return "topology needs sockets, cores and threads";
		v = attr_get(&k->attrs, "dies");
		if (v && !cpuspec_is_count(v))
			return "invalid topology dies";
		return NULL;
	case K_CACHE:
		v = attr_get(&k->attrs, "level");
		if (v && strcmp(v, "1") && strcmp(v, "2") && strcmp(v, "3"))
			return "invalid cache level";
		v = attr_get(&k->attrs, "mode");
		if (!v || !in_set(v, cache_modes))
			return "cache needs a valid mode";
		return NULL;
	case K_FEATURE:
		v = attr_get(&k->attrs, "name");
		if (!v || !*v)
			return "a feature without a name";
		v = attr_get(&k->attrs, "policy");
		if (v && !in_set(v, policies))
			return "invalid feature policy";
		return NULL;
	default:
		return NULL;
	}
}

static const char *libvirt_rejects(const struct cpu *c)
{
	const char *mode = cpu_mode(c);
	const char *why;
	size_t nfeat = 0, ncache = 0;

	if (!c->present)
		return NULL;
	if ((why = check_attrs(c, mode)) || (why = check_model(c, mode)))
		return why;
	if (kid_find(c, K_VENDOR) >= 0 && c->kids[kid_find(c, K_VENDOR)].text && !model_name(c))
		return "CPU vendor specified without CPU model";
	for (size_t i = 0; i < c->nkids; i++) {
		const struct kid *k = &c->kids[i];

		if ((why = check_kid(k)))
			return why;
		ncache += k->kind == K_CACHE;
		if (k->kind != K_FEATURE)
			continue;
		nfeat++;
		if (feature_find(c, attr_get(&k->attrs, "name")) != (int)i)
			return "the same CPU feature twice";
	}
	if (ncache > 1)
		return "more than one cache element";
	if (nfeat && !strcmp(mode, "custom") && !model_name(c))
		return "features without a CPU model";
	/* virDomainDefPostParseCPU */
	if (!strcmp(mode, "custom") && !model_name(c) && attr_get(&c->attrs, "check") &&
	    strcmp(attr_get(&c->attrs, "check"), "default"))
		return "check attribute specified for CPU with no model";
	return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing the new <cpu>. */

struct layout {
	bool compact;	    /* the <cpu> does not start a line: write it on one line */
	const char *nl;	    /* "\n" or "\r\n", as the document has them */
	const char *indent; /* the <cpu>'s own indentation */
	size_t indent_len;
	const char *step; /* one level of indentation */
	size_t step_len;
};

/* If the element at @at starts its line, where its indentation starts and the newline style. */
static bool line_start(const char *buf, size_t at, size_t *ind, const char **nl)
{
	size_t i = at;

	while (i > 0 && (buf[i - 1] == ' ' || buf[i - 1] == '\t'))
		i--;
	/* The start of the document (after a UTF-8 byte order mark) starts a line too. */
	if (i == 0 || (i == 3 && !memcmp(buf, "\xef\xbb\xbf", 3))) {
		*ind = i;
		*nl = "\n";
		return true;
	}
	if (buf[i - 1] != '\n')
		return false;
	*ind = i;
	*nl = i >= 2 && buf[i - 2] == '\r' ? "\r\n" : "\n";
	return true;
}

/* One level of indentation: how much deeper @inner is than @outer, if that is a clean step. */
static bool step_between(const char *buf, size_t outer, size_t inner, struct layout *l)
{
	size_t oi, ii, olen, ilen;
	const char *nl;

	if (!line_start(buf, outer, &oi, &nl) || !line_start(buf, inner, &ii, &nl))
		return false;
	olen = outer - oi;
	ilen = inner - ii;
	if (ilen <= olen || memcmp(buf + oi, buf + ii, olen))
		return false;
	l->step = buf + ii + olen;
	l->step_len = ilen - olen;
	return true;
}

static void doc_step(const struct parse *p, struct layout *l)
{
	l->step = "  ";
	l->step_len = 2;
	for (size_t i = 0; i < p->ntops; i++)
		if (step_between(p->buf, p->root_start, p->tops[i].start, l))
			return;
}

/* The layout of a <cpu> that starts (or is inserted to start) where the element at @at does. */
static void layout_at(const struct parse *p, size_t at, struct layout *l)
{
	size_t ind;

	doc_step(p, l);
	l->compact = !line_start(p->buf, at, &ind, &l->nl);
	if (l->compact) {
		l->nl = l->indent = l->step = "";
		l->indent_len = l->step_len = 0;
		return;
	}
	l->indent = p->buf + ind;
	l->indent_len = at - ind;
}

static const char *const cpu_order[] = {"mode", "match", "check", "migratable", NULL};
static const char *const model_order[] = {"fallback", "vendor_id", NULL};
static const char *const feature_order[] = {"policy", "name", NULL};
static const char *const topology_order[] = {"sockets", "dies", "cores", "threads", NULL};
static const char *const cache_order[] = {"level", "mode", NULL};
static const char *const no_order[] = {NULL};

static void write_attr(struct buf *b, const struct attr *a)
{
	buf_puts(b, " ");
	buf_puts(b, a->name);
	buf_puts(b, "='");
	buf_escaped(b, a->value, true);
	buf_puts(b, "'");
}

/* Attributes in libvirt's order (@order), then any others in their original order. */
static void write_attrs(struct buf *b, const struct attrs *a, const char *const *order)
{
	for (const char *const *o = order; *o; o++)
		for (size_t i = 0; i < a->n; i++)
			if (!strcmp(a->v[i].name, *o))
				write_attr(b, &a->v[i]);
	for (size_t i = 0; i < a->n; i++)
		if (!in_set(a->v[i].name, order))
			write_attr(b, &a->v[i]);
}

static void write_kid(struct buf *b, const struct kid *k)
{
	static const char *const *const orders[] = {
	    [K_MODEL] = model_order, [K_VENDOR] = no_order,	  [K_TOPOLOGY] = topology_order,
	    [K_CACHE] = cache_order, [K_FEATURE] = feature_order,
	};

	if (!k->dirty && k->raw) {
		buf_add(b, k->raw, k->raw_len);
		return;
	}
	buf_puts(b, "<");
	buf_puts(b, kind_names[k->kind]);
	write_attrs(b, &k->attrs, orders[k->kind] ? orders[k->kind] : no_order);
	if (!k->text) {
		buf_puts(b, "/>");
		return;
	}
	buf_puts(b, ">");
	buf_escaped(b, k->text, false);
	buf_puts(b, "</");
	buf_puts(b, kind_names[k->kind]);
	buf_puts(b, ">");
}

/* Where a child goes in libvirt's order; a comment goes with the element after it. */
static int rank(const struct cpu *c, size_t i)
{
	for (; i < c->nkids; i++)
		if (c->kids[i].kind != K_COMMENT)
			return c->kids[i].kind;
	return K_COMMENT;
}

static int write_cpu(struct buf *b, struct arena *ar, const struct cpu *c, const struct cpu *orig,
		     const struct layout *l)
{
	size_t *order;
	int *ranks;

	if (c->tag && attrs_equal(&c->attrs, &orig->attrs)) {
		buf_add(b, c->tag, c->tag_len);
	} else {
		buf_puts(b, "<cpu");
		write_attrs(b, &c->attrs, cpu_order);
	}
	if (!c->nkids) {
		buf_puts(b, "/>");
		return 0;
	}
	buf_puts(b, ">");
	order = arena_alloc(ar, c->nkids * sizeof(*order));
	ranks = arena_alloc(ar, c->nkids * sizeof(*ranks));
	if (!order || !ranks)
		return -ENOMEM;
	/* A stable insertion sort by rank: children already in libvirt's order stay put. */
	for (size_t i = 0; i < c->nkids; i++) {
		size_t j = i;
		int r = rank(c, i);

		while (j > 0 && ranks[j - 1] > r) {
			order[j] = order[j - 1];
			ranks[j] = ranks[j - 1];
			j--;
		}
		order[j] = i;
		ranks[j] = r;
	}
	for (size_t i = 0; i < c->nkids; i++) {
		buf_puts(b, l->nl);
		buf_add(b, l->indent, l->indent_len);
		buf_add(b, l->step, l->step_len);
		write_kid(b, &c->kids[order[i]]);
	}
	buf_puts(b, l->nl);
	buf_add(b, l->indent, l->indent_len);
	buf_puts(b, "</cpu>");
	return 0;
}

/* Refine the indentation step from the <cpu>'s own first child, when it has one on a line. */
static void cpu_step(const struct parse *p, const struct cpu *orig, struct layout *l)
{
	struct layout t = *l;

	if (l->compact)
		return;
	for (size_t i = 0; i < orig->nkids; i++) {
		if (!orig->kids[i].raw)
			continue;
		if (step_between(p->buf, p->cpu_start, (size_t)(orig->kids[i].raw - p->buf), &t)) {
			l->step = t.step;
			l->step_len = t.step_len;
		}
		return;
	}
}

/* What libvirt writes before <cpu> (virDomainDefFormatInternal) and after it. */
static const char *const before_cpu[] = {
    "name",
    "uuid",
    "genid",
    "title",
    "description",
    "metadata",
    "maxMemory",
    "memory",
    "currentMemory",
    "blkiotune",
    "memtune",
    "memoryBacking",
    "vcpu",
    "vcpus",
    "iothreads",
    "iothreadids",
    "defaultiothread",
    "cputune",
    "numatune",
    "resource",
    "sysinfo",
    "bootloader",
    "bootloader_args",
    "os",
    "idmap",
    "features",
    NULL,
};
static const char *const after_cpu[] = {
    "clock", "on_poweroff", "on_reboot", "on_crash", "on_lockfailure", "pm",
    "perf",  "devices",	    "seclabel",	 "keywrap",  "launchSecurity", NULL,
};

/* Where a new <cpu> goes: after <features>, else after the last element libvirt writes before
 * <cpu>, else before the first one it writes after it, else after the last child. Returns the
 * index in p->tops and sets *@after; -1 when <domain> has no child element at all. */
static int insertion_anchor(const struct parse *p, bool *after)
{
	int last_before = -1, first_after = -1;

	for (size_t i = 0; i < p->ntops; i++) {
		const char *n = p->tops[i].name;

		if (!n)
			continue;
		if (!strcmp(n, "features")) {
			*after = true;
			return (int)i;
		}
		if (in_set(n, before_cpu))
			last_before = (int)i;
		else if (first_after < 0 && in_set(n, after_cpu))
			first_after = (int)i;
	}
	*after = true;
	if (last_before >= 0)
		return last_before;
	if (first_after >= 0) {
		*after = false;
		return first_after;
	}
	return p->ntops ? (int)p->ntops - 1 : -1;
}

static int insert_cpu(const struct parse *p, struct arena *ar, const struct cpu *c,
		      const struct cpu *orig, struct buf *out)
{
	bool after;
	int i = insertion_anchor(p, &after);
	const struct top *t;
	struct layout l;
	size_t at;
	int r;

	if (i < 0)
		return -EINVAL;
	t = &p->tops[i];
	layout_at(p, t->start, &l);
	if (after) {
		buf_add(out, p->buf, t->end);
		buf_puts(out, l.nl);
		buf_add(out, l.indent, l.indent_len);
		r = write_cpu(out, ar, c, orig, &l);
		at = t->end;
	} else {
		at = t->start - l.indent_len;
		buf_add(out, p->buf, at);
		buf_add(out, l.indent, l.indent_len);
		r = write_cpu(out, ar, c, orig, &l);
		buf_puts(out, l.nl);
	}
	buf_add(out, p->buf + at, p->len - at);
	return r;
}

/* The new document: the original with the bytes of <cpu> replaced, removed or inserted. */
static int splice(const struct parse *p, struct arena *ar, const struct cpu *c,
		  const struct cpu *orig, struct buf *out)
{
	struct layout l;
	size_t from = p->cpu_start, ind;
	const char *nl;
	int r;

	if (!p->ncpu)
		return insert_cpu(p, ar, c, orig, out);
	if (!c->present) {
		/* Drop the line the <cpu> was on, not just its bytes. */
		if (line_start(p->buf, from, &ind, &nl) && ind > 0 && p->buf[ind - 1] == '\n')
			from = ind - strlen(nl);
		buf_add(out, p->buf, from);
		buf_add(out, p->buf + p->cpu_end, p->len - p->cpu_end);
		return 0;
	}
	layout_at(p, p->cpu_start, &l);
	cpu_step(p, orig, &l);
	buf_add(out, p->buf, p->cpu_start);
	r = write_cpu(out, ar, c, orig, &l);
	buf_add(out, p->buf + p->cpu_end, p->len - p->cpu_end);
	return r;
}

/* ------------------------------------------------------------------------------------------ */

static void say(struct domxml_result *res, enum domxml_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(struct domxml_result *res, enum domxml_status st, const char *fmt, ...)
{
	va_list ap;

	res->status = st;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

static int unknown_name(const struct cpumap *map, const char *name, bool feature, char *reason,
			size_t len)
{
	char close[160];

	if (!cpumap_close_matches(map, name, feature, 5, close, sizeof(close)))
		snprintf(reason, len,
			 "unknown CPU %s '%s' (`nestvirt cpu-models` lists the models)",
			 feature ? "feature" : "model", name);
	else
		snprintf(reason, len, "unknown CPU %s '%s'; close matches: %s",
			 feature ? "feature" : "model", name, close);
	return -ENOENT;
}

int domxml_check_names(const struct domxml_request *req, char *reason, size_t len)
{
	const struct cpuspec *s = req->spec;

	if (len)
		reason[0] = '\0';
	if (!req->map)
		return 0;
	if (req->mode == DOMXML_MODE_FEATURE || req->mode == DOMXML_MODE_DISABLE) {
		if (req->vendor_feature && !cpumap_has_feature(req->map, req->vendor_feature))
			return unknown_name(req->map, req->vendor_feature, true, reason, len);
		return 0;
	}
	if (req->mode != DOMXML_MODE_SPEC || !s)
		return 0;
	if (s->opt[CPUSPEC_F_MODEL].set && s->special == CPUSPEC_MODEL &&
	    s->opt[CPUSPEC_F_MODEL].value &&
	    !cpumap_has_model(req->map, s->opt[CPUSPEC_F_MODEL].value))
		return unknown_name(req->map, s->opt[CPUSPEC_F_MODEL].value, false, reason, len);
	for (size_t i = 0; i < s->nfeatures; i++)
		if (!cpumap_has_feature(req->map, s->features[i].name))
			return unknown_name(req->map, s->features[i].name, true, reason, len);
	return 0;
}

static int check_request(const struct domxml_request *req)
{
	switch (req->mode) {
	case DOMXML_MODE_FEATURE:
	case DOMXML_MODE_DISABLE:
		return req->vendor_feature && *req->vendor_feature ? 0 : -EINVAL;
	case DOMXML_MODE_HOST_PASSTHROUGH:
	case DOMXML_MODE_HOST_MODEL:
		return 0;
	case DOMXML_MODE_SPEC:
		return req->spec ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

static bool is_off(const char *policy)
{
	return policy && (!strcmp(policy, "disable") || !strcmp(policy, "forbid"));
}

static int edit(struct edit *e, struct domxml_result *res)
{
	switch (e->req->mode) {
	case DOMXML_MODE_FEATURE:
		return edit_feature(e, "require", res);
	case DOMXML_MODE_DISABLE:
		return edit_feature(e, "disable", res);
	case DOMXML_MODE_HOST_PASSTHROUGH:
		return edit_host_mode(e, "host-passthrough");
	case DOMXML_MODE_HOST_MODEL:
		return edit_host_mode(e, "host-model");
	default:
		return edit_spec(e);
	}
}

static void say_unchanged(struct domxml_result *res, const struct domxml_request *req,
			  const struct cpu *c)
{
	const char *vf = req->vendor_feature;

	if (res->reason[0]) {
		res->status = DOMXML_UNCHANGED;
		return;
	}
	switch (req->mode) {
	case DOMXML_MODE_FEATURE:
	case DOMXML_MODE_DISABLE:
		say(res, DOMXML_UNCHANGED, "%s is already '%s'", vf, feature_policy(c, vf));
		break;
	case DOMXML_MODE_HOST_PASSTHROUGH:
	case DOMXML_MODE_HOST_MODEL:
		say(res, DOMXML_UNCHANGED, "already %s", cpu_mode(c));
		break;
	default:
		say(res, DOMXML_UNCHANGED, "already as --cpu asks");
	}
}

/* Decide and write, once the document is read and selected. */
static int apply_parsed(struct parse *p, const struct domxml_request *req,
			struct domxml_result *res)
{
	struct edit e = {.ar = p->ar, .req = req, .arch = p->arch};
	const char *vf = req->vendor_feature;
	struct buf out = {0};
	const char *why;
	struct cpu c;
	int r;

	r = cpu_copy(p->ar, &c, &p->cpu);
	if (r < 0)
		return r;
	e.c = &c;
	r = edit(&e, res);
	if (r < 0)
		return r;
	c.present = !cpu_empty(&c);
	if (cpu_equal(&c, &p->cpu)) {
		say_unchanged(res, req, &p->cpu);
		return 0;
	}
	if (vf && !req->override && is_off(feature_policy(&p->cpu, vf)) &&
	    !is_off(feature_policy(&c, vf))) {
		say(res, DOMXML_SKIPPED, "%s is explicitly '%s' in <cpu> (--override changes it)",
		    vf, feature_policy(&p->cpu, vf));
		return 0;
	}
	if (p->cpu.unusual) {
		say(res, DOMXML_INVALID, "cannot rewrite <cpu>: it has %s", p->cpu.unusual);
		return 0;
	}
	/* <numatune>, memory devices and hugepages refer to the NUMA cells by number; without
	 * them libvirt would reject the whole domain. virt-xml drops them all the same. */
	if (kid_find(&p->cpu, K_NUMA) >= 0 && kid_find(&c, K_NUMA) < 0) {
		say(res, DOMXML_INVALID,
		    "the edit would drop <cpu><numa>, the guest's NUMA cells; "
		    "left unchanged");
		return 0;
	}
	why = libvirt_rejects(&c);
	if (why) {
		say(res, DOMXML_INVALID, "libvirt would reject the result (%s); left unchanged",
		    why);
		return 0;
	}
	r = splice(p, p->ar, &c, &p->cpu, &out);
	if (r >= 0 && out.oom)
		r = -ENOMEM;
	if (r < 0) {
		free(out.p);
		if (r != -EINVAL)
			return r;
		say(res, DOMXML_INVALID, "<domain> has no child element to place <cpu> after");
		return 0;
	}
	if (out.len == p->len && !memcmp(out.p, p->buf, p->len)) {
		free(out.p);
		say_unchanged(res, req, &p->cpu);
		return 0;
	}
	res->out = out.p;
	res->out_len = out.len;
	say(res, DOMXML_CHANGED, "%s", e.what);
	return 0;
}

int domxml_apply(const char *buf, size_t len, const struct domxml_request *req,
		 struct domxml_result *res)
{
	struct arena ar = {0};
	struct parse p = {.buf = buf, .len = len, .ar = &ar};
	int r;

	memset(res, 0, sizeof(*res));
	r = check_request(req);
	if (r < 0)
		return r;
	if (domxml_check_names(req, res->reason, sizeof(res->reason)) < 0) {
		res->status = DOMXML_INVALID;
		return 0;
	}
	parse_doc(&p);
	r = p.err;
	if (r < 0)
		goto out;
	if (p.invalid)
		say(res, DOMXML_INVALID, "%s", p.invalid);
	else if (!p.type || strcmp(p.type, "kvm"))
		say(res, DOMXML_SKIPPED, "domain type is '%s', not 'kvm' (TCG cannot run %s)",
		    p.type ? p.type : "", req->vendor_feature ? req->vendor_feature : "vmx/svm");
	else if (!is_x86(p.arch))
		say(res, DOMXML_SKIPPED, "arch '%s' is not x86", p.arch);
	else
		r = apply_parsed(&p, req, res);
out:
	arena_free(&ar);
	if (r < 0)
		domxml_result_free(res);
	return r;
}

void domxml_result_free(struct domxml_result *res)
{
	free(res->out);
	res->out = NULL;
	res->out_len = 0;
}
