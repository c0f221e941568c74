/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * What `nestvirt rewrite` and `nestvirt rollback` say about each file: one line per file for
 * humans, or one JSON document (--json). Streamed as the files are processed, so memory does
 * not grow with the number of files.
 */

enum rw_result {
	RW_CHANGED,   /* rewrite: changed (or would be, in a dry run); rollback: restored */
	RW_UNCHANGED, /* already as requested */
	RW_SKIPPED,   /* deliberately left alone */
	RW_FAILED,    /* should have been done and was not */
	RW_NRESULTS,
};

struct rwfile {
	const char *name;   /* file name inside the config dir */
	const char *domain; /* domain name, or NULL */
	enum rw_result result;
	const char *reason; /* one line, or NULL */
	const char *warnings[3];
	size_t nwarnings;
	const char *backup; /* name of the backup this run made, or NULL */
	const char *diff;   /* unified diff (dry run), or NULL */
};

struct rwreport {
	FILE *out;
	bool json;
	bool dry_run;
	int rollback;	 /* 0 rewrite, 1 rollback, 2 rollback --prune ("prune") */
	const char *dir; /* the config dir as shown to humans */
	size_t nnotes;
	size_t nfiles;
	size_t counts[RW_NRESULTS];
};

/* Start the report of @command ("rewrite", "rollback" or "prune") on @dir. @kv: NULL-terminated
 * key/value string pairs for the JSON header (mode, vendor feature …), NULL values left out. */
void rwreport_begin(struct rwreport *rep, FILE *out, bool json, const char *command,
		    const char *dir, bool dry_run, const char *const *kv);

/* Report one file. */
void rwreport_file(struct rwreport *rep, const struct rwfile *f);

/* Report a file-independent note (removed leftovers …): a line, or an entry of "notes". */
void rwreport_note(struct rwreport *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Finish the report with the counts; returns the exit status: 1 if any file failed, else 0. */
int rwreport_end(struct rwreport *rep);

/* The whole report of a run that refused to start (daemon up, lock held): exit status 2. */
int rwreport_refused(FILE *out, bool json, const char *command, const char *reason);

/* @s with control characters as C escapes (\n, \t, \ooo) into @buf (@size bytes, cut if
 * longer); with @name also backslash and double quote. True if anything was escaped. The
 * human report writes every name, reason and note this way: one file, one line. */
bool rwreport_escape(const char *s, bool name, char *buf, size_t size);
