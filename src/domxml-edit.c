// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Editing the model of a <cpu>: the request applied the way virt-xml would (SPEC) or by the
 * rules of --mode (feature, disable, host-passthrough, host-model).
 */
#include "domxml-edit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cpumap.h"
#include "cpuspec.h"

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

static bool policy_on(const char *policy)
{
	return policy && (!strcmp(policy, "require") || !strcmp(policy, "force"));
}

static bool policy_off(const char *policy)
{
	return policy && (!strcmp(policy, "disable") || !strcmp(policy, "forbid"));
}

/* The user's check on AMD is "svm and npt": without npt (nested paging) a guest runs its own
 * guests with shadow paging only. QEMU's EPYC models carry npt, its Opteron models and qemu64
 * do not; libvirt's map lists it only for EPYC-Rome/Milan. So --mode feature requires npt
 * wherever libvirt's definition of the model lacks it (docs/rewrite-edit.md: why EPYC too).
 * Called once svm is on: npt without svm means nothing to QEMU. An npt the document already
 * disables stays disabled (the admin's word); without a map, npt is required (an explicit
 * require of what the model already lists changes nothing). */
static int ensure_npt(struct edit *e, char *note, size_t len)
{
	const char *old = feature_policy(e->c, "npt");
	const char *model = model_name(e->c);
	int r;

	if (policy_on(old) || policy_off(old))
		return 0;
	if (!old && model && !strcmp(cpu_mode(e->c), "custom") && e->req->map &&
	    cpumap_model_has_feature(e->req->map, model, "npt"))
		return 0;
	r = set_feature(e, "npt", "require");
	if (r >= 0)
		snprintf(note, len, old ? "; npt: policy '%s' -> 'require'" : "; added npt '%s'",
			 old ? old : "require");
	return r;
}

/* --mode feature / disable: the vendor feature with @policy (and npt with svm, above). */
static int edit_feature(struct edit *e, const char *policy, struct domxml_result *res)
{
	const char *vf = e->req->vendor_feature;
	const char *old = feature_policy(e->c, vf);
	const char *mode = cpu_mode(e->c);
	bool enable = !strcmp(policy, "require");
	char npt[48] = "";
	int r;

	if (old && !enable && policy_off(old))
		return 0;
	if (!old && enable && (!strcmp(mode, "host-passthrough") || !strcmp(mode, "maximum"))) {
		snprintf(res->reason, sizeof(res->reason), "%s already passes %s through", mode,
			 vf);
		return 0;
	}
	if (enable && policy_on(old)) {
		/* Only npt may be missing: a domain an older nestvirt rewrote. */
		if (strcmp(vf, "svm") || needs_model(e->c))
			return 0;
		r = ensure_npt(e, npt, sizeof(npt));
		snprintf(e->what, sizeof(e->what), "%s is already '%s'%s", vf, old, npt);
		return r;
	}
	if (needs_model(e->c)) {
		r = add_default_model(e, NULL);
		if (r < 0)
			return r;
	}
	r = set_feature(e, vf, policy);
	if (r >= 0 && enable && !strcmp(vf, "svm"))
		r = ensure_npt(e, npt, sizeof(npt));
	if (old)
		snprintf(e->what, sizeof(e->what), "%s: policy '%s' -> '%s'%s", vf, old, policy,
			 npt);
	else if (e->added_model)
		snprintf(e->what, sizeof(e->what),
			 "no CPU model: wrote libvirt's default %s (check='none') with %s '%s'%s",
			 e->added_model, vf, policy, npt);
	else
		snprintf(e->what, sizeof(e->what), "added %s with policy '%s'%s", vf, policy, npt);
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

int edit_cpu(struct edit *e, struct domxml_result *res)
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
