// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestvirt status --json: the report as one JSON document, the shape of
 * docs/status.schema.json (version STATUS_JSON_VERSION). Every string goes through
 * json_write_string, so any byte in any input still gives valid JSON. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "modconf.h"
#include "status.h"

#define STATUS_JSON_VERSION 1

static void str(FILE *o, const char *key, const char *v)
{
	fprintf(o, "\"%s\": ", key);
	json_write_string(o, v);
}

/* A string, or null when empty. */
static void str_or_null(FILE *o, const char *key, const char *v)
{
	if (v && v[0])
		str(o, key, v);
	else
		fprintf(o, "\"%s\": null", key);
}

static void tri(FILE *o, const char *key, int v)
{
	fprintf(o, "\"%s\": %s", key, v < 0 ? "null" : v ? "true" : "false");
}

static void num(FILE *o, const char *key, int v)
{
	if (v < 0)
		fprintf(o, "\"%s\": null", key);
	else
		fprintf(o, "\"%s\": %d", key, v);
}

static void write_host(const struct status_report *r, FILE *o)
{
	const struct status_host *h = &r->host;
	char err[STATUS_WHY] = "";

	if (h->cpuinfo_err < 0)
		snprintf(err, sizeof(err), "/proc/cpuinfo: %s",
			 h->cpuinfo_err == -ENODATA ? "no vendor_id line"
						    : status_strerror(h->cpuinfo_err));
	fprintf(o, "  \"host\": {");
	str_or_null(o, "vendor", h->cpuinfo_err < 0 ? "" : h->vendor);
	fprintf(o, ", ");
	str_or_null(o, "module", h->module == KVM_MODULE_NONE ? "" : kvm_module_name(h->module));
	fprintf(o, ", ");
	str_or_null(o, "flag", h->module == KVM_MODULE_NONE ? "" : kvm_module_flag(h->module));
	fprintf(o, ", ");
	tri(o, "virt_flag", h->virt_flag);
	fprintf(o, ", ");
	str_or_null(o, "slat_flag",
		    h->module == KVM_MODULE_NONE  ? ""
		    : h->module == KVM_MODULE_AMD ? "npt"
						  : "ept");
	fprintf(o, ", ");
	tri(o, "slat", h->slat);
	fprintf(o, ", ");
	tri(o, "hypervisor", h->hypervisor);
	fprintf(o, ", ");
	str_or_null(o, "error", err);
	fprintf(o, ",\n    \"dev_kvm\": {");
	tri(o, "present", h->dev_kvm);
	fprintf(o, ", ");
	if (h->dev_kvm == 1)
		fprintf(o, "\"mode\": \"%04o\", ", h->dev_kvm_mode);
	else
		fprintf(o, "\"mode\": null, ");
	str_or_null(o, "group", h->dev_kvm_group);
	fprintf(o, ", ");
	tri(o, "kvm_group_rw", h->kvm_group_rw);
	fprintf(o, ", ");
	str_or_null(o, "error", h->dev_kvm_err);
	fprintf(o, "}},\n");
}

static const char *init_name(enum kvmmod_init i)
{
	switch (i) {
	case KVMMOD_INIT_LIVE:
		return "loaded";
	case KVMMOD_INIT_BUILTIN:
		return "builtin";
	case KVMMOD_INIT_COMING:
		return "loading";
	case KVMMOD_INIT_GOING:
		return "unloading";
	case KVMMOD_INIT_ABSENT:
		return "not-loaded";
	case KVMMOD_INIT_UNKNOWN:
		break;
	}
	return "unknown";
}

static void write_src(const struct status_report *r, const struct status_src *s, int i, FILE *o)
{
	static const char *const kinds[] = {"modprobe.d", "snippet", "cmdline"};

	fprintf(o, "{\"kind\": \"%s\", ", kinds[s->kind]);
	str_or_null(o, "file", s->file);
	fprintf(o, ", ");
	num(o, "line", s->kind == SRC_CMDLINE ? -1 : (int)s->line);
	fprintf(o, ", ");
	str(o, "text", s->text);
	fprintf(o, ", ");
	num(o, "nested", s->value);
	fprintf(o, ", \"rejected\": %s, \"decides\": %s, \"conflicts\": %s}",
		s->value < -1 ? "true" : "false", i == r->mod.decider ? "true" : "false",
		r->want >= 0 && s->value != r->want ? "true" : "false");
}

