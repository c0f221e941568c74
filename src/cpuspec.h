/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * virt-install's --cpu SPEC, read the way Debian 12's virtinst (4.1) reads it:
 *   MODEL[,+feature][,-feature][,force|require|optional|disable|forbid=feature]...
 *   [,match=…][,vendor=…][,mode=…][,check=…][,migratable=on|off][,model.fallback=…]
 *   [,model.vendor_id=…][,topology.sockets|dies|cores|threads=N][,cache.level|mode=…]
 *   [,secure=on|off][,clearxml=yes]
 * The parser only records what the SPEC says, already checked; domxml.c applies it to a <cpu>
 * in virt-install's fixed option order (the order of enum cpuspec_field, then the features).
 */

enum cpuspec_policy {
	CPUSPEC_FORCE,
	CPUSPEC_REQUIRE,
	CPUSPEC_OPTIONAL,
	CPUSPEC_DISABLE,
	CPUSPEC_FORBID,
	CPUSPEC_NPOLICIES,
};

/* What the model option names: a CPU model, or one of virt-install's special modes. */
enum cpuspec_special {
	CPUSPEC_MODEL,		  /* a model name, or "model=" (remove the model) */
	CPUSPEC_HOST_MODEL,	  /* "host-model" or "host" */
	CPUSPEC_HOST_PASSTHROUGH, /* "host-passthrough" */
	CPUSPEC_CLEAR,		  /* "none", "clear", "hv-default": no <cpu> at all */
};

/* The scalar options, in the order virt-install applies them. */
enum cpuspec_field {
	CPUSPEC_F_MODEL,
	CPUSPEC_F_FALLBACK,  /* model.fallback */
	CPUSPEC_F_VENDOR_ID, /* model.vendor_id */
	CPUSPEC_F_VENDOR,
	CPUSPEC_F_MODE,
	CPUSPEC_F_MATCH,
	CPUSPEC_F_CHECK,
	CPUSPEC_F_MIGRATABLE, /* normalized to "on" / "off" */
	CPUSPEC_F_SOCKETS,    /* topology.* */
	CPUSPEC_F_DIES,
	CPUSPEC_F_CORES,
	CPUSPEC_F_THREADS,
	CPUSPEC_F_CACHE_LEVEL, /* cache.* */
	CPUSPEC_F_CACHE_MODE,
	CPUSPEC_NFIELDS,
};

/* One scalar option: whether the SPEC gives it, and its value. An empty value ("match=")
 * is recorded as set with value NULL: it removes the property. */
struct cpuspec_opt {
	bool set;
	char *value;
};

struct cpuspec_feature {
	char *name;
	enum cpuspec_policy policy;
};

struct cpuspec {
	bool clearxml;		      /* clearxml=yes: start from an empty <cpu> */
	enum cpuspec_special special; /* meaningful when opt[CPUSPEC_F_MODEL].set */
	struct cpuspec_opt opt[CPUSPEC_NFIELDS];
	struct cpuspec_feature *features; /* in the order virt-install applies them */
	size_t nfeatures;
};

/* Parse @text. Returns 0 and a new spec in *@ret, or -EINVAL with a one-line reason naming
 * the offending token in @err (e.g. "unknown option 'foo'"), or -ENOMEM. */
int cpuspec_parse(const char *text, struct cpuspec **ret, char *err, size_t errlen);

/* Free a spec from cpuspec_parse (NULL is fine). */
void cpuspec_free(struct cpuspec *spec);

/* Whether @s (may be NULL) is a positive decimal that fits 32 bits, as libvirt wants for
 * topology counts. */
bool cpuspec_is_count(const char *s);

/* "force", "require", "optional", "disable", "forbid"; NULL when out of range. */
const char *cpuspec_policy_name(enum cpuspec_policy policy);

/* The SPEC name of a field: "model", "model.fallback", "topology.sockets" … */
const char *cpuspec_field_name(enum cpuspec_field field);
