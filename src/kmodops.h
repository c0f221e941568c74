/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

#include "kvmmod.h"

struct kmod_ctx;
struct kmod_module;

/* The libkmod functions we call, looked up with dlsym() in this order. */
struct kmod_api {
	struct kmod_ctx *(*new)(const char *, const char *const *);
	struct kmod_ctx *(*unref)(struct kmod_ctx *);
	void (*set_log_fn)(struct kmod_ctx *, void (*)(void *, int, const char *, int, const char *,
						       const char *, va_list),
			   const void *);
	int (*module_new_from_name)(struct kmod_ctx *, const char *, struct kmod_module **);
	struct kmod_module *(*module_unref)(struct kmod_module *);
	int (*module_remove_module)(struct kmod_module *, unsigned int);
	int (*module_probe_insert_module)(struct kmod_module *, unsigned int, const char *,
					  int (*)(struct kmod_module *, const char *, void *),
					  const void *,
					  void (*)(struct kmod_module *, bool, const char *));
};

/* kvmmod_ops backed by libkmod. libkmod is loaded and its context (which reads every
 * modprobe.d file) created on first use only, so a boot that reloads nothing pays nothing. */
struct kmodops {
	struct kvmmod_ops ops;
	struct kmod_ctx *ctx;
	struct kmod_api api;
	void *dl;
};

/* Set up @k; its .ops unload and load modules of the running kernel. */
void kmodops_init(struct kmodops *k);

/* Release the libkmod context, if one was made. */
void kmodops_done(struct kmodops *k);
