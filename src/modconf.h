/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * The modprobe.d snippet. libkmod sorts the files of all modprobe.d dirs together by name and
 * concatenates their options in that order; the kernel keeps the last value of a parameter.
 * "zz-" sorts after every distro or admin file name in practice (digits, letters, "kvm.conf"),
 * so our "nested=" comes last and wins. Only MODULE.nested= on the kernel command line comes
 * later still, and that is the admin's word.
 */
#define MODCONF_DIR  "run/modprobe.d"
#define MODCONF_NAME "zz-nestvirt.conf"

/* Write the snippet text for @module (e.g. "kvm_amd") with nested=@want (always the digit:
 * kvm_amd's int parameter rejects "Y") into @buf. Returns its length, or -ENOSPC. */
int modconf_format(char *buf, size_t size, const char *module, int want);
