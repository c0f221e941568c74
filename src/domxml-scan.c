// SPDX-License-Identifier: LGPL-2.1-or-later
/* Reading a domain document with the byte positions of <domain>'s children and of <cpu>. */
#include "domxml-scan.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "domxml-numaref.h"

struct text {
	char *p;
	size_t len, cap;
};

struct parse {
	struct domdoc *d;
	xmlParserCtxtPtr ctxt;
	struct arena *ar;
	int err; /* -ENOMEM */
	int depth;
	size_t topcap;
	bool in_os, in_cpu, in_metadata, os_type_seen;
	const char *path[NUMAREF_DEPTH]; /* the open elements below <domain> (parser's names) */
	struct kid *kid;		 /* the open child of <cpu> */
	bool kid_text;			 /* the open child's text matters (model, vendor) */
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
	if (!p->d->invalid)
		p->d->invalid = why;
	stop(p);
}

static void set_unusual(struct parse *p, const char *why)
{
	if (!p->d->cpu.unusual)
		p->d->cpu.unusual = why;
}

/* The byte offset the parser has reached. */
static size_t pos(struct parse *p)
{
	long c = xmlByteConsumed(p->ctxt);

	if (c < 0 || (size_t)c > p->d->len)
		return p->d->len + 1; /* rejected by the checks that use it */
	return (size_t)c;
}

/* The start of the tag whose attributes end at @end: attribute values cannot hold '<'. */
static size_t tag_start(struct parse *p, size_t end)
{
	while (end > 0 && end <= p->d->len && p->d->buf[end] != '<')
		end--;
	return end;
}

/* The element's name as its bytes spell it. */
static bool bytes_are(struct parse *p, size_t at, const char *s)
{
	size_t n = strlen(s);

	return at + n <= p->d->len && !memcmp(p->d->buf + at, s, n);
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
	p->d->root_start = tag_start(p, end);
	p->d->type = find_attr(nattr, attrs, "type", p);
}

static void start_top(struct parse *p, const xmlChar *name, const xmlChar *uri, int nattr,
		      const xmlChar **attrs, int nns, size_t end)
{
	struct top *t;

	if (p->d->ntops == p->topcap) {
		size_t cap = p->topcap ? 2 * p->topcap : 32;

		t = arena_alloc(p->ar, cap * sizeof(*t));
		if (!t)
			return fail_oom(p);
		if (p->d->ntops)
			memcpy(t, p->d->tops, p->d->ntops * sizeof(*t));
		p->d->tops = t;
		p->topcap = cap;
	}
	t = &p->d->tops[p->d->ntops++];
	t->name = uri ? NULL : (const char *)name; /* names live in the parser's dictionary */
	t->start = tag_start(p, end);
	t->end = 0;
	if (!t->name)
		return;
	t->name = arena_strndup(p->ar, t->name, strlen(t->name));
	if (!t->name)
		return fail_oom(p);
	p->in_os = !strcmp(t->name, "os");
	p->in_metadata = !strcmp(t->name, "metadata");
	if (strcmp(t->name, "cpu"))
		return;
	if (++p->d->ncpu > 1)
		return refuse(p, "has more than one <cpu>");
	p->in_cpu = true;
	p->d->cpu_start = t->start;
	p->d->cpu.present = true;
	p->d->cpu.tag = p->d->buf + t->start;
	p->d->cpu.tag_len = end - t->start;
	if (nns)
		set_unusual(p, "<cpu> declares XML namespaces");
	if (read_attrs(p, nattr, attrs, &p->d->cpu.attrs) < 0)
		fail_oom(p);
}

