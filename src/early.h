/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "kvmmod.h"

/*
 * One run of the boot helper: read the command line and the CPU, write the modprobe.d snippet
 * and the state file, reload the vendor module when that is safe. Every path is below @rootfd.
 */
struct early_config {
	int rootfd;                  /* "/" on a real boot, a test tree otherwise */
	const struct kvmmod_ops *ops; /* NULL: never touch modules, only record what would happen */
};

/* 0 when the request was carried out or deliberately deferred (in use, built in, admin's
 * override), negative errno when it could not be (each failure logged once). */
int early_run(const struct early_config *cfg);
