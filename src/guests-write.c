// SPDX-License-Identifier: LGPL-2.1-or-later
/* The guests report written for people (the "guests:" section) and as JSON. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "confdir.h"
#include "guests-int.h"
#include "json.h"
#include "managed.h"
#include "rwreport.h"

#define REASON_MAX 1024

static const char *const cpu_names[] = {
    "feature", "host-passthrough", "maximum", "host-model", "custom", "none", "unparseable"};
static const char *const policy_names[] = {NULL,       "require", "force",
					   "optional", "disable", "forbid"};
static const char *const sees_names[] = {"yes", "no", "likely", "unknown"};
static const char *const start_names[] = {"ok", "fails", "without-extension", "unknown"};
static const char *const check_names[] = {"partial", "none", "partial", "full", "?"};

/* Appends to a fixed buffer; what does not fit is cut. */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* Why the host gives or does not give the extension, for the sentences below. */
static const char *host_says(const struct guests_report *r)
{
	switch (guests_host_nesting(&r->host)) {
	case 1:
		return "nesting is on";
	case 0:
		return r->host.virt_flag == 0 ? "the host CPU shows no vmx/svm" : "nesting is off";
	default:
		return "whether nesting is on is unknown";
	}
}

static const char *model_words(const struct guest *g)
{
	if (g->flag == 1)
		return "QEMU turns svm off for its named models under KVM (although libvirt's CPU "
		       "map lists it for EPYC, Opteron and qemu64)";
	if (g->flag == 0)
		return "no Intel model carries vmx";
	return "no named model gives vmx or svm under KVM";
}

static void feature_sentence(const struct guests_report *r, const struct guest *g, struct out *o)
{
	const char *f = guest_flag_name(g), *pol = policy_names[g->policy];

	put(o, "<cpu> has %s with policy '%s'", f, pol);
	if (g->sees == S_YES)
		put(o, " and %s", host_says(r));
	else if (g->start == ST_FAILS)
		put(o, ", but %s: libvirt's check='%s'%s refuses to start it", host_says(r),
		    check_names[g->check], g->check ? "" : " (its default)");
	else if (g->start == ST_WITHOUT && g->check == 1)
		put(o, ", but %s: with check='none' it starts without %s (QEMU only warns)",
		    host_says(r), f);
	else if (g->start == ST_WITHOUT)
		put(o,
		    ", but %s: libvirt's check='%s'%s compares with the host CPU, which has %s, "
		    "so it starts without %s (QEMU only warns)",
		    host_says(r), check_names[g->check], g->check ? "" : " (its default)", f, f);
	else
		put(o, ": it sees %s if nesting is on, and %s", f, host_says(r));
}

static void why_sentence(const struct guests_report *r, const struct guest *g, struct out *o)
{
	const char *f = guest_flag_name(g);

	switch (g->why) {
	case W_UNREADABLE:
		return put(o, "not read: %s", g->detail);
	case W_INVALID:
		return put(o, "libvirt does not load it: %s", g->detail);
	case W_NOT_KVM:
		return put(
		    o, "skipped: domain type '%s', not 'kvm': the host's nesting does not apply",
		    g->detail);
	case W_NOT_X86:
		return put(o, "skipped: arch '%s' is not x86: vmx/svm do not apply", g->detail);
	case W_FEATURE:
		return feature_sentence(r, g, o);
	case W_OPTIONAL:
		return put(
		    o, "<cpu> has %s with policy 'optional': it sees it iff nesting is on, and %s",
		    f, host_says(r));
	case W_DISABLED:
		put(o,
		    "<cpu> turns %s off explicitly (policy '%s'): nestvirt leaves it (rewrite "
		    "--override changes it)",
		    f, policy_names[g->policy]);
		if (g->start == ST_FAILS)
			put(o, "; libvirt refuses to start a guest that forbids a feature the host "
			       "offers");
		return;
	case W_PASSTHROUGH:
		return put(o, "%s gives the guest what KVM offers: %s iff nesting is on, and %s",
			   cpu_names[g->cpu], f, host_says(r));
	case W_HOST_MODEL:
		if (g->sees == S_LIKELY)
			return put(o,
				   "host-model: libvirt expands the host's model with the features "
				   "KVM offers, %s among them when nesting is on (likely, not "
				   "certain: it depends on the libvirt and QEMU versions; 'virsh "
				   "domcapabilities' shows the expansion)",
				   f);
		return put(o,
			   "host-model: libvirt's expansion of the host's model has %s only when "
			   "KVM offers it, and %s",
			   f, host_says(r));
	case W_MODEL_NO_FEATURE:
		return put(o, "custom model '%s' without %s: %s", g->detail, f, model_words(g));
	default:
		return put(o, "%s: QEMU's default model qemu64 has no %s under KVM",
			   g->cpu == G_NONE ? "no <cpu>" : "<cpu> without a model", f);
	}
}

void guest_reason(const struct guests_report *r, const struct guest *g, char *buf, size_t size)
{
	struct out o = {buf, size, 0};

	buf[0] = '\0';
	why_sentence(r, g, &o);
	if (g->layer)
		put(&o, "; managed by %s, which regenerates this file: nestvirt leaves it",
		    managed_layer_at(g->layer - 1)->name);
	if (g->excluded)
		put(&o, "; not selected for the first boot (nestvirt.conf domains/exclude)");
	if (g->running > 0)
		put(&o, "; running: a change takes effect at its next cold boot");
	if (g->saved > 0)
		put(&o, "; has a managed-save image: resuming it brings back the saved CPU");
}

