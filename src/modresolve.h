/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * What libkmod would pass to a module at load, resolved by libkmod itself from the
 * modprobe.d dirs below a root: /etc, /run, /usr/local/lib and /lib, files sorted together by
 * name. (libkmod also appends MODULE.param= from the running kernel's /proc/cmdline.)
 */

/* Put the options libkmod resolves for @module below @root ("/" for the host) into @buf.
 * Returns 0, or a negative errno when libkmod could not be set up. */
int modresolve_options(const char *root, const char *module, char *buf, size_t size);

/* The last nested= value in @module's options string, each read by the parameter's type as
 * the kernel reads it: 1, 0, -1 when there is none, or -EINVAL (< -1) when the kernel rejects
 * any of them (the module then fails to load). */
int modresolve_last_nested(const char *module, const char *options);
