/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* The command line of nestvirt image. */

#define MAX_RW_ARGS 64

struct image_opts {
	const char *image, *device, *partition;
	int value; /* 1 --enable, 0 --disable, -1 neither */
	bool firstboot, now_rewrite, dry_run, json;
	char *rw_argv[MAX_RW_ARGS];
	int rw_argc;
	bool rw_mode; /* --mode or --cpu given */
};

/* Parse nestvirt image's arguments into @o. Returns 1 after --help, 0 to go on, -EINVAL on a
 * usage error (reported with the usage). */
int image_opts_parse(int argc, char **argv, struct image_opts *o);
