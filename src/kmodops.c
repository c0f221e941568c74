// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodops.h"

#include <dlfcn.h>
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/*
 * libkmod is opened with dlopen() when a module really has to be reloaded, as systemd does for
 * its optional libraries: libkmod pulls in libcrypto, liblzma and libzstd, and relocating them
 * costs the dynamic loader more instructions than the rest of a boot-helper run together.
 * Most boots only write the snippet and never pay that.
 */

/* The libkmod functions we call, looked up with dlsym() in this order. */
struct kmod_api {
	struct kmod_ctx *(*new)(const char *, const char *const *);
	struct kmod_ctx *(*unref)(struct kmod_ctx *);
	void (*set_log_fn)(struct kmod_ctx *,
			   void (*)(void *, int, const char *, int, const char *, const char *,
				    va_list),
			   const void *);
	int (*module_new_from_name)(struct kmod_ctx *, const char *, struct kmod_module **);
	struct kmod_module *(*module_unref)(struct kmod_module *);
	int (*module_remove_module)(struct kmod_module *, unsigned int);
	int (*module_probe_insert_module)(struct kmod_module *, unsigned int, const char *,
					  int (*)(struct kmod_module *, const char *, void *),
					  const void *,
					  void (*)(struct kmod_module *, bool, const char *));
	const char *(*module_get_install_commands)(const struct kmod_module *);
	const char *(*module_get_remove_commands)(const struct kmod_module *);
};

struct kmodops {
	struct kvmmod_ops ops;
	const char *soname;
	struct kmod_ctx *ctx;
	struct kmod_api api;
	void *dl;
};

/* Our prototypes must be libkmod's own: checked against libkmod.h at compile time. */
#define SAME_TYPE(field, fn)                                                                       \
	_Static_assert(__builtin_types_compatible_p(__typeof__(((struct kmod_api *)0)->field),     \
						    __typeof__(&fn)),                              \
		       #fn)
SAME_TYPE(new, kmod_new);
SAME_TYPE(unref, kmod_unref);
SAME_TYPE(set_log_fn, kmod_set_log_fn);
SAME_TYPE(module_new_from_name, kmod_module_new_from_name);
SAME_TYPE(module_unref, kmod_module_unref);
SAME_TYPE(module_remove_module, kmod_module_remove_module);
SAME_TYPE(module_probe_insert_module, kmod_module_probe_insert_module);
SAME_TYPE(module_get_install_commands, kmod_module_get_install_commands);
SAME_TYPE(module_get_remove_commands, kmod_module_get_remove_commands);

static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
		     const char *format, va_list args)
{
	char msg[512];
	size_t n;

	(void)data, (void)file, (void)line, (void)fn;
	vsnprintf(msg, sizeof(msg), format, args);
	/* libkmod's formats end in "\n"; our logger ends every line itself. */
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_msg_errno(priority, 0, "libkmod: %s", msg);
}

static void unload_api(struct kmodops *k)
{
	if (k->ctx)
		k->api.unref(k->ctx);
	if (k->dl)
		dlclose(k->dl);
	k->ctx = NULL;
	k->dl = NULL;
	memset(&k->api, 0, sizeof(k->api));
}

/* All or nothing: a library missing one function leaves no half-filled table behind. */
static int load_api(struct kmodops *k)
{
	static const char *const names[] = {
	    "kmod_new",
	    "kmod_unref",
	    "kmod_set_log_fn",
	    "kmod_module_new_from_name",
	    "kmod_module_unref",
	    "kmod_module_remove_module",
	    "kmod_module_probe_insert_module",
	    "kmod_module_get_install_commands",
	    "kmod_module_get_remove_commands",
	};
	void **slots = (void **)&k->api;

	_Static_assert(sizeof(names) / sizeof(names[0]) * sizeof(void *) == sizeof(k->api),
		       "one name per slot");
	k->dl = dlopen(k->soname, RTLD_NOW | RTLD_LOCAL);
	if (!k->dl)
		return log_error_errno(EOPNOTSUPP, "Failed to load %s: %s", k->soname, dlerror());
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		slots[i] = dlsym(k->dl, names[i]);
		if (!slots[i]) {
			log_error_errno(EOPNOTSUPP, "%s has no %s", k->soname, names[i]);
			unload_api(k);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int get_ctx(struct kmodops *k)
{
	int r;

	if (k->ctx)
		return 0;
	if (!k->dl) {
		r = load_api(k);
		if (r < 0)
			return r;
	}
	k->ctx = k->api.new(NULL, NULL);
	if (!k->ctx)
		return log_error_errno(ENOMEM, "Failed to create a libkmod context");
	k->api.set_log_fn(k->ctx, kmod_log, NULL);
	return 0;
}

static int new_module(struct kmodops *k, const char *name, struct kmod_module **mod)
{
	int r = get_ctx(k);

	if (r < 0)
		return r;
	r = k->api.module_new_from_name(k->ctx, name, mod);
	return r < 0 ? r : 0;
}

static int kmodops_remove(void *userdata, const char *name)
{
	struct kmodops *k = userdata;
	struct kmod_module *mod;
	int r;

	r = new_module(k, name, &mod);
	if (r < 0)
		return r;
	/* Unlike modprobe -r, this never runs a modprobe.d "remove" command. */
	r = k->api.module_remove_module(mod, 0);
	k->api.module_unref(mod);
	return r;
}

static int kmodops_insert(void *userdata, const char *name, const char *options)
{
	struct kmodops *k = userdata;
	struct kmod_module *mod;
	int r;

	r = new_module(k, name, &mod);
	if (r < 0)
		return r;
	/* Extra options come after the modprobe.d ones and the kernel keeps the last value.
	 * IGNORE_COMMAND: an "install M /bin/true" must not stand in for the real load. */
	r = k->api.module_probe_insert_module(mod, KMOD_PROBE_IGNORE_COMMAND, options, NULL, NULL,
					      NULL);
	k->api.module_unref(mod);
	if (r > 0)
		r = -EPERM; /* refused by configuration (blacklist) */
	return r;
}

static int kmodops_commands(void *userdata, const char *name, char *buf, size_t size)
{
	struct kmodops *k = userdata;
	struct kmod_module *mod;
	const char *cmd;
	int r;

	r = new_module(k, name, &mod);
	if (r < 0)
		return r;
	cmd = k->api.module_get_install_commands(mod);
	if (cmd)
		snprintf(buf, size, "install %s %s", name, cmd);
	else if ((cmd = k->api.module_get_remove_commands(mod)))
		snprintf(buf, size, "remove %s %s", name, cmd);
	k->api.module_unref(mod);
	return cmd ? 1 : 0;
}

struct kmodops *kmodops_new(const char *soname)
{
	struct kmodops *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->soname = soname ? soname : "libkmod.so.2";
	k->ops = (struct kvmmod_ops){kmodops_remove, kmodops_insert, kmodops_commands, k};
	return k;
}

const struct kvmmod_ops *kmodops_ops(struct kmodops *k)
{
	return &k->ops;
}

void kmodops_free(struct kmodops *k)
{
	if (!k)
		return;
	unload_api(k);
	free(k);
}
