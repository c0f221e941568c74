// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The --cpu SPEC parser. It follows virtinst 4.1 (cli.py: parse_optstr_tuples, ParserCPU)
 * step by step, so that a SPEC means here what it means to virt-install:
 *  1. split at commas like Python's shlex (posix, ',' as the only separator, quotes and
 *     backslash escapes honoured);
 *  2. "key=value" or a bare "key"; a bare first token is the model;
 *  3. a repeated option keeps its last value, except the feature policies, which collect
 *     every value; "+f" / "-f" add f to force / disable after the explicit ones;
 *  4. an empty value removes the property.
 * Where virt-install would write XML that libvirt rejects (an empty feature name, mode=foo,
 * a model "+vmx" made from a leading "+vmx"), this parser refuses the SPEC instead.
 */
#include "cpuspec.h"
#include "cpuspec-split.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A SPEC is one command-line argument; anything longer is not a CPU description. */
#define SPEC_MAX 4096

struct parser {
	struct cpuspec_tuples toks; /* in command-line order */
	struct cpuspec *spec;
	char *err;
	size_t errlen;
};

static const char *const policy_names[CPUSPEC_NPOLICIES] = {
    [CPUSPEC_FORCE] = "force",	   [CPUSPEC_REQUIRE] = "require", [CPUSPEC_OPTIONAL] = "optional",
    [CPUSPEC_DISABLE] = "disable", [CPUSPEC_FORBID] = "forbid",
};

static const char *const field_names[CPUSPEC_NFIELDS] = {
    [CPUSPEC_F_MODEL] = "model",
    [CPUSPEC_F_FALLBACK] = "model.fallback",
    [CPUSPEC_F_VENDOR_ID] = "model.vendor_id",
    [CPUSPEC_F_VENDOR] = "vendor",
    [CPUSPEC_F_MODE] = "mode",
    [CPUSPEC_F_MATCH] = "match",
    [CPUSPEC_F_CHECK] = "check",
    [CPUSPEC_F_MIGRATABLE] = "migratable",
    [CPUSPEC_F_SOCKETS] = "topology.sockets",
    [CPUSPEC_F_DIES] = "topology.dies",
    [CPUSPEC_F_CORES] = "topology.cores",
    [CPUSPEC_F_THREADS] = "topology.threads",
    [CPUSPEC_F_CACHE_LEVEL] = "cache.level",
    [CPUSPEC_F_CACHE_MODE] = "cache.mode",
};

const char *cpuspec_policy_name(enum cpuspec_policy policy)
{
	if ((unsigned)policy >= CPUSPEC_NPOLICIES)
		return NULL;
	return policy_names[policy];
}

const char *cpuspec_field_name(enum cpuspec_field field)
{
	if ((unsigned)field >= CPUSPEC_NFIELDS)
		return NULL;
	return field_names[field];
}

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int policy_of(const char *key)
{
	for (int i = 0; i < CPUSPEC_NPOLICIES; i++)
		if (!strcmp(key, policy_names[i]))
			return i;
	return -1;
}

static int field_of(const char *key)
{
	for (int i = 0; i < CPUSPEC_NFIELDS; i++)
		if (!strcmp(key, field_names[i]))
			return i;
	return -1;
}

/* Options virt-install knows but nestvirt does not edit: NUMA cells and raw XPath edits. */
static bool is_unsupported(const char *key)
{
	return !strncmp(key, "numa.", 5) || !strncmp(key, "cell", 4) || !strncmp(key, "xpath", 5);
}

/* libvirt's CPU model and feature names: "Haswell-noTSX-IBRS", "sse4.1", "lahf_lm". */
static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* Free-form values (vendor, vendor_id, fallback) are printable ASCII, as every name libvirt
 * uses is: no control characters, nothing that would not be valid UTF-8 in the document. */
static bool is_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

/* virtinst's _on_off_convert: 1 true, 0 false, -1 neither. */
static int on_off(const char *s)
{
	static const char *const t[] = {"y", "yes", "1", "true", "t", "on", NULL};
	static const char *const f[] = {"n", "no", "0", "false", "f", "off", NULL};

	for (int i = 0; t[i]; i++)
		if (!strcasecmp(s, t[i]))
			return 1;
	for (int i = 0; f[i]; i++)
		if (!strcasecmp(s, f[i]))
			return 0;
	return -1;
}

bool cpuspec_is_count(const char *s)
{
	unsigned long long v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > 0xffffffffULL)
			return false;
	}
	return v > 0;
}

static int check_model(struct parser *p, const char *v)
{
	static const char *const offline[] = {"host-model-only", "host-copy", "default", NULL};

	if (one_of(v, offline))
		return fail(p,
			    "model '%s' needs the host CPU as a running libvirt reports it; "
			    "not available offline (use host-model or a model name)",
			    v);
	if (*v == '+' || *v == '-')
		return fail(p,
			    "'%s': a bare first token is the CPU model (virt-install syntax); "
			    "write MODEL,%s or force=%s",
			    v, v, v + 1);
	if (!is_name(v))
		return fail(p, "'%s' is not a CPU model name", v);
	return 0;
}

