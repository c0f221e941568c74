// SPDX-License-Identifier: LGPL-2.1-or-later
/* What libvirt's parser (virCPUDefParseXML) would refuse in a guest <cpu>. */
#include "domxml-reject.h"

#include <string.h>

#include "cpuspec.h"

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

const char *libvirt_rejects(const struct cpu *c)
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
