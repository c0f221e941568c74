// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestvirt status for people: the verdict first, then host, module, request, guests, and one
 * "do:" line per problem. Colour only when asked (a terminal). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "modconf.h"
#include "status.h"

#define RED    "\033[1;31m"
#define GREEN  "\033[1;32m"
#define YELLOW "\033[1;33m"
#define RESET  "\033[0m"

/* Bytes as text, control characters and bytes above 0x7F as \xHH: a hostile file name or
 * vendor string cannot move the cursor or break the terminal. */
static void put(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
}

static const char *tristate(int v, const char *yes, const char *no)
{
	return v < 0 ? "unknown" : v ? yes : no;
}

static void write_host(const struct status_report *r, FILE *out)
{
	const struct status_host *h = &r->host;

	fprintf(out, "host:\n  cpu:         ");
	if (h->cpuinfo_err < 0) {
		fprintf(out, "unknown: /proc/cpuinfo: %s\n",
			h->cpuinfo_err == -ENODATA ? "no vendor_id line"
						   : status_strerror(h->cpuinfo_err));
	} else {
		put(out, h->vendor[0] ? h->vendor : "(no vendor)");
		fprintf(out, ", module %s", kvm_module_name(h->module));
		if (h->module != KVM_MODULE_NONE)
			fprintf(out, ", %s %s, %s %s", kvm_module_flag(h->module),
				tristate(h->virt_flag, "yes", "no"),
				h->module == KVM_MODULE_AMD ? "npt" : "ept",
				tristate(h->slat, "yes", "no"));
		fprintf(out, ", %s\n",
			tristate(h->hypervisor, "a VM (hypervisor flag)",
				 "bare metal (no hypervisor flag)"));
	}
	fprintf(out, "  /dev/kvm:    ");
	if (h->dev_kvm == 1) {
		fprintf(out, "present, mode %04o, group ", h->dev_kvm_mode);
		put(out, h->dev_kvm_group[0] ? h->dev_kvm_group : "unknown");
		fprintf(out, "%s\n", h->kvm_group_rw == 1 ? ", usable by the group kvm" : "");
	} else if (h->dev_kvm == 0) {
		fprintf(out, "absent\n");
	} else {
		fprintf(out, "unknown: ");
		put(out, h->dev_kvm_err);
		fputc('\n', out);
	}
}

static void write_src(const struct status_report *r, const struct status_src *s, int i, FILE *out)
{
	if (s->kind == SRC_CMDLINE)
		fprintf(out, "the kernel command line: %s.nested=", r->mod.name);
	else {
		put(out, s->file);
		fprintf(out, ":%u: nested=", s->line);
	}
	put(out, s->text);
	if (s->value < -1)
		fprintf(out, " (not a valid %s: the load fails)", kvmmod_nested_type(r->mod.name));
	if (i == r->mod.decider)
		fprintf(out, " (decides)");
	else if (r->want >= 0 && s->value != r->want)
		fprintf(out, " (conflicts with nestvirt=%d)", r->want);
	fputc('\n', out);
}

static void write_live(const struct status_module *m, FILE *out)
{
	const struct kvmmod_state *l = &m->live;
	bool amd = !strcmp(m->name, "kvm_amd");

	fprintf(out, "  state:       ");
	switch (l->init) {
	case KVMMOD_INIT_LIVE:
		fprintf(out, "loaded, refcnt %d%s%s\n", l->refcnt,
			m->holders[0] ? ", holders: " : "", m->holders);
		break;
	case KVMMOD_INIT_BUILTIN:
		fprintf(out, "built into the kernel\n");
		break;
	case KVMMOD_INIT_COMING:
		fprintf(out, "being loaded\n");
		break;
	case KVMMOD_INIT_GOING:
		fprintf(out, "being unloaded\n");
		break;
	case KVMMOD_INIT_ABSENT:
		fprintf(out, "not loaded\n");
		break;
	case KVMMOD_INIT_UNKNOWN:
		fprintf(out, "unknown: /sys/module/%s%s: %s\n", m->name, l->err_file,
			status_strerror(l->err));
		break;
	}
	if (l->init == KVMMOD_INIT_LIVE || l->init == KVMMOD_INIT_BUILTIN) {
		if (l->nested < 0)
			fprintf(out, "  live:        nested unknown\n");
		else
			fprintf(out, "  live:        nested=%s (%s)\n",
				amd ? (l->nested ? "1" : "0") : (l->nested ? "Y" : "N"),
				amd ? (l->nested ? "Y" : "N") : (l->nested ? "1" : "0"));
	}
}

