// SPDX-License-Identifier: LGPL-2.1-or-later
/* The nestvirt.conf parser never crashes, and what it accepts is what the first boot can use:
 * a known mode, a SPEC the --cpu parser takes, globs without '/', an error with its line. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpuspec.h"
#include "nvconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_globs(const struct nvconf_globs *g)
{
	if (g->n > NVCONF_MAX_GLOBS)
		abort();
	for (size_t i = 0; i < g->n; i++)
		if (!g->v[i][0] || strchr(g->v[i], '/') || strchr(g->v[i], ','))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nvconf_error err;
	struct cpuspec *spec = NULL;
	struct nvconf c;
	char why[256];
	int r;

	r = nvconf_parse((const char *)data, size, &c, &err);
	if (r < 0) {
		if (r != -EINVAL || !err.msg[0])
			abort();
		return 0;
	}
	if (strcmp(c.mode, "feature") && strcmp(c.mode, "host-passthrough") &&
	    strcmp(c.mode, "host-model"))
		abort();
	if (strcmp(c.policy, "require") && strcmp(c.policy, "force"))
		abort();
	if (c.cpu[0]) {
		if (cpuspec_parse(c.cpu, &spec, why, sizeof(why)) < 0)
			abort();
		cpuspec_free(spec);
	}
	check_globs(&c.domains);
	check_globs(&c.exclude);
	return 0;
}
