// SPDX-License-Identifier: LGPL-2.1-or-later
#include "rwreport.h"

#include "json.h"

#include <stdarg.h>
#include <string.h>

static const char *const json_results[3][RW_NRESULTS] = {
    {"changed", "unchanged", "skipped", "failed"},
    {"restored", "unchanged", "skipped", "failed"},
    {"removed", "unchanged", "skipped", "failed"},
};

static void json_key(FILE *out, const char *key)
{
	json_write_string(out, key);
	fputs(": ", out);
}

void rwreport_begin(struct rwreport *rep, FILE *out, bool json, const char *command,
		    const char *dir, bool dry_run, const char *const *kv)
{
	*rep = (struct rwreport){
	    .out = out,
	    .json = json,
	    .dry_run = dry_run,
	    .rollback = !strcmp(command, "rollback") ? 1
			: !strcmp(command, "prune")  ? 2
						     : 0,
	    .dir = dir,
	};
	if (!json)
		return;
	fputs("{\n  ", out);
	json_key(out, "command");
	json_write_string(out, command);
	fputs(",\n  ", out);
	json_key(out, "config_dir");
	json_write_string(out, dir);
	fprintf(out, ",\n  \"dry_run\": %s", dry_run ? "true" : "false");
	for (; kv && kv[0]; kv += 2) {
		if (!kv[1])
			continue;
		fputs(",\n  ", out);
		json_key(out, kv[0]);
		json_write_string(out, kv[1]);
	}
	fputs(",\n  \"notes\": [", out);
}

/* JSON: notes come first; the first file closes them and opens the file list. */
static void open_files(struct rwreport *rep)
{
	if (rep->nfiles == 0)
		fputs("],\n  \"files\": [", rep->out);
}

/* The C escape of byte @c, or NULL when it stands for itself. @name: also the backslash
 * and the double quote, so that an escaped name reads back unambiguously. */
static const char *c_escape(unsigned char c, bool name, char buf[5])
{
	switch (c) {
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	case '\\':
		return name ? "\\\\" : NULL;
	case '"':
		return name ? "\\\"" : NULL;
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(buf, 5, "\\%03o", c);
		return buf;
	}
	return NULL;
}

bool rwreport_escape(const char *s, bool name, char *buf, size_t size)
{
	bool escaped = false;
	size_t k = 0;

	for (; *s; s++) {
		char tmp[5];
		const char *e = c_escape(*s, name, tmp);
		size_t n = e ? strlen(e) : 1;

		escaped |= e != NULL;
		if (k + n >= size)
			break;
		memcpy(buf + k, e ? e : s, n);
		k += n;
	}
	if (size)
		buf[k] = '\0';
	return escaped;
}

/* @s on one line of the human report: a control character in it cannot start a new line. */
static void put_line_part(FILE *out, const char *s, bool name)
{
	for (; *s; s++) {
		char tmp[5];
		const char *e = c_escape(*s, name, tmp);

		if (e)
			fputs(e, out);
		else
			fputc(*s, out);
	}
}

void rwreport_note(struct rwreport *rep, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!rep->json) {
		put_line_part(rep->out, line, false);
		fputc('\n', rep->out);
		return;
	}
	/* The "notes" list is closed by the first file: later notes go to stderr. */
	if (rep->nfiles > 0) {
		fprintf(stderr, "nestvirt: %s\n", line);
		return;
	}
	fputs(rep->nnotes++ ? ",\n    " : "\n    ", rep->out);
	json_write_string(rep->out, line);
}

static const char *human_result(const struct rwreport *rep, enum rw_result r)
{
	switch (r) {
	case RW_CHANGED:
		if (rep->rollback)
			return json_results[rep->rollback][RW_CHANGED];
		return rep->dry_run ? "would change" : "changed";
	case RW_UNCHANGED:
		return "already fine";
	case RW_SKIPPED:
		return "skipped";
	default:
		return "failed";
	}
}

