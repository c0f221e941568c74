/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "kvmmod.h"

/*
 * kvmmod_ops backed by libkmod. libkmod is loaded with dlopen() and its context (which reads
 * every modprobe.d file) created on first use only, so a boot that reloads nothing pays nothing.
 */
struct kmodops;

/* A new handle; @soname is the library to dlopen(), NULL for "libkmod.so.2". NULL when out of
 * memory. */
struct kmodops *kmodops_new(const char *soname);

/* Its ops: they unload, load and inspect modules of the running kernel. */
const struct kvmmod_ops *kmodops_ops(struct kmodops *k);

/* Release the libkmod context and library, if loaded, and @k. */
void kmodops_free(struct kmodops *k);
