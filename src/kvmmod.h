/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/*
 * The live state of a KVM vendor module (from /sys/module, re-rootable) and the one change
 * nestvirt may make to it: unload and load it again with another "nested" value, only when
 * nothing uses it. Never touches the "kvm" module itself.
 */

struct kvmmod_state {
	bool loaded;  /* /sys/module/M/initstate says "live" */
	bool builtin; /* /sys/module/M exists without initstate: compiled into the kernel */
	int refcnt;   /* users: open /dev/kvm, VMs; -1 when unknown */
	int nested;   /* live parameter: 1, 0, or -1 when unknown */
};

enum kvmmod_action {
	KVMMOD_NOT_LOADED, /* nothing to do now: the modprobe.d snippet applies at load */
	KVMMOD_ALREADY,    /* loaded with the wanted value */
	KVMMOD_RELOAD,     /* loaded with the other value and unused: reload it */
	KVMMOD_BUSY,       /* loaded with the other value and in use: pending reboot */
	KVMMOD_BUILTIN,    /* built in: only MODULE.nested= on the kernel command line can change it */
};

/* How modules are removed and inserted; the real one is libkmod (kmodops.c), tests use fakes. */
struct kvmmod_ops {
	/* Unload @module. */
	int (*remove)(void *userdata, const char *module);
	/* Load @module and its dependencies with modprobe.d options, then @options (may be NULL). */
	int (*insert)(void *userdata, const char *module, const char *options);
	void *userdata;
};

/* Read @module's state below the sysfs module dir @sys_module_fd. */
int kvmmod_read_state(int sys_module_fd, const char *module, struct kvmmod_state *st);

/* What to do to get @want (0/1) given @st. Pure. */
enum kvmmod_action kvmmod_decide(const struct kvmmod_state *st, int want);

/* Unload @module and load it with nested=@want. If that load fails, load it with nested=@old
 * so KVM is never left unloaded; returns the first error then (0 when the wanted load worked). */
int kvmmod_reload(const struct kvmmod_ops *ops, const char *module, int want, int old);

/* A short name for @a, as written into the state file. */
const char *kvmmod_action_name(enum kvmmod_action a);