/* Check the value of scalar @field; @v is non-empty. */
static int check_value(struct parser *p, enum cpuspec_field field, const char *v)
{
	static const char *const modes[] = {"custom", "host-model", "host-passthrough", "maximum",
					    NULL};
	static const char *const matches[] = {"exact", "minimum", "strict", NULL};
	static const char *const checks[] = {"default", "none", "partial", "full", NULL};
	static const char *const cache_modes[] = {"emulate", "passthrough", "disable", NULL};
	const char *name = field_names[field];

	switch (field) {
	case CPUSPEC_F_MODEL:
		return check_model(p, v);
	case CPUSPEC_F_FALLBACK:
	case CPUSPEC_F_VENDOR_ID:
		/* libvirt checks these only where it uses them (not for host-passthrough):
		 * domxml.c checks the resulting <cpu> the same way. */
		if (!is_printable(v))
			return fail(p, "%s=%s: not a valid value", name, v);
		return 0;
	case CPUSPEC_F_VENDOR:
		if (!is_printable(v))
			return fail(p, "%s=%s: not a vendor name", name, v);
		return 0;
	case CPUSPEC_F_MODE:
		if (!one_of(v, modes))
			return fail(
			    p, "%s=%s: expected custom, host-model, host-passthrough or maximum",
			    name, v);
		return 0;
	case CPUSPEC_F_MATCH:
		if (!one_of(v, matches))
			return fail(p, "%s=%s: expected exact, minimum or strict", name, v);
		return 0;
	case CPUSPEC_F_CHECK:
		if (!one_of(v, checks))
			return fail(p, "%s=%s: expected none, partial or full", name, v);
		return 0;
	case CPUSPEC_F_MIGRATABLE:
		if (on_off(v) < 0)
			return fail(p, "%s=%s: expected on or off", name, v);
		return 0;
	case CPUSPEC_F_CACHE_LEVEL:
		if (strcmp(v, "1") && strcmp(v, "2") && strcmp(v, "3"))
			return fail(p, "%s=%s: expected 1, 2 or 3", name, v);
		return 0;
	case CPUSPEC_F_CACHE_MODE:
		if (!one_of(v, cache_modes))
			return fail(p, "%s=%s: expected emulate, passthrough or disable", name, v);
		return 0;
	default:
		if (!cpuspec_is_count(v))
			return fail(p, "%s=%s: expected a positive number", name, v);
		return 0;
	}
}

static enum cpuspec_special special_of(const char *v)
{
	static const char *const clear[] = {"none", "clear", "hv-default", NULL};

	if (!strcmp(v, "host") || !strcmp(v, "host-model"))
		return CPUSPEC_HOST_MODEL;
	if (!strcmp(v, "host-passthrough"))
		return CPUSPEC_HOST_PASSTHROUGH;
	if (one_of(v, clear))
		return CPUSPEC_CLEAR;
	return CPUSPEC_MODEL;
}

/* Record scalar option @field = @v (the last occurrence wins, as in virt-install). */
static int set_field(struct parser *p, enum cpuspec_field field, const char *v)
{
	struct cpuspec_opt *o = &p->spec->opt[field];
	char *dup = NULL;
	int r;

	if (field == CPUSPEC_F_MODEL && *v)
		p->spec->special = special_of(v);
	if (*v && (field != CPUSPEC_F_MODEL || p->spec->special == CPUSPEC_MODEL)) {
		r = check_value(p, field, v);
		if (r < 0)
			return r;
		if (field == CPUSPEC_F_MIGRATABLE)
			v = on_off(v) ? "on" : "off";
		dup = strdup(v);
		if (!dup)
			return -ENOMEM;
	} else if (!*v && field == CPUSPEC_F_MODEL) {
		p->spec->special = CPUSPEC_MODEL;
	}
	free(o->value);
	o->set = true;
	o->value = dup;
	return 0;
}

