// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The <cpu> edit of one domain document, in memory: the one entry point, domxml_apply.
 *
 * 1. Read (domxml-scan.c): the document's structure with byte positions, and its <cpu> as a
 *    small model (domxml-cpu.c), all allocated from one arena (domxml-arena.c).
 * 2. Edit (domxml-edit.c): the request applied to a copy of that model, the way virt-xml
 *    would (SPEC) or by the rules of --mode (feature, disable, host-passthrough, host-model).
 * 3. Decide: an edit that changes nothing leaves the document alone; one that libvirt would
 *    refuse (domxml-reject.c) is refused.
 * 4. Write (domxml-write.c): the new <cpu> in libvirt's style, spliced in place of the old
 *    one (or where libvirt writes <cpu>). Every byte outside <cpu> stays as it was.
 * 5. Check (domxml-verify.c): the output is read back; a document that is not well-formed,
 *    not a <domain> or changed outside <cpu> is refused, never returned.
 */
#include "domxml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpumap.h"
#include "cpuspec.h"
#include "domxml-arena.h"
#include "domxml-cpu.h"
#include "domxml-edit.h"
#include "domxml-facts.h"
#include "domxml-reject.h"
#include "domxml-scan.h"
#include "domxml-verify.h"
#include "domxml-write.h"
#include "managed.h"

