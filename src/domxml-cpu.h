/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domxml-arena.h"

/*
 * The model of one <cpu>: its attributes, and each child with its original bytes plus, for
 * the children the edit may change (model, vendor, topology, cache, feature), its attributes
 * and text. Strings are shared between copies and never changed in place. Internal to
 * domxml*.c.
 */

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

/* The element names of K_MODEL … K_NUMA. */
extern const char *const kind_names[];

struct kid {
	enum kind kind;
	bool dirty;	 /* new or changed: written from attrs/text, not copied */
	const char *raw; /* the original bytes, NULL for a new element */
	size_t raw_len;
	struct attrs attrs;
	struct attrs ns;  /* namespace declarations on the element itself, written back with it */
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

/* The value of attribute @name, or NULL. */
const char *attr_get(const struct attrs *a, const char *name);
/* Set (or with @value NULL remove) attribute @name. Returns 1 if that changed anything,
 * 0 if not, -ENOMEM. */
int attr_set(struct arena *ar, struct attrs *a, const char *name, const char *value);
/* Same attributes with the same values, in any order. */
bool attrs_equal(const struct attrs *a, const struct attrs *b);
/* Both NULL or both the same string. */
bool str_equal(const char *a, const char *b);
/* Whether @s is one of the NULL-terminated @set. */
bool in_set(const char *s, const char *const *set);

/* No attributes and no children. */
bool cpu_empty(const struct cpu *c);
/* Same meaning: an empty <cpu/> means no <cpu>, as libvirt reads it. */
bool cpu_equal(const struct cpu *a, const struct cpu *b);
/* Room for @n more children. 0 or -ENOMEM. */
int cpu_reserve(struct arena *ar, struct cpu *c, size_t n);
/* A copy of @src that can be edited without changing @src. 0 or -ENOMEM. */
int cpu_copy(struct arena *ar, struct cpu *dst, const struct cpu *src);
/* Drop every attribute and child. */
void cpu_clear(struct cpu *c);

/* The index of the first child of @kind, or -1. */
int kid_find(const struct cpu *c, enum kind kind);
/* The index of <feature name=@name>, or -1. */
int feature_find(const struct cpu *c, const char *name);
/* Remove child @i. */
void kid_remove(struct cpu *c, size_t i);
/* A new child of @kind, placed after the last child that libvirt writes before or with it;
 * NULL on ENOMEM. */
struct kid *kid_add(struct arena *ar, struct cpu *c, enum kind kind);

/* The mode attribute, "custom" when absent. */
const char *cpu_mode(const struct cpu *c);
/* The text of <model>, or NULL. */
const char *model_name(const struct cpu *c);
/* A feature's policy; libvirt reads a missing one as "require". NULL when absent. */
const char *feature_policy(const struct cpu *c, const char *name);
