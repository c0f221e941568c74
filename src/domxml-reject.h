/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domxml-cpu.h"

/*
 * libvirt's rejections: what its parser (virCPUDefParseXML, virDomainDefPostParseCPU) would
 * refuse in a guest <cpu>, so that an edit never writes a domain libvirt would not load.
 * Internal to domxml*.c.
 */

/* Why libvirt would refuse @c, or NULL when it would accept it. */
const char *libvirt_rejects(const struct cpu *c);