static void write_module(const struct status_report *r, FILE *o)
{
	const struct status_module *m = &r->mod;
	const struct kvmmod_state *l = &m->live;
	bool live = l->init == KVMMOD_INIT_LIVE || l->init == KVMMOD_INIT_BUILTIN;
	char err[STATUS_WHY] = "";

	if (!m->name) {
		fprintf(o, "  \"module\": null,\n");
		return;
	}
	if (l->init == KVMMOD_INIT_UNKNOWN)
		snprintf(err, sizeof(err), "/sys/module/%s%s: %s", m->name, l->err_file,
			 status_strerror(l->err));
	fprintf(o, "  \"module\": {");
	str(o, "name", m->name);
	fprintf(o, ", \"state\": \"%s\", ", init_name(l->init));
	str_or_null(o, "error", err);
	fprintf(o, ",\n    \"live_nested\": ");
	if (live && l->nested >= 0)
		fprintf(o, "{\"value\": %d, \"yn\": \"%s\", \"shown\": \"%s\"}", l->nested,
			l->nested ? "Y" : "N",
			!strcmp(m->name, "kvm_amd") ? (l->nested ? "1" : "0")
						    : (l->nested ? "Y" : "N"));
	else
		fprintf(o, "null");
	fprintf(o, ", ");
	num(o, "refcnt", l->init == KVMMOD_INIT_LIVE ? l->refcnt : -1);
	fprintf(o, ", \"holders\": [");
	for (const char *p = m->holders; *p;) {
		size_t n = strcspn(p, ",");
		char h[64];

		snprintf(h, sizeof(h), "%.*s", (int)n, p);
		fprintf(o, "%s", p == m->holders ? "" : ", ");
		json_write_string(o, h);
		p += n;
		p += strspn(p, ", ");
	}
	fprintf(o, "], \"pending_reboot\": %s,\n    \"next_load\": {",
		r->pending_reboot ? "true" : "false");
	bool builtin = l->init == KVMMOD_INIT_BUILTIN;

	num(o, "nested",
	    m->conf_err[0] || builtin ? -1
	    : m->next < -1	      ? -1
	    : m->next < 0	      ? 1
				      : m->next);
	fprintf(o, ", \"fails\": %s, \"default\": %s, ", m->next < -1 ? "true" : "false",
		!m->conf_err[0] && !builtin && m->next == -1 ? "true" : "false");
	num(o, "decided_by", m->decider);
	fprintf(o, ", ");
	str_or_null(o, "error",
		    builtin ? "built into the kernel: modprobe.d does not apply" : m->conf_err);
	fprintf(o, "},\n    \"sources\": [");
	for (unsigned i = 0; i < m->nsrc; i++) {
		fprintf(o, "%s\n      ", i ? "," : "");
		write_src(r, &m->src[i], (int)i, o);
	}
	fprintf(o, "],\n    \"snippet\": {\"path\": \"/%s/%s\", \"read\": %s, ", MODCONF_DIR,
		MODCONF_NAME, m->snippet ? "true" : "false");
	str_or_null(o, "masked_by", m->snippet_masked_by);
	fprintf(o, "},\n");
	fprintf(o, "    \"initramfs\": {");
	tri(o, "contains", m->initrd);
	fprintf(o, ", ");
	str_or_null(o, "image", m->initrd_image);
	fprintf(o, ", ");
	str_or_null(o, "reason", m->initrd < 0 ? m->initrd_why : "");
	fprintf(o, "}},\n");
}

