// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Will a stored domain see vmx/svm at its next start? Decided from its <cpu> and the host,
 * by the facts of docs/guests.md (measured or read from libvirt's and QEMU's sources):
 * - an explicit <feature name='vmx|svm'> with require/force is passed to QEMU: the guest sees
 *   it when the host's nesting is on. When it is off, libvirt's check='full' refuses to start
 *   the guest (it compares what QEMU really gives); check='partial' (the default for custom
 *   and host-model) compares with the host CPU's own flags, so it refuses only when the host
 *   CPU lacks the flag, and otherwise the guest starts without it, as with check='none'
 *   (QEMU only warns). Measured with libvirt 9.0 in the L2 VM test (docs/l2-proof.md);
 * - host-passthrough and maximum give the guest what KVM offers: the flag iff nesting is on;
 * - host-model is libvirt's expansion of the host CPU: it carries the flag when KVM offers it
 *   (likely, not certain: it depends on the libvirt and QEMU versions);
 * - a named model without the feature: QEMU turns svm off for its named models under KVM and
 *   no Intel model carries vmx, so the guest does not see it; no <cpu> means qemu64, the same.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domxml-facts.h"
#include "guests-int.h"

static const char *const policies[] = {"", "require", "force", "optional", "disable", "forbid"};

static unsigned char policy_of(const char *p)
{
	for (unsigned char i = 1; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (!strcmp(p, policies[i]))
			return i;
	return P_NONE;
}

static unsigned char check_of(const char *c)
{
	if (!*c)
		return 0;
	if (!strcmp(c, "none"))
		return 1;
	if (!strcmp(c, "partial"))
		return 2;
	return !strcmp(c, "full") ? 3 : 4;
}

static bool is_x86(const char *arch)
{
	static const char *const x86[] = {"", "x86_64", "i686", "i586", "i486", "i386"};

	for (size_t i = 0; i < sizeof(x86) / sizeof(x86[0]); i++)
		if (!strcmp(arch, x86[i]))
			return true;
	return false;
}

int guests_host_nesting(const struct guests_host *host)
{
	if (host->virt_flag == 0 || host->nested == 0)
		return 0;
	return host->virt_flag == 1 && host->nested == 1 ? 1 : -1;
}

const char *guest_flag_name(const struct guest *g)
{
	return g->flag == 0 ? "vmx" : g->flag == 1 ? "svm" : "vmx/svm";
}

void guest_host_flag(const struct guests_host *host, struct guest *g)
{
	if (host->module == KVM_MODULE_INTEL || host->module == KVM_MODULE_AMD)
		g->flag = host->module == KVM_MODULE_INTEL ? 0 : 1;
	else
		g->flag = 2;
}

/* The feature that matters: the host's; for an unknown host the one the domain names. */
static const char *pick_flag(const struct domxml_facts *f, const struct guests_host *host,
			     struct guest *g)
{
	guest_host_flag(host, g);
	if (g->flag == 2 && *f->vmx && !*f->svm)
		g->flag = 0;
	else if (g->flag == 2 && *f->svm && !*f->vmx)
		g->flag = 1;
	return g->flag == 0 ? f->vmx : g->flag == 1 ? f->svm : "";
}

static void set(struct guest *g, enum guest_why why, enum guest_sees sees, enum guest_start start)
{
	g->why = why;
	g->sees = sees;
	g->start = start;
}

/* The tri-state of the host's nesting as what the guest sees. */
static enum guest_sees sees_of(int nesting)
{
	return nesting > 0 ? S_YES : nesting == 0 ? S_NO : S_UNKNOWN;
}

/* A required feature the guest will not get: does libvirt refuse to start it? */
static enum guest_start start_without_nesting(const struct guest *g, int virt_flag)
{
	if (g->check == 1)
		return ST_WITHOUT;
	if (g->check == 3 || virt_flag == 0)
		return ST_FAILS;
	/* partial (or its default): checked against the host CPU, which has the flag */
	return virt_flag == 1 ? ST_WITHOUT : ST_UNKNOWN;
}

static void predict_feature(struct guest *g, int nesting, int virt_flag)
{
	switch (g->policy) {
	case P_REQUIRE:
	case P_FORCE:
		if (nesting != 0)
			return set(g, W_FEATURE, sees_of(nesting),
				   nesting > 0 ? ST_OK : ST_UNKNOWN);
		return set(g, W_FEATURE, S_NO, start_without_nesting(g, virt_flag));
	case P_OPTIONAL:
		return set(g, W_OPTIONAL, sees_of(nesting),
			   nesting > 0	  ? ST_OK
			   : nesting == 0 ? ST_WITHOUT
					  : ST_UNKNOWN);
	default:
		/* libvirt refuses to start a guest that forbids a feature the host offers. */
		if (g->policy == P_FORBID)
			return set(g, W_DISABLED, S_NO,
				   nesting > 0	  ? ST_FAILS
				   : nesting == 0 ? ST_OK
						  : ST_UNKNOWN);
		return set(g, W_DISABLED, S_NO, ST_OK);
	}
}

static int predict_cpu(const struct domxml_facts *f, int nesting, int virt_flag, struct guest *g)
{
	bool passthrough = !strcmp(f->mode, "host-passthrough") || !strcmp(f->mode, "maximum");

	if (passthrough) {
		g->cpu = !strcmp(f->mode, "maximum") ? G_MAXIMUM : G_PASSTHROUGH;
		if (g->policy == P_DISABLE || g->policy == P_FORBID)
			predict_feature(g, nesting, virt_flag);
		else
			set(g, W_PASSTHROUGH, sees_of(nesting),
			    nesting > 0	   ? ST_OK
			    : nesting == 0 ? ST_WITHOUT
					   : ST_UNKNOWN);
		return 0;
	}
	if (g->policy != P_NONE) {
		g->cpu = G_FEATURE;
		predict_feature(g, nesting, virt_flag);
		return 0;
	}
	if (!strcmp(f->mode, "host-model")) {
		g->cpu = G_HOST_MODEL;
		set(g, W_HOST_MODEL, nesting > 0 ? S_LIKELY : sees_of(nesting),
		    nesting > 0	   ? ST_OK
		    : nesting == 0 ? ST_WITHOUT
				   : ST_UNKNOWN);
		return 0;
	}
	g->cpu = f->cpu ? G_CUSTOM : G_NONE;
	if (!*f->model) {
		set(g, W_NO_CPU, S_NO, ST_OK);
		return 0;
	}
	set(g, W_MODEL_NO_FEATURE, S_NO, ST_OK);
	g->detail = strdup(f->model);
	return g->detail ? 0 : -ENOMEM;
}

int guest_predict(const struct domxml_facts *f, const struct guests_host *host, struct guest *g)
{
	const char *policy;

	guest_host_flag(host, g);
	if (*f->invalid) {
		g->cpu = G_UNPARSEABLE;
		set(g, W_INVALID, S_UNKNOWN, ST_UNKNOWN);
		g->detail = strdup(f->invalid);
		return g->detail ? 0 : -ENOMEM;
	}
	policy = pick_flag(f, host, g);
	g->policy = policy_of(policy);
	g->check = check_of(f->check);
	if (predict_cpu(f, guests_host_nesting(host), host->virt_flag, g) < 0)
		return -ENOMEM;
	/* Only what the type and arch allow is predicted; <cpu> is still described. */
	if (strcmp(f->type, "kvm") || !is_x86(f->arch)) {
		bool kvm = !strcmp(f->type, "kvm");

		free(g->detail);
		set(g, kvm ? W_NOT_X86 : W_NOT_KVM, S_UNKNOWN, ST_UNKNOWN);
		g->detail = strdup(kvm ? f->arch : f->type);
		return g->detail ? 0 : -ENOMEM;
	}
	return 0;
}
