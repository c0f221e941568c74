// SPDX-License-Identifier: LGPL-2.1-or-later
/* The model of a <cpu>: attributes and children, compared, copied and changed. */
#include "domxml-cpu.h"

#include <errno.h>
#include <string.h>

const char *const kind_names[] = {
    [K_MODEL] = "model", [K_VENDOR] = "vendor",		  [K_TOPOLOGY] = "topology",
    [K_CACHE] = "cache", [K_MAXPHYSADDR] = "maxphysaddr", [K_FEATURE] = "feature",
    [K_NUMA] = "numa",
};

const char *attr_get(const struct attrs *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].name, name))
			return a->v[i].value;
	return NULL;
}

/* Set (or with @value NULL remove) attribute @name. Returns 1 if that changed anything,
 * 0 if not, -ENOMEM. */
int attr_set(struct arena *ar, struct attrs *a, const char *name, const char *value)
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

bool attrs_equal(const struct attrs *a, const struct attrs *b)
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

bool str_equal(const char *a, const char *b)
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

bool cpu_empty(const struct cpu *c)
{
	return !c->attrs.n && !c->nkids;
}

/* Same meaning: an empty <cpu/> means no <cpu>, as libvirt reads it. */
bool cpu_equal(const struct cpu *a, const struct cpu *b)
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

int cpu_reserve(struct arena *ar, struct cpu *c, size_t n)
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
int cpu_copy(struct arena *ar, struct cpu *dst, const struct cpu *src)
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

int kid_find(const struct cpu *c, enum kind kind)
{
	for (size_t i = 0; i < c->nkids; i++)
		if (c->kids[i].kind == kind)
			return (int)i;
	return -1;
}

int feature_find(const struct cpu *c, const char *name)
{
	for (size_t i = 0; i < c->nkids; i++)
		if (c->kids[i].kind == K_FEATURE &&
		    str_equal(attr_get(&c->kids[i].attrs, "name"), name))
			return (int)i;
	return -1;
}

void kid_remove(struct cpu *c, size_t i)
{
	memmove(&c->kids[i], &c->kids[i + 1], (c->nkids - i - 1) * sizeof(*c->kids));
	c->nkids--;
}

/* A new child of @kind, placed after the last child that libvirt writes before or with it. */
struct kid *kid_add(struct arena *ar, struct cpu *c, enum kind kind)
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

void cpu_clear(struct cpu *c)
{
	c->attrs.n = 0;
	c->nkids = 0;
}

bool in_set(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

const char *cpu_mode(const struct cpu *c)
{
	const char *m = attr_get(&c->attrs, "mode");

	return m ? m : "custom";
}

const char *model_name(const struct cpu *c)
{
	int i = kid_find(c, K_MODEL);

	return i < 0 ? NULL : c->kids[i].text;
}

/* A feature's policy; libvirt reads a missing one as "require". NULL when absent. */
const char *feature_policy(const struct cpu *c, const char *name)
{
	int i = feature_find(c, name);
	const char *pol;

	if (i < 0)
		return NULL;
	pol = attr_get(&c->kids[i].attrs, "policy");
	return pol ? pol : "require";
}