static void write_request(const struct status_report *r, FILE *o)
{
	static const char *const states[] = {"absent", "ok", "unreadable", "invalid"};
	static const char *const stamps[] = {"not-run", "done", "failed", "unknown"};
	const struct status_request *q = &r->req;
	char err[STATUS_WHY] = "";

	fprintf(o, "  \"request\": {");
	num(o, "nestvirt", q->request);
	fprintf(o, ", ");
	str_or_null(o, "source", q->source);
	if (q->cmdline_err < 0)
		snprintf(err, sizeof(err), "/proc/cmdline: %s", status_strerror(q->cmdline_err));
	fprintf(o, ",\n    \"cmdline\": {");
	num(o, "nestvirt", q->cmdline_err < 0 ? -1 : q->cmdline);
	fprintf(o, ", ");
	str_or_null(o, "refused", q->cmdline_refused);
	fprintf(o, ", ");
	str_or_null(o, "module_nested", q->admin_nested);
	fprintf(o, ", ");
	str_or_null(o, "error", err);
	err[0] = '\0';
	if (q->persistent_err < 0 && q->persistent_err != -ENOENT)
		snprintf(err, sizeof(err), "/etc/nestvirt/persistent: %s",
			 status_strerror(q->persistent_err));
	fprintf(o, "},\n    \"persistent\": {\"present\": %s, ",
		q->persistent_err == 0	       ? "true"
		: q->persistent_err == -ENOENT ? "false"
					       : "null");
	num(o, "nestvirt", q->persistent);
	fprintf(o, ", ");
	num(o, "bad_line", q->persistent_bad_line ? (int)q->persistent_bad_line : -1);
	fprintf(o, ", ");
	str_or_null(o, "error", err);
	fprintf(o, "},\n    \"overrides\": {");
	str_or_null(o, "cpu", q->cpu);
	fprintf(o, ", ");
	str_or_null(o, "domains", q->domains);
	fprintf(o, ", ");
	str_or_null(o, "exclude", q->exclude);
	fprintf(o, ", ");
	tri(o, "firstboot", q->firstboot);
	fprintf(o, "},\n    \"boot_helper\": {\"state\": \"%s\", ", states[q->state_kind]);
	str_or_null(o, "action", q->state_kind == STATE_FILE_OK ? q->st.action : "");
	fprintf(o, ", ");
	str_or_null(o, "message", q->state_kind == STATE_FILE_OK ? q->st.message : "");
	fprintf(o, ", ");
	str_or_null(o, "error", q->state_err);
	fprintf(o, "},\n    \"first_boot\": {\"state\": \"%s\", ", stamps[q->stamp]);
	str_or_null(o, "done", q->stamp_done);
	fprintf(o, ", ");
	num(o, "result", q->stamp_result);
	fprintf(o, ", ");
	str_or_null(o, "error", q->stamp_err);
	fprintf(o, "}},\n");
}

void status_write_json(const struct status_report *r, FILE *o)
{
	fprintf(
	    o,
	    "{\n  \"version\": %d,\n  \"ok\": %s,\n  \"class\": \"%s\",\n  \"check_code\": %d,\n  ",
	    STATUS_JSON_VERSION, r->cls == STATUS_OK ? "true" : "false", status_class_name(r->cls),
	    r->cls);
	str(o, "verdict", r->verdict);
	fprintf(o, ",\n  ");
	num(o, "requested", r->want);
	fprintf(o, ",\n  ");
	num(o, "effective", r->effective);
	fprintf(o, ",\n");
	write_host(r, o);
	write_module(r, o);
	write_request(r, o);
	fprintf(o, "  \"guests\": ");
	if (r->guests)
		guests_write_json(r->guests, o);
	else
		fprintf(o, "null");
	fprintf(o, ",\n  \"problems\": [");
	for (unsigned i = 0; i < r->nproblems; i++) {
		fprintf(o, "%s\n    {\"class\": \"%s\", \"code\": %d, ", i ? "," : "",
			status_class_name(r->problems[i].cls), r->problems[i].cls);
		str(o, "what", r->problems[i].what);
		fprintf(o, ", ");
		str(o, "do", r->problems[i].todo);
		fprintf(o, "}");
	}
	fprintf(o, "],\n  \"notes\": [");
	for (unsigned i = 0; i < r->nnotes; i++) {
		fprintf(o, "%s", i ? ", " : "");
		json_write_string(o, r->notes[i]);
	}
	fprintf(o, "]\n}\n");
}
