// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Writing the new <cpu> in libvirt's style (single quotes, libvirt's order of attributes and
 * children, one child per line, the document's indentation) with every child that did not
 * change copied byte for byte, and splicing it in place of the old one (or where libvirt
 * writes <cpu>: after <features>). Every byte outside <cpu> stays as it was.
 */
#include "domxml-write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A growing output buffer; a failed allocation is remembered in @oom. */

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

static void doc_step(const struct domdoc *p, struct layout *l)
{
	l->step = "  ";
	l->step_len = 2;
	for (size_t i = 0; i < p->ntops; i++)
		if (step_between(p->buf, p->root_start, p->tops[i].start, l))
			return;
}

/* The layout of a <cpu> that starts (or is inserted to start) where the element at @at does. */
static void layout_at(const struct domdoc *p, size_t at, struct layout *l)
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
	/* A prefix its attributes use may be declared here: the declaration stays. */
	for (size_t i = 0; i < k->ns.n; i++)
		write_attr(b, &k->ns.v[i]);
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
static void cpu_step(const struct domdoc *p, const struct cpu *orig, struct layout *l)
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
static int insertion_anchor(const struct domdoc *p, bool *after)
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

/* Write the <cpu> and note where in the output it is. */
static int put_cpu(struct buf *out, struct arena *ar, const struct cpu *c, const struct cpu *orig,
		   const struct layout *l, struct splice *s)
{
	int r;

	s->new_from = out->len;
	r = write_cpu(out, ar, c, orig, l);
	s->new_to = out->len;
	return r;
}

static int insert_cpu(const struct domdoc *p, struct arena *ar, const struct cpu *c,
		      struct buf *out, struct splice *s)
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
		r = put_cpu(out, ar, c, &p->cpu, &l, s);
		at = t->end;
	} else {
		at = t->start - l.indent_len;
		buf_add(out, p->buf, at);
		buf_add(out, l.indent, l.indent_len);
		r = put_cpu(out, ar, c, &p->cpu, &l, s);
		buf_puts(out, l.nl);
	}
	s->old_from = s->old_to = at;
	buf_add(out, p->buf + at, p->len - at);
	return r;
}

/* The new document: the original with the bytes of <cpu> replaced, removed or inserted. */
static int splice_into(const struct domdoc *p, struct arena *ar, const struct cpu *c,
		       struct buf *out, struct splice *s)
{
	struct layout l;
	size_t from = p->cpu_start, ind;
	const char *nl;
	int r;

	if (!p->ncpu)
		return insert_cpu(p, ar, c, out, s);
	s->old_from = p->cpu_start;
	s->old_to = p->cpu_end;
	if (!c->present) {
		/* Drop the line the <cpu> was on, not just its bytes. */
		if (line_start(p->buf, from, &ind, &nl) && ind > 0 && p->buf[ind - 1] == '\n')
			from = ind - strlen(nl);
		buf_add(out, p->buf, from);
		s->new_from = s->new_to = out->len;
		buf_add(out, p->buf + p->cpu_end, p->len - p->cpu_end);
		return 0;
	}
	layout_at(p, p->cpu_start, &l);
	cpu_step(p, &p->cpu, &l);
	buf_add(out, p->buf, p->cpu_start);
	r = put_cpu(out, ar, c, &p->cpu, &l, s);
	buf_add(out, p->buf + p->cpu_end, p->len - p->cpu_end);
	return r;
}

int splice_cpu(const struct domdoc *d, struct arena *ar, const struct cpu *c, struct splice *s)
{
	struct buf out = {0};
	int r;

	*s = (struct splice){0};
	r = splice_into(d, ar, c, &out, s);
	if (r >= 0 && out.oom)
		r = -ENOMEM;
	if (r < 0) {
		free(out.p);
		return r;
	}
	s->out = out.p;
	s->len = out.len;
	return 0;
}
