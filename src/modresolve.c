// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modresolve.h"

#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>

#include "kvmmod.h"

/* kmod 30's search order (libkmod-config.c default_config_paths). */
static const char *const modprobe_dirs[] = {
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/lib/modprobe.d",
};
#define N_DIRS (sizeof(modprobe_dirs) / sizeof(modprobe_dirs[0]))

int modresolve_options(const char *root, const char *module, char *buf, size_t size)
{
	char paths[N_DIRS][4096];
	const char *config[N_DIRS + 1];
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	const char *opts;
	bool host = !strcmp(root, "/");
	int r;

	for (size_t i = 0; i < N_DIRS; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s%s", host ? "" : root, modprobe_dirs[i]);
		config[i] = paths[i];
	}
	config[N_DIRS] = NULL;
	ctx = kmod_new(NULL, config);
	if (!ctx)
		return -ENOMEM;
	kmod_set_log_priority(ctx, 0);
	r = kmod_module_new_from_name(ctx, module, &mod);
	if (r < 0)
		goto out;
	opts = kmod_module_get_options(mod);
	snprintf(buf, size, "%s", opts ? opts : "");
	r = 0;
out:
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return r;
}

int modresolve_last_nested(const char *module, const char *options)
{
	int last = -1;

	for (const char *p = options; (p = strstr(p, "nested=")); p += 7) {
		char value[64];
		const char *v = p + 7;
		size_t n = strcspn(v, " ");

		if (p != options && p[-1] != ' ')
			continue;
		if (n >= sizeof(value))
			return -EINVAL;
		memcpy(value, v, n);
		value[n] = '\0';
		/* The kernel's next_arg() drops the quotes of a quoted value. */
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
			memmove(value, value + 1, n - 2);
			value[n - 2] = '\0';
		}
		last = kvmmod_parse_nested(module, value);
		/* The kernel stops at the first parameter it rejects, and the load fails. */
		if (last < 0)
			return last;
	}
	return last;
}