static void write_module(const struct status_report *r, FILE *out)
{
	const struct status_module *m = &r->mod;

	if (!m->name)
		return;
	fprintf(out, "module:        %s\n", m->name);
	write_live(m, out);
	fprintf(out, "  next load:   ");
	if (m->live.init == KVMMOD_INIT_BUILTIN) {
		fprintf(out,
			"none: built into the kernel (only %s.nested= on the kernel command "
			"line applies)\n",
			m->name);
	} else if (m->conf_err[0]) {
		fprintf(out, "unknown: ");
		put(out, m->conf_err);
		fputc('\n', out);
	} else if (m->next < -1)
		fprintf(out, "fails: a nested= value is rejected by the kernel\n");
	else if (m->next < 0)
		fprintf(out, "nested=1 (the kernel's default: no nested= anywhere)\n");
	else
		fprintf(out, "nested=%d\n", m->next);
	for (unsigned i = 0; i < m->nsrc; i++) {
		fprintf(out, i ? "               " : "  sources:     ");
		write_src(r, &m->src[i], (int)i, out);
	}
	fprintf(out, "  snippet:     /%s/%s %s%s\n", MODCONF_DIR, MODCONF_NAME,
		m->snippet		  ? "present"
		: m->snippet_masked_by[0] ? "masked by "
					  : "absent",
		m->snippet_masked_by);
	fprintf(out, "  initramfs:   ");
	if (m->initrd < 0) {
		fprintf(out, "unknown: ");
		put(out, m->initrd_why);
	} else {
		fprintf(out, "%s ", m->initrd ? "in" : "not in");
		put(out, m->initrd_image);
	}
	fputc('\n', out);
}

static void write_request(const struct status_report *r, FILE *out)
{
	const struct status_request *q = &r->req;

	fprintf(out, "request:       ");
	if (q->request < 0 && q->cmdline_err < 0 && q->cmdline_err != -ENOENT)
		fprintf(out, "unknown\n");
	else if (q->request < 0)
		fprintf(out, "none\n");
	else
		fprintf(out, "nestvirt=%d from %s\n", q->request,
			!strcmp(q->source, "cmdline")	   ? "the kernel command line"
			: !strcmp(q->source, "persistent") ? "/etc/nestvirt/persistent"
							   : "the boot helper's state");
	fprintf(out, "  cmdline:     ");
	if (q->cmdline_err < 0)
		fprintf(out, "unknown: /proc/cmdline: %s\n", status_strerror(q->cmdline_err));
	else
		fprintf(out, "%s\n",
			q->cmdline < 0 ? "no nestvirt="
			: q->cmdline   ? "nestvirt=1"
				       : "nestvirt=0");
	fprintf(out, "  persistent:  ");
	if (q->persistent_err == -ENOENT)
		fprintf(out, "none\n");
	else if (q->persistent_err < 0)
		fprintf(out, "unknown: %s\n", status_strerror(q->persistent_err));
	else
		fprintf(out, "%s\n",
			q->persistent < 0 ? "not understood"
			: q->persistent	  ? "nestvirt=1"
					  : "nestvirt=0");
	if (q->cpu[0] || q->domains[0] || q->exclude[0] || q->firstboot == 0) {
		fprintf(out, "  overrides:  ");
		if (q->cpu[0])
			fprintf(out, " nestvirt.cpu="), put(out, q->cpu);
		if (q->domains[0])
			fprintf(out, " nestvirt.domains="), put(out, q->domains);
		if (q->exclude[0])
			fprintf(out, " nestvirt.exclude="), put(out, q->exclude);
		if (q->firstboot == 0)
			fprintf(out, " nestvirt.firstboot=0");
		fputc('\n', out);
	}
	fprintf(out, "  boot helper: ");
	if (q->state_kind == STATE_FILE_OK) {
		put(out, q->st.action);
		fprintf(out, ": ");
		put(out, q->st.message);
	} else if (q->state_kind == STATE_FILE_ABSENT)
		fprintf(out, "did not run (no /%s/%s)", STATE_DIR, STATE_NAME);
	else {
		fprintf(out, "unknown: ");
		put(out, q->state_err);
	}
	fprintf(out, "\n  first boot:  ");
	if (q->stamp == STAMP_DONE) {
		fprintf(out, "done ");
		put(out, q->stamp_done);
	} else if (q->stamp == STAMP_FAILED || q->stamp == STAMP_UNREADABLE) {
		fprintf(out, "%s: ", q->stamp == STAMP_FAILED ? "failed" : "unknown");
		put(out, q->stamp_err[0] ? q->stamp_err : "result not 0");
	} else
		fprintf(out, "not run");
	fputc('\n', out);
}

void status_write_text(const struct status_report *r, FILE *out, bool colour)
{
	const char *c = r->cls == STATUS_OK ? GREEN : r->cls == STATUS_NOT_REQUESTED ? YELLOW : RED;

	fprintf(out, "%s%s%s", colour ? c : "",
		r->cls == STATUS_OK		 ? "ok: "
		: r->cls == STATUS_NOT_REQUESTED ? ""
						 : "NOT OK: ",
		colour ? RESET : "");
	put(out, r->verdict);
	fputc('\n', out);
	write_host(r, out);
	write_module(r, out);
	write_request(r, out);
	if (r->guests)
		guests_write_text(r->guests, out);
	for (unsigned i = 0; i < r->nproblems; i++) {
		fprintf(out, "problem:       [%s, --check exits %d] ",
			status_class_name(r->problems[i].cls), r->problems[i].cls);
		put(out, r->problems[i].what);
		fprintf(out, "\n%sdo:%s            ", colour ? YELLOW : "", colour ? RESET : "");
		put(out, r->problems[i].todo);
		fputc('\n', out);
	}
	for (unsigned i = 0; i < r->nnotes; i++) {
		fprintf(out, "note: ");
		put(out, r->notes[i]);
		fputc('\n', out);
	}
}
