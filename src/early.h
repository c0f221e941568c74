/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "kvmmod.h"

/*
 * One run of the boot helper: read the request (kernel command line, else the persistent
 * setting) and the CPU, write the modprobe.d snippet and the state file, reload the vendor
 * module when that is safe. Every path is below @rootfd. Runs are serialized by a lock; a run
 * that finds nothing new since an earlier run of the same boot writes nothing.
 */
struct early_config {
	int rootfd;		      /* "/" on a real boot, a test tree otherwise */
	const struct kvmmod_ops *ops; /* NULL: never touch modules, only record what would happen */
	const char *release;	      /* kernel release for modules.builtin; NULL: not checked */
};

/* 0 when the request was carried out or deliberately deferred (in use, built in, admin's
 * override), negative errno when it could not be (each failure logged once). */
int early_run(const struct early_config *cfg);
