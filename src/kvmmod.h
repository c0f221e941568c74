/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * The live state of a KVM vendor module (from /sys/module and modules.builtin, re-rootable)
 * and the one change nestvirt may make to it: unload and load it again with another "nested"
 * value, only when nothing uses it. Never touches the "kvm" module itself.
 */

/* Where a module stands, decided the way libkmod's kmod_module_get_initstate() does. */
enum kvmmod_init {
	KVMMOD_INIT_ABSENT,  /* no /sys/module/M: not loaded */
	KVMMOD_INIT_LIVE,    /* initstate "live" */
	KVMMOD_INIT_COMING,  /* still loading: initstate "coming", or its dir without initstate */
	KVMMOD_INIT_GOING,   /* initstate "going": being unloaded */
	KVMMOD_INIT_BUILTIN, /* listed in lib/modules/RELEASE/modules.builtin */
	KVMMOD_INIT_UNKNOWN, /* /sys/module/M or its initstate could not be read: see err */
};

struct kvmmod_state {
	enum kvmmod_init init;
	int refcnt;	      /* users: open /dev/kvm, VMs; -1 when unknown (unreadable or empty) */
	int nested;	      /* live parameter: 1, 0, or -1 when unknown */
	int err;	      /* negative errno behind KVMMOD_INIT_UNKNOWN, else 0 */
	const char *err_file; /* what could not be read: "" (the directory) or "/initstate" */
};

enum kvmmod_action {
	KVMMOD_NOT_LOADED, /* nothing to do now: the modprobe.d snippet applies at load */
	KVMMOD_ALREADY,	   /* loaded (or built in) with the wanted value */
	KVMMOD_RELOAD,	   /* loaded with the other value and unused: reload it */
	KVMMOD_BUSY,	   /* loaded with the other value, in use or refcnt unknown: next boot */
	KVMMOD_BUILTIN, /* built in: only MODULE.nested= on the kernel command line can change it */
	KVMMOD_LOADING, /* coming up right now: its options are fixed, its add event follows */
	KVMMOD_UNKNOWN, /* its state could not be read: nothing is safe to do */
};

/* How modules are removed and inserted; the real one is libkmod (kmodops.c), tests use fakes. */
struct kvmmod_ops {
	/* Unload @module. */
	int (*remove)(void *userdata, const char *module);
	/* Load @module and its dependencies with modprobe.d options, then @options (may be NULL),
	 * never running a modprobe.d "install" command instead. */
	int (*insert)(void *userdata, const char *module, const char *options);
	/* 1 when modprobe.d has an "install" or "remove" command for @module (the first one is
	 * put into @buf), 0 when none, negative errno when the configuration cannot be read. */
	int (*commands)(void *userdata, const char *module, char *buf, size_t size);
	void *userdata;
};

/* Read @module's state below @rootfd: sys/module/@module, and whether
 * lib/modules/@release/modules.builtin lists it (@release NULL: not checked). */
int kvmmod_read_state(int rootfd, const char *release, const char *module, struct kvmmod_state *st);

/* What to do to get @want (0/1) given @st. Pure. */
enum kvmmod_action kvmmod_decide(const struct kvmmod_state *st, int want);

/* Unload @module and load it with nested=@want. If that load fails, load it with nested=@old
 * so KVM is never left unloaded; returns the first error then (0 when the wanted load worked). */
int kvmmod_reload(const struct kvmmod_ops *ops, const char *module, int want, int old);

/* The value the kernel gives @module's "nested" parameter for the text @value, by the
 * parameter's own type: kvm_intel's is a bool (kstrtobool), kvm_amd's an int (kstrtoint,
 * base 0). 1 or 0, or -EINVAL when the kernel rejects it (the module then fails to load). */
int kvmmod_parse_nested(const char *module, const char *value);

/* "bool" or "int": the type of @module's "nested" parameter, for messages. */
const char *kvmmod_nested_type(const char *module);
