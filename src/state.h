/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * /run/nestvirt/state: what the boot helper decided and did, as "key=value" lines, so later
 * stages (udev runs of the helper, nestvirt status, the first-boot unit) never re-parse the
 * kernel command line. Unknown keys are ignored when read, so it can grow.
 */
#define STATE_DIR  "run/nestvirt"
#define STATE_NAME "state"
/* flock()ed by every helper run for its whole read-decide-write (udev and the unit may race). */
#define STATE_LOCK "lock"

struct nv_state {
	int request;	       /* 1, 0, or -1: no valid nestvirt= */
	char module[16];       /* kvm_intel, kvm_amd, none */
	char vendor[32];       /* vendor_id from cpuinfo */
	int virt_flag;	       /* vmx/svm present: 1/0, -1 unknown */
	int hypervisor;	       /* running in a VM: 1/0, -1 unknown */
	char admin_nested[16]; /* MODULE.nested= from the command line, "" when absent */
	char action[32];       /* snippet, already, loading, reloaded, reload-failed,
				  reload-refused, reload-skipped, pending-reboot, builtin,
				  admin-override, admin-invalid, unknown, error */
	int nested_before;     /* live value before: 1/0, -1 not loaded/unknown */
	int nested_after;      /* live value after our action */
	int reload_attempts;   /* reloads tried this boot (guards against udev loops) */
	char message[256];     /* one line for people */
	/* Where the request came from: "cmdline", "persistent" (/etc/nestvirt/persistent), or ""
	 * when there is none. */
	char source[16];
	/* One-boot overrides for the first boot, from nestvirt.cpu=, nestvirt.domains=,
	 * nestvirt.exclude= (globs separated by ','), "" when absent; firstboot is 0 for
	 * nestvirt.firstboot=0 (module option only, no XML change), 1 otherwise. */
	char cpu[256];
	char domains[256];
	char exclude[256];
	int firstboot;
};

/* A state with every field unknown. */
void state_init(struct nv_state *st);

/* Render @st as key=value lines into @buf, control characters in values as \xHH (never read
 * back: no value of ours has any). Returns the length or -ENOSPC. */
int state_format(const struct nv_state *st, char *buf, size_t size);

/* Parse key=value lines (any order, unknown keys ignored) into @st. */
void state_parse(const char *buf, size_t len, struct nv_state *st);
