/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "kvmmod.h"

struct kmod_ctx;

/* kvmmod_ops backed by libkmod. The libkmod context (which reads every modprobe.d file and
 * the module index) is created on first use only, so a boot without work pays nothing. */
struct kmodops {
	struct kvmmod_ops ops;
	struct kmod_ctx *ctx;
};

/* Set up @k; its .ops unload and load modules of the running kernel. */
void kmodops_init(struct kmodops *k);

/* Release the libkmod context, if one was made. */
void kmodops_done(struct kmodops *k);
