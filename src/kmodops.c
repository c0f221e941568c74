// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodops.h"

#include <errno.h>
#include <libkmod.h>
#include <stdio.h>

#include "log.h"

static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
		     const char *format, va_list args)
{
	(void)data, (void)file, (void)line, (void)fn;
	log_vmsg(priority, format, args);
}

static struct kmod_ctx *get_ctx(struct kmodops *k)
{
	if (k->ctx)
		return k->ctx;
	k->ctx = kmod_new(NULL, NULL);
	if (!k->ctx)
		return NULL;
	kmod_set_log_fn(k->ctx, kmod_log, NULL);
	return k->ctx;
}

static int new_module(struct kmodops *k, const char *name, struct kmod_module **mod)
{
	struct kmod_ctx *ctx = get_ctx(k);
	int r;

	if (!ctx)
		return log_error_errno(ENOMEM, "Failed to create a libkmod context");
	r = kmod_module_new_from_name(ctx, name, mod);
	return r < 0 ? r : 0;
}

static int kmodops_remove(void *userdata, const char *name)
{
	struct kmod_module *mod;
	int r;

	r = new_module(userdata, name, &mod);
	if (r < 0)
		return r;
	r = kmod_module_remove_module(mod, 0);
	kmod_module_unref(mod);
	return r;
}

static int kmodops_insert(void *userdata, const char *name, const char *options)
{
	struct kmod_module *mod;
	int r;

	r = new_module(userdata, name, &mod);
	if (r < 0)
		return r;
	/* Extra options come after the modprobe.d ones and the kernel keeps the last value. */
	r = kmod_module_probe_insert_module(mod, 0, options, NULL, NULL, NULL);
	kmod_module_unref(mod);
	if (r > 0)
		r = -EPERM; /* refused by configuration (blacklist) */
	return r;
}

void kmodops_init(struct kmodops *k)
{
	k->ctx = NULL;
	k->ops.remove = kmodops_remove;
	k->ops.insert = kmodops_insert;
	k->ops.userdata = k;
}

void kmodops_done(struct kmodops *k)
{
	k->ctx = kmod_unref(k->ctx);
}
