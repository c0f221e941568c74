/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "image-probe.h"

/*
 * What `nestvirt image` found and changed: printed as it happens for people, or one JSON
 * document at the end with --json (the rewrite's own JSON report embedded).
 */

#define IMGREPORT_MAX_ITEMS 16

struct imgreport {
	FILE *out;
	bool json, dry_run;
	const char *target;		 /* the image or device as given */
	const struct image_probe *probe; /* NULL until probed */
	int chosen;			 /* index in probe->parts, -1 none */
	char why[256];			 /* why that one */
	char loopdev[64];
	bool read_only;
	char changes[IMGREPORT_MAX_ITEMS][512];
	size_t nchanges;
	char warnings[IMGREPORT_MAX_ITEMS][512];
	size_t nwarnings;
	char *rewrite; /* the rewrite's JSON document, NULL when none ran */
	int rewrite_status;
	char error[512];
};

void imgreport_init(struct imgreport *r, FILE *out, bool json, bool dry_run, const char *target);

/* The partition table and every partition with its verdict. */
void imgreport_probe(struct imgreport *r, const struct image_probe *p);

/* The partition chosen (index in the probe) and why. */
void imgreport_chosen(struct imgreport *r, int idx, const char *why);

/* The loop device and mount mode. */
void imgreport_mounted(struct imgreport *r, const char *loopdev, bool read_only);

/* One file changed (or, in a dry run, to be changed): "PATH: what". */
void imgreport_change(struct imgreport *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A warning: logged to stderr, and kept for the JSON document. */
void imgreport_warn(struct imgreport *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The reason a run failed, logged and kept for the JSON document. Returns -abs(@err). */
int imgreport_fail(struct imgreport *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The end: under --json the whole document. Returns @status. */
int imgreport_end(struct imgreport *r, int status);
