// SPDX-License-Identifier: LGPL-2.1-or-later
/* Placeholder until the per-guest analysis lands: reports the guests as not analysed. */
#include <errno.h>
#include <stdlib.h>

#include "guests.h"
#include "json.h"

struct guests_report {
	char dir[256];
};

int guests_scan(int rootfd, const char *confdir, const struct guests_host *host,
		struct guests_report **out)
{
	(void)rootfd;
	(void)host;
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	snprintf((*out)->dir, sizeof((*out)->dir), "/%s", confdir);
	return 0;
}

unsigned guests_count(const struct guests_report *r)
{
	(void)r;
	return 0;
}

unsigned guests_problems(const struct guests_report *r)
{
	(void)r;
	return 0;
}

void guests_write_text(const struct guests_report *r, FILE *out)
{
	fprintf(out, "guests:      %s not analysed (not built yet)\n", r->dir);
}

void guests_write_json(const struct guests_report *r, FILE *out)
{
	fprintf(out, "{\"dir\": ");
	json_write_string(out, r->dir);
	fprintf(out, ", \"error\": \"not analysed (not built yet)\", \"count\": 0, "
		     "\"problems\": 0, \"domains\": []}");
}

void guests_report_free(struct guests_report *r)
{
	free(r);
}