static int add_feature(struct parser *p, const char *name, enum cpuspec_policy policy,
		       const char *token)
{
	struct cpuspec *s = p->spec;
	struct cpuspec_feature *v;

	if (!is_name(name))
		return fail(p, "'%s': '%s' is not a CPU feature name", token, name);
	v = realloc(s->features, (s->nfeatures + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->features = v;
	v[s->nfeatures].name = strdup(name);
	if (!v[s->nfeatures].name)
		return -ENOMEM;
	v[s->nfeatures++].policy = policy;
	return 0;
}

/* The last occurrence of the key of token @i: its value is the one that counts. */
static const struct cpuspec_tuple *last_of_key(const struct parser *p, size_t i)
{
	const struct cpuspec_tuple *t = &p->toks.v[i];

	for (size_t j = i + 1; j < p->toks.n; j++)
		if (!strcmp(p->toks.v[j].key, t->key))
			t = &p->toks.v[j];
	return t;
}

/* Is token @i the first occurrence of its key? (virt-install keeps one entry per key, at the
 * place of its first occurrence.) */
static bool first_of_key(const struct parser *p, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (!strcmp(p->toks.v[j].key, p->toks.v[i].key))
			return false;
	return true;
}

/* The policy a "+f" / "-f" key stands for when its value is empty, as virt-install converts
 * it; -1 for any other key. */
static int plus_minus(const char *key, const char *val)
{
	if ((val && *val) || strlen(key) < 2)
		return -1;
	if (key[0] == '+')
		return CPUSPEC_FORCE;
	if (key[0] == '-')
		return CPUSPEC_DISABLE;
	return -1;
}

/* Features of @policy: the explicit "policy=f" values in order, then the "+f" / "-f" ones. */
static int collect_features(struct parser *p, enum cpuspec_policy policy)
{
	const char *pname = policy_names[policy];
	int r;

	for (size_t i = 0; i < p->toks.n; i++) {
		const struct cpuspec_tuple *t = &p->toks.v[i];

		if (strcmp(t->key, pname))
			continue;
		if (!t->val || !*t->val)
			return fail(p, "'%s%s': needs a feature name", pname, t->val ? "=" : "");
		r = add_feature(p, t->val, policy, t->key);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < p->toks.n; i++) {
		const struct cpuspec_tuple *t = &p->toks.v[i];

		if (!first_of_key(p, i) ||
		    plus_minus(t->key, last_of_key(p, i)->val) != (int)policy)
			continue;
		r = add_feature(p, t->key + 1, policy, t->key);
		if (r < 0)
			return r;
	}
	return 0;
}

static int set_switch(struct parser *p, const char *key, const char *v, bool *ret)
{
	int b;

	if (!*v) /* an empty value is no value: nothing to do */
		return 0;
	b = on_off(v);
	if (b < 0)
		return fail(p, "%s=%s: expected yes or no", key, v);
	if (ret)
		*ret = b;
	return 0;
}

/* One option (token @i is the first occurrence of its key; its last occurrence counts). */
static int parse_option(struct parser *p, size_t i)
{
	const char *key = p->toks.v[i].key;
	const char *val = last_of_key(p, i)->val;
	int field;

	if (policy_of(key) >= 0 || plus_minus(key, val) >= 0)
		return 0; /* collect_features */
	field = field_of(key);
	if (field < 0 && strcmp(key, "clearxml") && strcmp(key, "secure")) {
		if (is_unsupported(key))
			return fail(p,
				    "option '%s' is not supported by nestvirt (it edits the CPU "
				    "model, vendor, mode, topology, cache and features)",
				    key);
		return fail(p, "unknown option '%s'", key);
	}
	if (!val)
		return fail(p, "option '%s' needs a value", key);
	if (!strcmp(key, "clearxml"))
		return set_switch(p, key, val, &p->spec->clearxml);
	/* secure= only adds the host's security features, which only a running libvirt knows */
	if (!strcmp(key, "secure"))
		return set_switch(p, key, val, NULL);
	return set_field(p, field, val);
}

/* virt-install's remove_first: a bare first token is the model. */
static int first_is_model(struct parser *p)
{
	struct cpuspec_tuple *t = &p->toks.v[0];
	char *tok;

	if (t->val)
		return 0;
	tok = malloc(strlen(t->key) + sizeof("model="));
	if (!tok)
		return -ENOMEM;
	strcpy(tok, "model=");
	strcat(tok, t->key);
	free(t->key);
	t->key = tok;
	t->key[5] = '\0';
	t->val = tok + 6;
	return 0;
}

void cpuspec_free(struct cpuspec *spec)
{
	if (!spec)
		return;
	for (size_t i = 0; i < CPUSPEC_NFIELDS; i++)
		free(spec->opt[i].value);
	for (size_t i = 0; i < spec->nfeatures; i++)
		free(spec->features[i].name);
	free(spec->features);
	free(spec);
}

static int parse(struct parser *p, const char *text)
{
	int r;

	if (strlen(text) > SPEC_MAX)
		return fail(p, "longer than %d characters", SPEC_MAX);
	r = cpuspec_split(text, &p->toks, p->err, p->errlen);
	if (r < 0)
		return r;
	if (!p->toks.n)
		return fail(p, "empty");
	r = first_is_model(p);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p->toks.n; i++) {
		if (!first_of_key(p, i))
			continue;
		r = parse_option(p, i);
		if (r < 0)
			return r;
	}
	for (int pol = 0; pol < CPUSPEC_NPOLICIES; pol++) {
		r = collect_features(p, pol);
		if (r < 0)
			return r;
	}
	return 0;
}

int cpuspec_parse(const char *text, struct cpuspec **ret, char *err, size_t errlen)
{
	struct parser p = {.err = err, .errlen = errlen};
	int r;

	if (errlen)
		err[0] = '\0';
	p.spec = calloc(1, sizeof(*p.spec));
	if (!p.spec)
		return -ENOMEM;
	r = parse(&p, text);
	cpuspec_tuples_free(&p.toks);
	if (r < 0) {
		if (r == -ENOMEM && errlen)
			snprintf(err, errlen, "out of memory");
		cpuspec_free(p.spec);
		return r;
	}
	*ret = p.spec;
	return 0;
}