static void say(struct domxml_result *res, enum domxml_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(struct domxml_result *res, enum domxml_status st, const char *fmt, ...)
{
	va_list ap;

	res->status = st;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

static int unknown_name(const struct cpumap *map, const char *name, bool feature, char *reason,
			size_t len)
{
	char close[160];

	if (!cpumap_close_matches(map, name, feature, 5, close, sizeof(close)))
		snprintf(reason, len,
			 "unknown CPU %s '%s' (`nestvirt cpu-models` lists the models)",
			 feature ? "feature" : "model", name);
	else
		snprintf(reason, len, "unknown CPU %s '%s'; close matches: %s",
			 feature ? "feature" : "model", name, close);
	return -ENOENT;
}

int domxml_check_names(const struct domxml_request *req, char *reason, size_t len)
{
	const struct cpuspec *s = req->spec;

	if (len)
		reason[0] = '\0';
	if (!req->map)
		return 0;
	if (req->mode == DOMXML_MODE_FEATURE || req->mode == DOMXML_MODE_DISABLE) {
		if (req->vendor_feature && !cpumap_has_feature(req->map, req->vendor_feature))
			return unknown_name(req->map, req->vendor_feature, true, reason, len);
		return 0;
	}
	if (req->mode != DOMXML_MODE_SPEC || !s)
		return 0;
	if (s->opt[CPUSPEC_F_MODEL].set && s->special == CPUSPEC_MODEL &&
	    s->opt[CPUSPEC_F_MODEL].value &&
	    !cpumap_has_model(req->map, s->opt[CPUSPEC_F_MODEL].value))
		return unknown_name(req->map, s->opt[CPUSPEC_F_MODEL].value, false, reason, len);
	for (size_t i = 0; i < s->nfeatures; i++)
		if (!cpumap_has_feature(req->map, s->features[i].name))
			return unknown_name(req->map, s->features[i].name, true, reason, len);
	return 0;
}

static int check_request(const struct domxml_request *req)
{
	switch (req->mode) {
	case DOMXML_MODE_FEATURE:
	case DOMXML_MODE_DISABLE:
		return req->vendor_feature && *req->vendor_feature ? 0 : -EINVAL;
	case DOMXML_MODE_HOST_PASSTHROUGH:
	case DOMXML_MODE_HOST_MODEL:
		return 0;
	case DOMXML_MODE_SPEC:
		return req->spec ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

static bool is_off(const char *policy)
{
	return policy && (!strcmp(policy, "disable") || !strcmp(policy, "forbid"));
}

static void say_unchanged(struct domxml_result *res, const struct domxml_request *req,
			  const struct cpu *c)
{
	const char *vf = req->vendor_feature;

	if (res->reason[0]) {
		res->status = DOMXML_UNCHANGED;
		return;
	}
	switch (req->mode) {
	case DOMXML_MODE_FEATURE:
	case DOMXML_MODE_DISABLE:
		say(res, DOMXML_UNCHANGED, "%s is already '%s'", vf, feature_policy(c, vf));
		break;
	case DOMXML_MODE_HOST_PASSTHROUGH:
	case DOMXML_MODE_HOST_MODEL:
		say(res, DOMXML_UNCHANGED, "already %s", cpu_mode(c));
		break;
	default:
		say(res, DOMXML_UNCHANGED, "already as --cpu asks");
	}
}

static bool is_x86(const char *arch)
{
	return !arch || !strcmp(arch, "x86_64") || !strcmp(arch, "i686") || !strcmp(arch, "i586") ||
	       !strcmp(arch, "i486") || !strcmp(arch, "i386");
}

/* Decide and write, once the document is read and selected. */
static int apply_parsed(struct arena *ar, const struct domdoc *d, const struct domxml_request *req,
			struct domxml_result *res)
{
	struct edit e = {.ar = ar, .req = req, .arch = d->arch};
	const char *vf = req->vendor_feature;
	const char *why;
	struct splice s;
	struct cpu c;
	int r;

	r = cpu_copy(ar, &c, &d->cpu);
	if (r < 0)
		return r;
	e.c = &c;
	r = edit_cpu(&e, res);
	if (r < 0)
		return r;
	c.present = !cpu_empty(&c);
	if (cpu_equal(&c, &d->cpu)) {
		say_unchanged(res, req, &d->cpu);
		return 0;
	}
	if (vf && !req->override && is_off(feature_policy(&d->cpu, vf)) &&
	    !is_off(feature_policy(&c, vf))) {
		say(res, DOMXML_SKIPPED, "%s is explicitly '%s' in <cpu> (--override changes it)",
		    vf, feature_policy(&d->cpu, vf));
		return 0;
	}
	if (d->cpu.unusual) {
		say(res, DOMXML_INVALID, "cannot rewrite <cpu>: it has %s", d->cpu.unusual);
		return 0;
	}
	/* Dropping the NUMA cells is what the user asked for (clearxml=yes, host-passthrough …),
	 * and what virt-xml does; but where another element refers to a cell by number,
	 * libvirt would reject the whole domain without it. */
	if (kid_find(&d->cpu, K_NUMA) >= 0 && kid_find(&c, K_NUMA) < 0 && d->numa_ref) {
		say(res, DOMXML_INVALID,
		    "the edit would drop <cpu><numa>, the guest's NUMA cells, which %s refers to",
		    d->numa_ref);
		return 0;
	}
	why = libvirt_rejects(&c);
	if (why) {
		say(res, DOMXML_INVALID, "libvirt would reject the result (%s)", why);
		return 0;
	}
	r = splice_cpu(d, ar, &c, &s);
	if (r == -EINVAL) {
		say(res, DOMXML_INVALID, "<domain> has no child element to place <cpu> after");
		return 0;
	}
	if (r < 0)
		return r;
	if (s.len == d->len && !memcmp(s.out, d->buf, d->len)) {
		free(s.out);
		say_unchanged(res, req, &d->cpu);
		return 0;
	}
	r = verify_splice(ar, d, &s, c.present, res->reason, sizeof(res->reason));
	if (r < 0) {
		free(s.out);
		res->status = DOMXML_INVALID;
		return r == -EBADMSG ? 0 : r;
	}
	res->out = s.out;
	res->out_len = s.len;
	say(res, DOMXML_CHANGED, "%s", e.what);
	return 0;
}

int domxml_apply(const char *buf, size_t len, const struct domxml_request *req,
		 struct domxml_result *res)
{
	const struct managed_layer *layer = NULL;
	struct arena ar = {0};
	struct domdoc d;
	int r;

	memset(res, 0, sizeof(*res));
	r = check_request(req);
	if (r < 0)
		return r;
	if (domxml_check_names(req, res->reason, sizeof(res->reason)) < 0) {
		res->status = DOMXML_INVALID;
		return 0;
	}
	r = domdoc_scan(&ar, buf, len, &d);
	if (r < 0)
		goto out;
	if (!d.invalid && req->skip_managed)
		layer = domdoc_managed(&d);
	if (d.invalid)
		say(res, DOMXML_INVALID, "%s", d.invalid);
	else if (layer)
		say(res, DOMXML_SKIPPED,
		    "managed by %s, which regenerates this file: use %s (--include-managed "
		    "overrides)",
		    layer->name, layer->knob);
	else if (!d.type || strcmp(d.type, "kvm"))
		say(res, DOMXML_SKIPPED, "domain type is '%s', not 'kvm' (TCG cannot run %s)",
		    d.type ? d.type : "", req->vendor_feature ? req->vendor_feature : "vmx/svm");
	else if (!is_x86(d.arch))
		say(res, DOMXML_SKIPPED, "arch '%s' is not x86", d.arch);
	else
		r = apply_parsed(&ar, &d, req, res);
out:
	arena_free(&ar);
	if (r < 0)
		domxml_result_free(res);
	return r;
}

void domxml_result_free(struct domxml_result *res)
{
	free(res->out);
	res->out = NULL;
	res->out_len = 0;
}