/* @name as one shell word that --domain matches literally (fnmatch: '\' escapes). */
static void shell_word(const char *name, struct out *o)
{
	bool plain = *name != '\0';

	for (const char *p = name; *p; p++)
		if (!strchr(
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+:@%,=-",
			*p))
			plain = false;
	if (plain)
		return put(o, "%s", name);
	put(o, "'");
	for (const char *p = name; *p; p++) {
		if (*p == '\'')
			put(o, "'\\''");
		else if (strchr("*?[]\\", *p))
			put(o, "\\%c", *p);
		else
			put(o, "%c", *p);
	}
	put(o, "'");
}

void guest_action(const struct guests_report *r, const struct guest *g, char *buf, size_t size)
{
	struct out o = {buf, size, 0};
	char name[NAME_MAX + 1];

	buf[0] = '\0';
	if (confdir_domain_name(g->file, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "%s", g->file);
	if (g->layer && g->sees != S_YES && g->sees != S_UNKNOWN) {
		managed_setting(managed_layer_at(g->layer - 1), guest_flag_name(g), buf, size);
	} else if (g->problem) {
		put(&o, "nestvirt rewrite --domain ");
		shell_word(name, &o);
		if (g->running > 0)
			put(&o, ", then shut it down and start it");
		if (g->saved > 0) {
			put(&o, "; virsh managedsave-remove ");
			shell_word(name, &o);
		}
	} else if (g->why == W_FEATURE && g->start == ST_FAILS) {
		put(&o, "turn nesting on (the module lines above say how): until then libvirt "
			"refuses to start it");
	} else if (g->why == W_DISABLED && g->start == ST_FAILS) {
		put(&o, "nestvirt rewrite --override --domain ");
		shell_word(name, &o);
		put(&o, " (gives it %s), or set the policy to 'disable'", guest_flag_name(g));
	} else if (g->why == W_INVALID) {
		put(&o, "fix or remove %s/%s", r->dir, g->file);
	}
}

static const char *flag_of_host(const struct guests_report *r)
{
	const char *f = kvm_module_flag(r->host.module);

	return strcmp(f, "none") ? f : "vmx/svm";
}

void guests_write_text(const struct guests_report *r, FILE *out)
{
	char reason[REASON_MAX], action[REASON_MAX], esc[4 * REASON_MAX + 1];
	char name[4 * NAME_MAX + 1];

	rwreport_escape(r->dir, false, esc, sizeof(esc));
	if (r->error) {
		fprintf(out, "guests:      %s: %s\n", esc, r->error);
		return;
	}
	if (!r->n) {
		fprintf(out, "guests:      %s: no stored domains\n", esc);
		return;
	}
	fprintf(out, "guests:      %s: %zu domain%s, %u will not see %s until rewritten\n", esc,
		r->n, r->n == 1 ? "" : "s", r->problems, flag_of_host(r));
	for (size_t i = 0; i < r->n; i++) {
		const struct guest *g = &r->v[i];
		char dom[NAME_MAX + 1];

		if (confdir_domain_name(g->file, dom, sizeof(dom)) < 0)
			snprintf(dom, sizeof(dom), "%s", g->file);
		rwreport_escape(dom, true, name, sizeof(name));
		guest_reason(r, g, reason, sizeof(reason));
		rwreport_escape(reason, false, esc, sizeof(esc));
		fprintf(out, "  %s: sees %s: %s%s; %s\n", name, guest_flag_name(g),
			g->sees == S_NO ? "NO" : sees_names[g->sees],
			g->start == ST_FAILS ? ", does not start" : "", esc);
		guest_action(r, g, action, sizeof(action));
		if (action[0]) {
			rwreport_escape(action, false, esc, sizeof(esc));
			fprintf(out, "    do: %s\n", esc);
		}
	}
}

static void json_str_or_null(FILE *out, const char *s)
{
	if (s && *s)
		json_write_string(out, s);
	else
		fputs("null", out);
}

static const char *tristate(signed char v)
{
	return v < 0 ? "null" : v ? "true" : "false";
}

static void write_domain(const struct guests_report *r, const struct guest *g, FILE *out)
{
	char reason[REASON_MAX], action[REASON_MAX], name[NAME_MAX + 1];

	guest_reason(r, g, reason, sizeof(reason));
	guest_action(r, g, action, sizeof(action));
	fputs("{\"name\": ", out);
	json_str_or_null(out, confdir_domain_name(g->file, name, sizeof(name)) == 0 ? name : NULL);
	fputs(", \"file\": ", out);
	json_write_string(out, g->file);
	fprintf(out, ", \"cpu\": \"%s\", \"feature_policy\": ", cpu_names[g->cpu]);
	json_str_or_null(out, policy_names[g->policy]);
	fprintf(out, ", \"sees\": \"%s\", \"start\": \"%s\", \"running\": %s, \"managed_save\": %s",
		sees_names[g->sees], start_names[g->start], tristate(g->running),
		tristate(g->saved));
	fputs(", \"managed_by\": ", out);
	json_str_or_null(out, g->layer ? managed_layer_at(g->layer - 1)->name : NULL);
	fputs(", \"reason\": ", out);
	json_write_string(out, reason);
	fputs(", \"action\": ", out);
	json_str_or_null(out, action);
	fputs("}", out);
}

void guests_write_json(const struct guests_report *r, FILE *out)
{
	fputs("{\"dir\": ", out);
	json_write_string(out, r->dir);
	fputs(", \"error\": ", out);
	json_str_or_null(out, r->error);
	fprintf(out, ", \"count\": %zu, \"problems\": %u, \"domains\": [", r->n, r->problems);
	for (size_t i = 0; i < r->n; i++) {
		fputs(i ? ",\n  " : "\n  ", out);
		write_domain(r, &r->v[i], out);
	}
	fputs(r->n ? "\n]}" : "]}", out);
}
