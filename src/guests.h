/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "hostcpu.h"

/*
 * The stored libvirt domains as nestvirt status reports them: per domain, whether the guest
 * will see the virtualization extension (vmx/svm) when it starts on this host, and why; which
 * domains another management layer owns; which are running or have a managed-save image.
 * Reads only; never follows a symlink out of the config directory.
 */

/* What status knows about the host, for predicting what each guest will see. */
struct guests_host {
	enum kvm_module module; /* decides the flag: vmx or svm; KVM_MODULE_NONE: unknown */
	int nested;		/* nesting effective at the guests' next start: 1, 0, -1 unknown */
	int virt_flag;		/* the host CPU shows vmx/svm: 1, 0, -1 unknown */
};

struct guests_report;

/* Analyse every *.xml directly in @confdir (relative to @rootfd, no leading '/', e.g.
 * "etc/libvirt/qemu") and the running/managed-save state beside it (run/libvirt/qemu,
 * var/lib/libvirt/qemu/save). Always fills *@out (an unreadable directory is an error
 * recorded in the report, not a failure); returns 0, or -ENOMEM. */
int guests_scan(int rootfd, const char *confdir, const struct guests_host *host,
		struct guests_report **out);

/* Domains analysed. */
unsigned guests_count(const struct guests_report *r);

/* Domains nestvirt should have given the extension and that will not see it (the --check
 * class "guests not rewritten"); managed and excluded domains are not counted. */
unsigned guests_problems(const struct guests_report *r);

/* The "guests:" section of the human report: one line per domain, plus one "do:" line per
 * problem. */
void guests_write_text(const struct guests_report *r, FILE *out);

/* The value of the status document's "guests" member, one JSON object:
 *   {"dir": str, "error": str|null, "count": int, "problems": int, "domains": [DOMAIN…]}
 * DOMAIN: {"name": str|null, "file": str,
 *   "cpu": "feature"|"host-passthrough"|"maximum"|"host-model"|"custom"|"none"|"unparseable",
 *   "feature_policy": "require"|"force"|"optional"|"disable"|"forbid"|null,
 *   "sees": "yes"|"no"|"likely"|"unknown",
 *   "start": "ok"|"fails"|"without-extension"|"unknown",
 *   "running": bool|null, "managed_save": bool|null, "managed_by": str|null,
 *   "reason": str, "action": str|null} */
void guests_write_json(const struct guests_report *r, FILE *out);

void guests_report_free(struct guests_report *r);
