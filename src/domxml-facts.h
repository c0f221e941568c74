/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * What one domain document says about the guest's CPU, read (never edited) with the same
 * reader as the <cpu> edit (domxml-scan.c): the domain type and arch, the <cpu> mode, model
 * and check, the policy of vmx and svm, and the management layer that owns the domain.
 * Bytes in, a struct out; no I/O.
 */

struct managed_layer;
struct domdoc;

struct domxml_facts {
	char invalid[256]; /* why the document cannot be read as a domain; "" when it was read */
	char type[16];	   /* <domain type=…>: "kvm", "qemu" …; "" when absent */
	char arch[24];	   /* <os><type arch=…>, "" when absent (libvirt: the host's) */
	bool cpu;	   /* a non-empty <cpu> is present */
	char mode[24];	   /* custom (also when absent), host-model, host-passthrough, maximum */
	char model[64];	   /* <cpu><model> text, "" when none */
	char check[12];	   /* <cpu check=…>, "" when absent */
	char vmx[12];	   /* policy of <feature name='vmx'>, "" when absent */
	char svm[12];	   /* policy of <feature name='svm'>, "" when absent */
	const struct managed_layer *managed; /* the layer owning it (managed.h), NULL: none */
};

/* Read the @len bytes at @buf into @f. Returns 0 (with f->invalid set when the document is
 * refused or not a <domain>), or -ENOMEM. */
int domxml_facts_read(const char *buf, size_t len, struct domxml_facts *f);

/* The management layer of a scanned document (internal to domxml*.c). */
const struct managed_layer *domdoc_managed(const struct domdoc *d);
