/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domxml-arena.h"
#include "domxml-cpu.h"

/*
 * Reading a domain document: libxml2's SAX2 parser (no network, no entity substitution, no
 * DTD; a DOCTYPE is refused) reports each element with the parser's byte position, so the
 * exact bytes of <domain>'s children and of <cpu> and its children are known in the original
 * buffer, and the <cpu> is read into the model of domxml-cpu.h. Internal to domxml*.c.
 */

/* A child element of <domain>, where it is in the buffer. */
struct top {
	const char *name; /* NULL for a namespaced element */
	size_t start, end;
};

/* How many namespaces of <metadata>'s children are kept: libvirt allows one element per
 * namespace there, and management layers write one each. */
#define DOMDOC_MAX_META_NS 8

/* What the scan found. Pointers point into the buffer or the arena. */
struct domdoc {
	const char *buf;
	size_t len;
	const char *invalid; /* why the document is refused; NULL when it was read */
	bool ns_ok;	     /* every namespace prefix is declared (libxml2's nsWellFormed) */
	const char *type;    /* <domain type=…>, NULL when absent */
	const char *arch;    /* the first <os><type arch=…>, NULL when absent */
	size_t root_start;   /* where the <domain> start tag starts */
	struct top *tops;    /* <domain>'s child elements, in document order */
	size_t ntops;
	int ncpu;		   /* how many <cpu> children <domain> has (0 or 1 when read) */
	size_t cpu_start, cpu_end; /* the bytes of the <cpu> element */
	struct cpu cpu;		   /* its model (present false when there is none) */
	/* The first element outside <cpu> that refers to a guest NUMA cell, as
	 * "<numatune><memnode cellid='0'>"; NULL when none does. */
	const char *numa_ref;
	/* The namespace URIs of the elements directly inside <metadata> (<nova:instance
	 * xmlns:nova='…'> …), the first DOMDOC_MAX_META_NS, in document order. */
	const char *meta_ns[DOMDOC_MAX_META_NS];
	size_t nmeta_ns;
};

/* Read the @len bytes at @buf into @doc, allocating from @ar. Returns 0 (with doc->invalid
 * set when the document is refused) or -ENOMEM. */
int domdoc_scan(struct arena *ar, const char *buf, size_t len, struct domdoc *doc);
