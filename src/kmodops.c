// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodops.h"

#include <dlfcn.h>
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>

#include "log.h"

/*
 * libkmod is opened with dlopen() when a module really has to be reloaded, as systemd does for
 * its optional libraries: libkmod pulls in libcrypto, liblzma and libzstd, and relocating them
 * costs the dynamic loader more instructions than the rest of a boot-helper run together.
 * Most boots only write the snippet and never pay that.
 */

static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
		     const char *format, va_list args)
{
	(void)data, (void)file, (void)line, (void)fn;
	log_vmsg(priority, format, args);
}

/* Our prototypes must be libkmod's own: checked against libkmod.h at compile time. */
#define SAME_TYPE(field, fn) \
	_Static_assert(__builtin_types_compatible_p(__typeof__(((struct kmod_api *)0)->field), \
						    __typeof__(&fn)), #fn)
SAME_TYPE(new, kmod_new);
SAME_TYPE(unref, kmod_unref);
SAME_TYPE(set_log_fn, kmod_set_log_fn);
SAME_TYPE(module_new_from_name, kmod_module_new_from_name);
SAME_TYPE(module_unref, kmod_module_unref);
SAME_TYPE(module_remove_module, kmod_module_remove_module);
SAME_TYPE(module_probe_insert_module, kmod_module_probe_insert_module);

static int load_api(struct kmodops *k)
{
	static const char *const names[] = {
		"kmod_new", "kmod_unref", "kmod_set_log_fn", "kmod_module_new_from_name",
		"kmod_module_unref", "kmod_module_remove_module", "kmod_module_probe_insert_module",
	};
	void **slots = (void **)&k->api;

	k->dl = dlopen("libkmod.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!k->dl)
		return log_error_errno(EOPNOTSUPP, "Failed to load libkmod.so.2: %s", dlerror());
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		slots[i] = dlsym(k->dl, names[i]);
		if (!slots[i])
			return log_error_errno(EOPNOTSUPP, "libkmod.so.2 has no %s", names[i]);
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
	/* Extra options come after the modprobe.d ones and the kernel keeps the last value. */
	r = k->api.module_probe_insert_module(mod, 0, options, NULL, NULL, NULL);
	k->api.module_unref(mod);
	if (r > 0)
		r = -EPERM; /* refused by configuration (blacklist) */
	return r;
}

void kmodops_init(struct kmodops *k)
{
	*k = (struct kmodops){ .ops = { kmodops_remove, kmodops_insert, k } };
}

void kmodops_done(struct kmodops *k)
{
	if (k->ctx)
		k->api.unref(k->ctx);
	if (k->dl)
		dlclose(k->dl);
	k->ctx = NULL;
	k->dl = NULL;
}
