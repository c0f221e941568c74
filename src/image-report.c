// SPDX-License-Identifier: LGPL-2.1-or-later
#include "image-report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"

void imgreport_init(struct imgreport *r, FILE *out, bool json, bool dry_run, const char *target)
{
	*r = (struct imgreport){.out = out, .json = json, .dry_run = dry_run, .target = target};
	r->chosen = -1;
}

static void print_part(FILE *out, const struct image_part *part)
{
	fprintf(out, "  %s%-3d %10.1f MiB  %-12s", part->number ? "#" : " ", part->number,
		(double)part->size / (1024 * 1024), part->type[0] ? part->type : "-");
	if (part->label[0])
		fprintf(out, " LABEL=%s", part->label);
	if (part->partlabel[0])
		fprintf(out, " PARTLABEL=%s", part->partlabel);
	fprintf(out, "  %s\n", part->refusal ? part->refusal : "a candidate");
}

void imgreport_probe(struct imgreport *r, const struct image_probe *p)
{
	r->probe = p;
	if (r->json)
		return;
	fprintf(r->out, "image: %s (%.1f MiB)\n", r->target, (double)p->size / (1024 * 1024));
	if (p->pttype[0])
		fprintf(r->out, "partition table: %s%s%s, %zu partitions\n", p->pttype,
			p->ptuuid[0] ? " " : "", p->ptuuid, p->nparts);
	else
		fprintf(r->out, "partition table: none (a bare filesystem)\n");
	for (size_t i = 0; i < p->nparts; i++)
		print_part(r->out, &p->parts[i]);
}

void imgreport_chosen(struct imgreport *r, int idx, const char *why)
{
	const struct image_part *part = &r->probe->parts[idx];

	r->chosen = idx;
	snprintf(r->why, sizeof(r->why), "%s", why);
	if (r->json)
		return;
	if (part->number)
		fprintf(r->out, "chosen: partition %d, %s%s%s: %s\n", part->number, part->type,
			part->label[0] ? " LABEL=" : "", part->label, why);
	else
		fprintf(r->out, "chosen: the whole image, %s%s%s: %s\n", part->type,
			part->label[0] ? " LABEL=" : "", part->label, why);
}

void imgreport_mounted(struct imgreport *r, const char *loopdev, bool read_only)
{
	snprintf(r->loopdev, sizeof(r->loopdev), "%s", loopdev);
	r->read_only = read_only;
	if (!r->json)
		fprintf(r->out, "mounted: %s via %s in a private mount namespace\n",
			read_only ? "read-only" : "read-write", loopdev);
}

/* Append a formatted item to @items (@n of IMGREPORT_MAX_ITEMS; when full, the last is
 * overwritten). Returns its text. */
static const char *add_item(char items[][512], size_t *n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static const char *add_item(char items[][512], size_t *n, const char *fmt, va_list ap)
{
	char *slot = items[*n < IMGREPORT_MAX_ITEMS ? (*n)++ : IMGREPORT_MAX_ITEMS - 1];

	vsnprintf(slot, 512, fmt, ap);
	return slot;
}

void imgreport_change(struct imgreport *r, const char *fmt, ...)
{
	const char *slot;
	va_list ap;

	va_start(ap, fmt);
	slot = add_item(r->changes, &r->nchanges, fmt, ap);
	va_end(ap);
	if (!r->json)
		fprintf(r->out, "%s: %s\n", r->dry_run ? "would change" : "changed", slot);
}

void imgreport_warn(struct imgreport *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_warning("%s", add_item(r->warnings, &r->nwarnings, fmt, ap));
	va_end(ap);
}

int imgreport_fail(struct imgreport *r, int err, const char *fmt, ...)
{
	char msg[sizeof(r->error)];
	va_list ap;

	/* glibc's printf formats %m from errno: the same text log_*_errno gives. */
	errno = err < 0 ? -err : err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!r->error[0])
		snprintf(r->error, sizeof(r->error), "%s", msg);
	log_error("%s", msg);
	return err < 0 ? err : -err;
}

static void json_kv(FILE *out, const char *key, const char *value, bool comma)
{
	json_write_string(out, key);
	fputc(':', out);
	json_write_string(out, value);
	if (comma)
		fputc(',', out);
}

static void json_part(FILE *out, const struct image_part *part)
{
	fprintf(out, "{\"number\":%d,\"offset\":%" PRIu64 ",\"size\":%" PRIu64 ",", part->number,
		part->offset, part->size);
	json_kv(out, "type", part->type, true);
	json_kv(out, "label", part->label, true);
	json_kv(out, "uuid", part->uuid, true);
	json_kv(out, "partlabel", part->partlabel, true);
	json_kv(out, "partuuid", part->partuuid, true);
	fprintf(out, "\"candidate\":%s,\"refusal\":", part->refusal ? "false" : "true");
	if (part->refusal)
		json_write_string(out, part->refusal);
	else
		fputs("null", out);
	fputc('}', out);
}

static void json_list(FILE *out, const char *key, char items[][512], size_t n)
{
	json_write_string(out, key);
	fputs(":[", out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		json_write_string(out, items[i]);
	}
	fputs("],", out);
}

int imgreport_end(struct imgreport *r, int status)
{
	FILE *out = r->out;

	if (!r->json) {
		if (status == 0 && r->nchanges == 0)
			fprintf(out, "%s\n",
				r->dry_run ? "would change: nothing" : "changed: nothing");
		return status;
	}
	fputs("{\"command\":\"image\",", out);
	json_kv(out, "image", r->target, false);
	fprintf(out, ",\"dry_run\":%s,", r->dry_run ? "true" : "false");
	if (r->probe) {
		json_kv(out, "partition_table", r->probe->pttype, true);
		fprintf(out, "\"size\":%" PRIu64 ",\"partitions\":[", r->probe->size);
		for (size_t i = 0; i < r->probe->nparts; i++) {
			if (i)
				fputc(',', out);
			json_part(out, &r->probe->parts[i]);
		}
		fputs("],", out);
	}
	if (r->chosen >= 0) {
		fprintf(out, "\"chosen\":%d,", r->probe->parts[r->chosen].number);
		json_kv(out, "chosen_why", r->why, true);
	}
	if (r->loopdev[0])
		fprintf(out, "\"mounted\":\"%s\",", r->read_only ? "read-only" : "read-write");
	json_list(out, "changes", r->changes, r->nchanges);
	json_list(out, "warnings", r->warnings, r->nwarnings);
	fputs("\"rewrite\":", out);
	if (r->rewrite && r->rewrite[0])
		fputs(r->rewrite, out); /* a whole JSON document from rwreport */
	else
		fputs("null", out);
	fprintf(out, ",\"status\":%d,\"error\":", status);
	if (r->error[0])
		json_write_string(out, r->error);
	else
		fputs("null", out);
	fputs("}\n", out);
	return status;
}