/* The namespace declarations of an element as attributes: xmlns='…', xmlns:p='…'. */
static int read_ns(struct parse *p, int n, const xmlChar **ns, struct attrs *out)
{
	out->n = 0;
	out->v = NULL;
	if (n <= 0)
		return 0;
	out->v = arena_alloc(p->ar, (size_t)n * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (int i = 0; i < n; i++, ns += 2) {
		const char *prefix = (const char *)ns[0],
			   *uri = (const char *)(ns[1] ? ns[1] : (const xmlChar *)"");
		size_t lp = prefix ? strlen(prefix) + 1 : 0;
		char *q = arena_alloc(p->ar, lp + 6);

		if (!q)
			return -ENOMEM;
		memcpy(q, "xmlns", 6);
		if (prefix) {
			q[5] = ':';
			memcpy(q + 6, prefix, lp);
		}
		out->v[i].name = q;
		out->v[i].value = arena_strndup(p->ar, uri, strlen(uri));
		if (!out->v[i].value)
			return -ENOMEM;
	}
	out->n = (size_t)n;
	return 0;
}

static void start_cpu_kid(struct parse *p, const xmlChar *name, const xmlChar *uri, int nns,
			  const xmlChar **ns, int nattr, const xmlChar **attrs, size_t end)
{
	struct kid *k;

	if (cpu_reserve(p->ar, &p->d->cpu, 1) < 0)
		return fail_oom(p);
	k = &p->d->cpu.kids[p->d->cpu.nkids++];
	*k = (struct kid){.kind = kind_of(name, uri), .raw = p->d->buf + tag_start(p, end)};
	if (read_attrs(p, nattr, attrs, &k->attrs) < 0 || read_ns(p, nns, ns, &k->ns) < 0)
		return fail_oom(p);
	p->kid = k;
	p->kid_text = k->kind == K_MODEL || k->kind == K_VENDOR;
	p->text.len = 0;
}

/* Do the bytes at the tag start @start spell "<prefix:name"? */
static bool tag_matches(struct parse *p, size_t start, const xmlChar *prefix, const xmlChar *name)
{
	size_t at = start + 1;

	if (p->d->buf[start] != '<')
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

/* Note the first element outside <cpu> that refers to a guest NUMA cell. */
static void note_numa_ref(struct parse *p, const xmlChar *name, const xmlChar *uri, int nattr,
			  const xmlChar **attrs)
{
	size_t n = (size_t)p->depth - 1;
	const char *attr, *value = NULL;

	if (n < 1 || n > NUMAREF_DEPTH)
		return;
	p->path[n - 1] = uri ? NULL : (const char *)name;
	if (p->in_cpu || p->d->numa_ref || !numaref_match(p->path, n, &attr))
		return;
	if (attr && !(value = find_attr(nattr, attrs, attr, p)))
		return;
	p->d->numa_ref = numaref_describe(p->ar, p->path, n, attr, value);
	if (!p->d->numa_ref)
		fail_oom(p);
}

/* Who wrote this <metadata> child: management layers are known by their namespace. */
static void note_meta_ns(struct parse *p, const xmlChar *uri)
{
	const char *u = (const char *)uri;

	if (!u || p->d->nmeta_ns == DOMDOC_MAX_META_NS)
		return;
	p->d->meta_ns[p->d->nmeta_ns] = arena_strndup(p->ar, u, strlen(u));
	if (!p->d->meta_ns[p->d->nmeta_ns++])
		fail_oom(p);
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
		     int nns, const xmlChar **ns, int nattr, int ndefaulted, const xmlChar **attrs)
{
	struct parse *p = ctx;
	size_t end = pos(p);

	(void)ndefaulted;
	p->depth++;
	if (end >= p->d->len || !tag_matches(p, tag_start(p, end), prefix, name))
		return refuse(p, "the parser's positions do not match the bytes");
	note_numa_ref(p, name, uri, nattr, attrs);
	if (p->depth == 1)
		return start_root(p, name, uri, nattr, attrs, end);
	if (p->depth == 2)
		return start_top(p, name, uri, nattr, attrs, nns, end);
	if (p->depth == 3 && p->in_os && !p->os_type_seen && !uri &&
	    !strcmp((const char *)name, "type")) {
		p->os_type_seen = true;
		p->d->arch = find_attr(nattr, attrs, "arch", p);
		return;
	}
	if (p->depth == 3 && p->in_metadata)
		return note_meta_ns(p, uri);
	if (!p->in_cpu)
		return;
	if (p->depth == 3)
		return start_cpu_kid(p, name, uri, nns, ns, nattr, attrs, end);
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

	k->raw_len = (size_t)(p->d->buf + end - k->raw);
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
	if (end > p->d->len || end == 0 || p->d->buf[end - 1] != '>')
		refuse(p, "the parser's positions do not match the bytes");
	else if (p->depth == 3 && p->in_cpu && p->kid)
		end_cpu_kid(p, end);
	else if (p->depth == 2 && p->d->ntops) {
		p->d->tops[p->d->ntops - 1].end = end;
		if (p->in_cpu)
			p->d->cpu_end = end;
		p->in_os = p->in_cpu = p->in_metadata = false;
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
	if (end > p->d->len || end < 7 || memcmp(p->d->buf + end - 3, "-->", 3))
		return refuse(p, "the parser's positions do not match the bytes");
	/* A comment cannot contain "--", so the nearest "<!--" before its end is its start. */
	for (start = end - 7;; start--) {
		if (!memcmp(p->d->buf + start, "<!--", 4))
			break;
		if (start == 0)
			return refuse(p, "the parser's positions do not match the bytes");
	}
	if (cpu_reserve(p->ar, &p->d->cpu, 1) < 0)
		return fail_oom(p);
	k = &p->d->cpu.kids[p->d->cpu.nkids++];
	*k = (struct kid){.kind = K_COMMENT, .raw = p->d->buf + start, .raw_len = end - start};
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
	p->d->invalid = arena_strndup(p->ar, msg, n + 1);
	if (!p->d->invalid)
		return "not well-formed XML";
	((char *)p->d->invalid)[n] = ')';
	return p->d->invalid;
}

/* Parse @p->d->buf; afterwards p->err (process failure) or p->d->invalid (document refused) or
 * the fields describe the document. */
static void parse_doc(struct parse *p)
{
	xmlParserCtxtPtr ctxt;

	if (p->d->len > INT32_MAX || p->d->len == 0) {
		p->d->invalid = p->d->len ? "too large" : "empty";
		return;
	}
	ctxt = xmlCreateMemoryParserCtxt(p->d->buf, (int)p->d->len);
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
	p->d->ns_ok = ctxt->nsWellFormed;
	if (!p->err && !p->d->invalid && !ctxt->wellFormed)
		p->d->invalid = parse_error(p);
	if (!p->err && !p->d->invalid && ctxt->input && ctxt->input->buf &&
	    ctxt->input->buf->encoder)
		p->d->invalid = "is not UTF-8 (only UTF-8 documents are edited)";
	if (!p->err && !p->d->invalid && p->depth != 0)
		p->d->invalid = "not well-formed XML";
	if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	xmlFreeParserCtxt(ctxt);
	p->ctxt = NULL;
	free(p->text.p);
	p->text.p = NULL;
}

int domdoc_scan(struct arena *ar, const char *buf, size_t len, struct domdoc *doc)
{
	struct parse p = {.d = doc, .ar = ar};

	*doc = (struct domdoc){.buf = buf, .len = len};
	parse_doc(&p);
	return p.err;
}