static void put_path(FILE *out, const struct rwreport *rep, const char *name)
{
	put_line_part(out, rep->dir, true);
	fputc('/', out);
	put_line_part(out, name, true);
}

static void human_file(struct rwreport *rep, const struct rwfile *f)
{
	FILE *out = rep->out;

	put_path(out, rep, f->name);
	fprintf(out, ": %s", human_result(rep, f->result));
	if (f->reason) {
		fputs(": ", out);
		put_line_part(out, f->reason, false);
	}
	if (f->backup) {
		fputs(" (original kept as ", out);
		put_line_part(out, f->backup, true);
		fputc(')', out);
	}
	fputc('\n', out);
	for (size_t i = 0; i < f->nwarnings; i++) {
		put_path(out, rep, f->name);
		fputs(": warning: ", out);
		put_line_part(out, f->warnings[i], false);
		fputc('\n', out);
	}
	if (f->diff)
		fputs(f->diff, out);
}

static void json_field(FILE *out, const char *key, const char *val)
{
	if (!val)
		return;
	fputs(", ", out);
	json_key(out, key);
	json_write_string(out, val);
}

static void json_file(struct rwreport *rep, const struct rwfile *f)
{
	FILE *out = rep->out;
	char path[8192];

	open_files(rep);
	fputs(rep->nfiles ? ",\n    {" : "\n    {", out);
	snprintf(path, sizeof(path), "%s/%s", rep->dir, f->name);
	json_key(out, "file");
	json_write_string(out, path);
	json_field(out, "domain", f->domain);
	json_field(out, "result", json_results[rep->rollback][f->result]);
	json_field(out, "reason", f->reason);
	json_field(out, "backup", f->backup);
	fputs(", \"warnings\": [", out);
	for (size_t i = 0; i < f->nwarnings; i++) {
		if (i)
			fputs(", ", out);
		json_write_string(out, f->warnings[i]);
	}
	fputc(']', out);
	json_field(out, "diff", f->diff);
	fputc('}', out);
}

void rwreport_file(struct rwreport *rep, const struct rwfile *f)
{
	if (rep->json)
		json_file(rep, f);
	else
		human_file(rep, f);
	rep->counts[f->result]++;
	rep->nfiles++;
}

static size_t count(const struct rwreport *rep, enum rw_result r)
{
	return rep->counts[r];
}

int rwreport_end(struct rwreport *rep)
{
	int status = count(rep, RW_FAILED) ? 1 : 0;
	FILE *out = rep->out;

	if (!rep->json) {
		put_line_part(out, rep->dir, true);
		fprintf(out, ": %zu file%s: %zu %s, %zu already fine, %zu skipped, %zu failed\n",
			rep->nfiles, rep->nfiles == 1 ? "" : "s", count(rep, RW_CHANGED),
			human_result(rep, RW_CHANGED), count(rep, RW_UNCHANGED),
			count(rep, RW_SKIPPED), count(rep, RW_FAILED));
		fflush(out);
		return status;
	}
	open_files(rep);
	fprintf(out,
		"%s],\n  \"summary\": {\"files\": %zu, \"%s\": %zu, \"unchanged\": %zu, "
		"\"skipped\": %zu, \"failed\": %zu},\n  \"exit_status\": %d\n}\n",
		rep->nfiles ? "\n  " : "", rep->nfiles, json_results[rep->rollback][RW_CHANGED],
		count(rep, RW_CHANGED), count(rep, RW_UNCHANGED), count(rep, RW_SKIPPED),
		count(rep, RW_FAILED), status);
	fflush(out);
	return status;
}

int rwreport_refused(FILE *out, bool json, const char *command, const char *reason)
{
	if (json) {
		fputs("{\n  \"command\": ", out);
		json_write_string(out, command);
		fputs(",\n  \"refused\": ", out);
		json_write_string(out, reason);
		fputs(",\n  \"exit_status\": 2\n}\n", out);
		fflush(out);
	}
	return 2;
}
