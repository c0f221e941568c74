// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt status, the judgement: from the facts, the problems in root-cause order (each with
 * one line saying what to do), the --check class (the first problem's) and the verdict.
 * Pure: the facts in, the conclusions out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "modconf.h"
#include "status.h"

#define HELPER LIBEXECDIR "/nestvirt-early"

static void problem(struct status_report *r, enum status_class cls, const char *todo,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Problems are found in root-cause order: when the list is full, the later ones go. */
static void problem(struct status_report *r, enum status_class cls, const char *todo,
		    const char *fmt, ...)
{
	struct status_problem *p;
	va_list ap;

	if (r->nproblems == STATUS_MAX_PROBLEMS)
		return;
	p = &r->problems[r->nproblems++];

	p->cls = cls;
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
	snprintf(p->todo, sizeof(p->todo), "%s", todo);
}

static void note(struct status_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(struct status_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nnotes == sizeof(r->notes) / sizeof(r->notes[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
}

static bool loaded(const struct status_module *m)
{
	return m->live.init == KVMMOD_INIT_LIVE || m->live.init == KVMMOD_INIT_BUILTIN;
}

/* Where a source is, for people: "/etc/modprobe.d/kvm.conf:2" or "the kernel command line". */
static const char *where(const struct status_src *s, char *buf, size_t size)
{
	if (s->kind == SRC_CMDLINE)
		snprintf(buf, size, "the kernel command line");
	else
		snprintf(buf, size, "%s:%u", s->file, s->line);
	return buf;
}

static const char *request_origin(const struct status_request *q)
{
	if (!strcmp(q->source, "cmdline"))
		return "on the kernel command line";
	if (!strcmp(q->source, "persistent"))
		return "in /etc/nestvirt/persistent";
	return "as the boot helper recorded";
}

/* The value guests get at their next start: the live one, else what the next load gets. */
static int effective(const struct status_module *m)
{
	if (loaded(m))
		return m->live.nested;
	if (m->live.init == KVMMOD_INIT_UNKNOWN || m->conf_err[0])
		return -1;
	if (m->next < -1)
		return 0;		  /* the load fails: no KVM at all */
	return m->next < 0 ? 1 : m->next; /* both modules default to nested on since Linux 4.20 */
}

static void judge_helper(struct status_report *r)
{
	const struct status_request *q = &r->req;
	char todo[STATUS_WHY * 2];

	if (q->state_kind == STATE_FILE_ABSENT) {
		snprintf(todo, sizeof(todo),
			 "systemctl enable nestvirt-early.service (dracut hosts: dracut -f), then "
			 "reboot; or now: %s",
			 HELPER);
		problem(r, STATUS_HELPER, todo,
			"nestvirt=%d is requested %s but the boot helper did not run (no /%s/%s)",
			r->want, request_origin(q), STATE_DIR, STATE_NAME);
	} else if (q->state_kind != STATE_FILE_OK) {
		snprintf(todo, sizeof(todo), "rm /%s/%s, then run %s (it writes the state again)",
			 STATE_DIR, STATE_NAME, HELPER);
		problem(r, STATUS_HELPER, todo, "cannot tell what the boot helper did: %s",
			q->state_err);
	} else if (!r->mod.snippet && strcmp(q->st.action, "error") &&
		   strcmp(q->st.action, "reload-failed")) {
		snprintf(todo, sizeof(todo), "run %s again (it writes the snippet)", HELPER);
		problem(r, STATUS_HELPER, todo,
			"the boot helper recorded '%s' but /%s/%s is missing (removed since?): "
			"%s's next load gets nested=%d",
			q->st.action, MODCONF_DIR, MODCONF_NAME, r->mod.name, r->effective);
	} else {
		snprintf(todo, sizeof(todo), "dmesg | grep nestvirt; then run %s again", HELPER);
		problem(r, STATUS_HELPER, todo, "the boot helper failed (%s): %s", q->st.action,
			q->st.message);
	}
}

/* Nesting is not as requested: find the cause. */
static void judge_module(struct status_report *r)
{
	const struct status_module *m = &r->mod;
	const struct status_src *d = m->decider >= 0 ? &m->src[m->decider] : NULL;
	const struct status_request *q = &r->req;
	char todo[STATUS_WHY * 2], at[STATUS_PATH + 32];
	bool helper_failed =
	    q->state_kind == STATE_FILE_OK &&
	    (!strcmp(q->st.action, "error") || !strcmp(q->st.action, "reload-failed"));

	if (m->live.init == KVMMOD_INIT_BUILTIN) {
		snprintf(todo, sizeof(todo),
			 "add %s.nested=%d to the kernel command line (the boot loader's "
			 "configuration) and reboot",
			 m->name, r->want);
		problem(
		    r, STATUS_BUILTIN, todo,
		    "%s is built into the kernel with nested=%d: modprobe.d does not apply to it",
		    m->name, m->live.nested);
		return;
	}
	if (d && d->kind == SRC_CMDLINE) {
		snprintf(todo, sizeof(todo), "remove %s.nested=%s from the kernel command line",
			 m->name, d->text);
		if (d->value < -1)
			problem(r, STATUS_CONFLICT, todo,
				"%s.nested=%s on the kernel command line is not a valid %s: the "
				"kernel rejects it and %s fails to load",
				m->name, d->text, kvmmod_nested_type(m->name), m->name);
		else
			problem(r, STATUS_CONFLICT, todo,
				"%s.nested=%s on the kernel command line wins over nestvirt=%d",
				m->name, d->text, r->want);
		return;
	}
	if (d && d->value < -1) {
		snprintf(todo, sizeof(todo), "fix line %u of %s", d->line, d->file);
		problem(
		    r, STATUS_CONFLICT, todo,
		    "%s: nested=%s is not a valid %s: the kernel rejects it and %s fails to load",
		    where(d, at, sizeof(at)), d->text, kvmmod_nested_type(m->name), m->name);
		return;
	}
	if (m->live.init == KVMMOD_INIT_LIVE && !helper_failed &&
	    (m->next == r->want || (m->next == -1 && r->want == 1))) {
		if (m->live.refcnt == 0)
			snprintf(todo, sizeof(todo),
				 "run %s (nothing holds %s: it reloads it now), or reboot", HELPER,
				 m->name);
		else
			snprintf(todo, sizeof(todo),
				 "stop the VMs that use /dev/kvm, then run %s; or reboot", HELPER);
		r->pending_reboot = true;
		problem(r, STATUS_PENDING_REBOOT, todo,
			"pending reboot: %s is loaded with nested=%d and held (refcnt %d%s%s); its "
			"next load gets nested=%d",
			m->name, m->live.nested, m->live.refcnt, m->holders[0] ? ", holders: " : "",
			m->holders, r->want);
		return;
	}
	if (q->state_kind != STATE_FILE_OK || helper_failed ||
	    (!m->snippet && !m->snippet_masked_by[0] && !d)) {
		judge_helper(r);
		return;
	}
	if (m->snippet_masked_by[0]) {
		snprintf(todo, sizeof(todo), "rename or remove %s/%s", m->snippet_masked_by,
			 MODCONF_NAME);
		problem(r, STATUS_CONFLICT, todo,
			"%s/%s has the name of nestvirt's snippet and masks /%s/%s (libkmod reads "
			"one file of a name, the first dir's): %s's next load gets nested=%d",
			m->snippet_masked_by, MODCONF_NAME, MODCONF_DIR, MODCONF_NAME, m->name,
			m->next < 0 ? 1 : m->next);
		return;
	}
	if (d) {
		snprintf(todo, sizeof(todo), "remove or change line %u of %s", d->line, d->file);
		problem(r, STATUS_CONFLICT, todo,
			"%s sets nested=%s after nestvirt's /%s/%s: %s's next load gets nested=%d",
			where(d, at, sizeof(at)), d->text, MODCONF_DIR, MODCONF_NAME, m->name,
			d->value);
		return;
	}
	judge_helper(r);
}

static void judge_notes(struct status_report *r)
{
	const struct status_request *q = &r->req;
	const struct status_host *h = &r->host;

	if (q->cmdline_refused[0])
		note(r,
		     "the kernel command line has '%s', which is not understood: it counts as "
		     "absent",
		     q->cmdline_refused);
	if (q->persistent_bad_line)
		note(r,
		     "/etc/nestvirt/persistent: line %u is not understood: the file counts as "
		     "absent",
		     q->persistent_bad_line);
	if (q->cmdline_err == -ENOENT)
		note(r, "no /proc/cmdline below the root: the request is the persistent setting's");
	if (h->virt_flag == 1 && h->slat == 0)
		note(r, "the CPU shows %s but not %s: nested guests run with shadow paging (slow)",
		     kvm_module_flag(h->module), h->module == KVM_MODULE_AMD ? "npt" : "ept");
	if (h->dev_kvm == 1 && h->kvm_group_rw == 0)
		note(r, "/dev/kvm is not read-write for the group kvm (group %s, mode %04o)",
		     h->dev_kvm_group, h->dev_kvm_mode);
	if (r->mod.nsrc_dropped)
		note(r, "%u earlier nested= values are not listed", r->mod.nsrc_dropped);
}

static void judge_after_module(struct status_report *r)
{
	const struct status_request *q = &r->req;
	unsigned n;

	if (r->want != 1 || q->firstboot == 0)
		return;
	if (q->stamp == STAMP_FAILED)
		problem(r, STATUS_FIRSTBOOT_FAILED,
			"journalctl -b -u nestvirt-firstboot.service; fix what it names and reboot "
			"(or stop libvirtd and run nestvirt firstboot)",
			"the first boot failed: %s",
			q->stamp_err[0] ? q->stamp_err : "its stamp records a non-zero result");
	else if (q->stamp == STAMP_ABSENT)
		note(r, "the first boot has not run yet (no /var/lib/nestvirt/firstboot.done)");
	else if (q->stamp == STAMP_UNREADABLE)
		note(r, "%s", q->stamp_err);
	n = r->guests ? guests_problems(r->guests) : 0;
	if (n)
		problem(
		    r, STATUS_GUESTS,
		    "stop libvirtd, then nestvirt rewrite (--dry-run first); see the guests above",
		    "%u stored guest%s will not see %s", n, n == 1 ? "" : "s",
		    kvm_module_flag(r->host.module));
}

static void judge_host(struct status_report *r)
{
	const struct status_host *h = &r->host;

	if (h->cpuinfo_err < 0) {
		problem(r, STATUS_UNKNOWN,
			"check that /proc is mounted (below --root: proc/cpuinfo)",
			"cannot read /proc/cpuinfo: %s",
			h->cpuinfo_err == -ENODATA ? "no vendor_id line"
						   : status_strerror(h->cpuinfo_err));
		return;
	}
	if (h->module == KVM_MODULE_NONE) {
		problem(r, STATUS_UNSUPPORTED, "nothing: nestvirt knows no KVM module for this CPU",
			"KVM has no vendor module for the CPU vendor '%s'", h->vendor);
		return;
	}
	if (r->want == 1 && h->virt_flag == 0) {
		if (h->hypervisor == 1)
			problem(
			    r, STATUS_UNSUPPORTED,
			    h->module == KVM_MODULE_AMD
				? "on the outer host: give this VM <cpu mode='host-passthrough'/> "
				  "(or <feature policy='require' name='svm'/>) with kvm_amd "
				  "nested=1 there"
				: "on the outer host: give this VM <cpu mode='host-passthrough'/> "
				  "(or <feature policy='require' name='vmx'/>) with kvm_intel "
				  "nested=1 there",
			    "this machine is a VM and its hypervisor does not expose %s",
			    kvm_module_flag(h->module));
		else
			problem(r, STATUS_UNSUPPORTED,
				"enable virtualization (VT-x / AMD-V, SVM) in the firmware setup",
				"the CPU shows no %s flag", kvm_module_flag(h->module));
	}
}

static void verdict(struct status_report *r)
{
	const struct status_module *m = &r->mod;

	if (r->nproblems) {
		r->cls = r->problems[0].cls;
		snprintf(r->verdict, sizeof(r->verdict), "%s", r->problems[0].what);
	} else if (r->want < 0) {
		r->cls = STATUS_NOT_REQUESTED;
		snprintf(r->verdict, sizeof(r->verdict),
			 "nothing requested: no nestvirt= on the kernel command line and no "
			 "/etc/nestvirt/persistent");
	} else {
		r->cls = STATUS_OK;
		snprintf(r->verdict, sizeof(r->verdict), "%s %s nested=%d, as nestvirt=%d %s asks",
			 m->name, loaded(m) ? "has" : "will load with", r->effective, r->want,
			 request_origin(&r->req));
	}
}

void status_judge(struct status_report *r)
{
	const struct status_request *q = &r->req;
	const struct status_module *m = &r->mod;

	r->want = q->request;
	r->effective = effective(m);
	judge_notes(r);
	if (q->request < 0 && q->cmdline_err < 0 && q->cmdline_err != -ENOENT)
		problem(
		    r, STATUS_UNKNOWN, "check the file (below --root: proc/cmdline)",
		    "cannot read /proc/cmdline (%s) and the boot helper left no readable state: "
		    "the request is unknown",
		    status_strerror(q->cmdline_err));
	if (r->nproblems || r->want < 0) {
		if (r->want < 0 && q->state_kind > STATE_FILE_OK)
			note(r, "%s", q->state_err);
		verdict(r);
		return;
	}
	judge_host(r);
	if (r->nproblems) {
		verdict(r);
		return;
	}
	if (m->live.init == KVMMOD_INIT_UNKNOWN) {
		problem(r, STATUS_UNKNOWN, "check /sys (below --root: sys/module)",
			"cannot tell whether %s is loaded: /sys/module/%s%s: %s", m->name, m->name,
			m->live.err_file, status_strerror(m->live.err));
	} else if (r->effective < 0) {
		if (m->conf_err[0])
			problem(r, STATUS_UNKNOWN, "fix or remove the file named",
				"cannot read modprobe.d: %s", m->conf_err);
		else
			problem(r, STATUS_UNKNOWN, "check /sys/module/MODULE/parameters/nested",
				"cannot read %s's live nested value", m->name);
	} else if (r->effective != r->want) {
		judge_module(r);
	} else if (q->state_kind == STATE_FILE_ABSENT) {
		note(r, "the boot helper did not run (no /%s/%s): the value is what %s has anyway",
		     STATE_DIR, STATE_NAME, m->name);
	} else if (q->state_kind != STATE_FILE_OK) {
		note(r, "%s", q->state_err);
	}
	if (r->mod.initrd == 1 && r->nproblems &&
	    (r->problems[0].cls == STATUS_CONFLICT || r->problems[0].cls == STATUS_PENDING_REBOOT))
		note(r,
		     "%s is in the initramfs %s: after changing modprobe.d, rebuild it "
		     "(update-initramfs -u, or dracut -f)",
		     m->name, m->initrd_image);
	judge_after_module(r);
	verdict(r);
}
