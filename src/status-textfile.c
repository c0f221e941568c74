// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt status --textfile: the report as Prometheus metrics for node_exporter's textfile
 * collector (text exposition format 0.0.4: HELP and TYPE lines, no sample timestamps — the
 * collector refuses them — so the time of the report is a metric of its own). Unknown facts
 * are -1. Label values are ASCII: any other byte becomes '?', so the file is always valid UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

static void label(FILE *f, const char *v)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p >= 0x7f)
			fputc('?', f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void gauge(FILE *f, const char *name, const char *help, long long v)
{
	fprintf(f, "# HELP nestvirt_%s %s\n# TYPE nestvirt_%s gauge\nnestvirt_%s %lld\n", name,
		help, name, name, v);
}

static int tri(int v)
{
	return v < 0 ? -1 : v ? 1 : 0;
}

static void write_metrics(const struct status_report *r, long long now, FILE *f)
{
	static const enum status_class classes[] = {
	    STATUS_NOT_REQUESTED,    STATUS_UNSUPPORTED, STATUS_BUILTIN,
	    STATUS_PENDING_REBOOT,   STATUS_CONFLICT,	 STATUS_GUESTS,
	    STATUS_FIRSTBOOT_FAILED, STATUS_HELPER,	 STATUS_UNKNOWN,
	};
	const struct status_module *m = &r->mod;
	bool live = m->live.init == KVMMOD_INIT_LIVE || m->live.init == KVMMOD_INIT_BUILTIN;
	unsigned conflicts = 0;

	fprintf(f, "# HELP nestvirt_status_info What nestvirt status found; the value is 1.\n"
		   "# TYPE nestvirt_status_info gauge\nnestvirt_status_info{vendor=");
	label(f, r->host.cpuinfo_err < 0 ? "unknown" : r->host.vendor);
	fprintf(f, ",module=");
	label(f, m->name ? m->name : "none");
	fprintf(f, ",class=");
	label(f, status_class_name(r->cls));
	fprintf(f, ",verdict=");
	label(f, r->verdict);
	fprintf(f, "} 1\n");
	gauge(f, "status_ok", "1 when nesting is as requested (nestvirt status --check exits 0).",
	      r->cls == STATUS_OK);
	gauge(f, "status_check_code", "The exit code of nestvirt status --check.", r->cls);
	fprintf(f, "# HELP nestvirt_status_problems Problems found, by --check class.\n"
		   "# TYPE nestvirt_status_problems gauge\n");
	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		unsigned n = 0;

		for (unsigned i = 0; i < r->nproblems; i++)
			n += r->problems[i].cls == classes[c];
		fprintf(f, "nestvirt_status_problems{class=\"%s\"} %u\n",
			status_class_name(classes[c]), n);
	}
	gauge(f, "requested", "nestvirt= asked for: 1 on, 0 off, -1 nothing or unknown.", r->want);
	gauge(f, "effective_nested",
	      "nested as guests get it at their next start: 1, 0, -1 unknown.", r->effective);
	gauge(f, "cpu_virt_flag", "The CPU shows vmx/svm: 1, 0, -1 unknown.",
	      tri(r->host.virt_flag));
	gauge(f, "cpu_slat_flag", "The CPU shows ept/npt: 1, 0, -1 unknown.", tri(r->host.slat));
	gauge(f, "cpu_hypervisor", "This host is itself a VM (hypervisor flag): 1, 0, -1 unknown.",
	      tri(r->host.hypervisor));
	gauge(f, "dev_kvm_present", "/dev/kvm is the KVM device: 1, 0, -1 unknown.",
	      tri(r->host.dev_kvm));
	gauge(f, "module_loaded", "The vendor module is loaded or built in: 1, 0, -1 unknown.",
	      m->live.init == KVMMOD_INIT_UNKNOWN ? -1 : live);
	gauge(f, "module_nested", "The live nested value: 1, 0, -1 not loaded or unknown.",
	      live ? m->live.nested : -1);
	gauge(f, "module_refcnt", "The vendor module's refcnt, -1 when not loaded or unknown.",
	      m->live.init == KVMMOD_INIT_LIVE ? m->live.refcnt : -1);
	gauge(f, "module_next_nested",
	      "nested at the module's next load: 1, 0, -1 unknown, -2 the load fails.",
	      m->conf_err[0] || !m->name ? -1
	      : m->next < -1		 ? -2
	      : m->next < 0		 ? 1
					 : m->next);
	for (unsigned i = 0; i < m->nsrc; i++)
		conflicts += r->want >= 0 && m->src[i].value != r->want;
	gauge(f, "config_conflicts",
	      "nested= values in modprobe.d and on the command line that "
	      "differ from the request.",
	      conflicts);
	gauge(f, "pending_reboot", "The module holds the other value until it is reloaded.",
	      r->pending_reboot);
	gauge(f, "initramfs_has_module", "The vendor module is in the initramfs: 1, 0, -1 unknown.",
	      m->initrd);
	gauge(f, "boot_helper_ran", "The boot helper's state: 1 read, 0 absent, -1 unreadable.",
	      r->req.state_kind == STATE_FILE_OK       ? 1
	      : r->req.state_kind == STATE_FILE_ABSENT ? 0
						       : -1);
	gauge(f, "firstboot_done", "The first boot: 1 done, 0 not run, -1 failed or unknown.",
	      r->req.stamp == STAMP_DONE     ? 1
	      : r->req.stamp == STAMP_ABSENT ? 0
					     : -1);
	gauge(f, "guests_domains", "Stored libvirt domains analysed.",
	      r->guests ? guests_count(r->guests) : 0);
	gauge(f, "guests_problems", "Stored domains that will not see the extension.",
	      r->guests ? guests_problems(r->guests) : 0);
	gauge(f, "status_timestamp_seconds", "When this report was made (Unix time).", now);
}

char *status_format_textfile(const struct status_report *r, long long now, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	write_metrics(r, now, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
