/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "guests.h"

/*
 * Inside the guests report (guests*.c): one compact record per domain, so that the report of
 * 10,000 domains stays small; the sentences are made from it when the report is written.
 */

struct domxml_facts;

enum guest_cpu {
	G_FEATURE,
	G_PASSTHROUGH,
	G_MAXIMUM,
	G_HOST_MODEL,
	G_CUSTOM,
	G_NONE,
	G_UNPARSEABLE
};
enum guest_policy { P_NONE, P_REQUIRE, P_FORCE, P_OPTIONAL, P_DISABLE, P_FORBID };
enum guest_sees { S_YES, S_NO, S_LIKELY, S_UNKNOWN };
enum guest_start { ST_OK, ST_FAILS, ST_WITHOUT, ST_UNKNOWN };

/* Why the prediction is what it is: each has its sentence (guests-write.c). */
enum guest_why {
	W_UNREADABLE,	    /* the file could not be read (detail: why) */
	W_INVALID,	    /* not a domain document libvirt loads (detail: why) */
	W_NOT_KVM,	    /* skipped: <domain type> is not kvm (detail: the type) */
	W_NOT_X86,	    /* skipped: not an x86 guest (detail: the arch) */
	W_FEATURE,	    /* the feature with require/force */
	W_OPTIONAL,	    /* the feature with optional */
	W_DISABLED,	    /* the feature with disable/forbid */
	W_PASSTHROUGH,	    /* host-passthrough or maximum */
	W_HOST_MODEL,	    /* host-model without the feature */
	W_MODEL_NO_FEATURE, /* custom model without the feature (detail: the model) */
	W_NO_CPU,	    /* no <cpu> or no model: QEMU's default qemu64 */
};

struct guest {
	char *file;   /* the entry's name in the config dir */
	char *detail; /* see enum guest_why; NULL when none */
	unsigned char cpu, policy, sees, start, why;
	unsigned char check; /* 0 absent, 1 none, 2 partial, 3 full, 4 other */
	unsigned char flag;  /* the feature looked at: 0 vmx, 1 svm, 2 unknown */
	unsigned char layer; /* 1 + managed_layer_at() index; 0 not managed */
	signed char running; /* 1, 0, -1 unknown */
	signed char saved;   /* managed-save image: 1, 0, -1 unknown */
	bool excluded;	     /* not selected by the first boot's domains/exclude */
	bool problem;
};

struct guests_report {
	char dir[4096]; /* as people know it: "/etc/libvirt/qemu" */
	char *error;	/* the directory could not be read; NULL when it was */
	struct guests_host host;
	struct guest *v;
	size_t n, cap;
	unsigned problems;
};

/* Predict @g (cpu, policy, sees, start, why, flag, detail) from the facts of its document
 * and the host. Returns 0 or -ENOMEM (detail is strdup'd). */
int guest_predict(const struct domxml_facts *f, const struct guests_host *host, struct guest *g);

/* g->flag from the host alone: what an unread document is reported with. */
void guest_host_flag(const struct guests_host *host, struct guest *g);

/* 1 the extension reaches guests at their next start, 0 it cannot, -1 unknown. */
int guests_host_nesting(const struct guests_host *host);

/* "vmx", "svm" or "vmx/svm" for g->flag. */
const char *guest_flag_name(const struct guest *g);

/* The sentence and the action of @g (action "" when none), for the text and JSON reports. */
void guest_reason(const struct guests_report *r, const struct guest *g, char *buf, size_t size);
void guest_action(const struct guests_report *r, const struct guest *g, char *buf, size_t size);
