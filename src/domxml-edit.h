/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domxml-arena.h"
#include "domxml-cpu.h"
#include "domxml.h"

/*
 * The edit rules: a request applied to the model of a <cpu>, in memory. Internal to
 * domxml*.c.
 */

struct edit {
	struct arena *ar;
	struct cpu *c;
	const struct domxml_request *req;
	const char *arch;
	const char *added_model; /* the default model this edit added, if any */
	char what[160];		 /* what changed, for the reason */
};

/* Apply e->req to e->c, and say in e->what what changed. A request that needs no change but
 * has a reason of its own (host-passthrough already passes the feature through) writes it to
 * @res->reason. 0 or -ENOMEM. */
int edit_cpu(struct edit *e, struct domxml_result *res);
