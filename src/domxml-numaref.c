// SPDX-License-Identifier: LGPL-2.1-or-later
/* Which elements outside <cpu> refer to the guest's NUMA cells (libvirt's checks of them:
 * virDomainNumatuneParseXML, virDomainDefPostParseMemory, qemuBuildMemoryBackendProps). */
#include "domxml-numaref.h"

#include <string.h>

static const struct {
	const char *path[NUMAREF_DEPTH + 1];
	const char *attr;
} refs[] = {
    {{"numatune", "memnode"}, "cellid"},
    {{"memoryBacking", "hugepages", "page"}, "nodeset"},
    {{"devices", "memory", "target", "node"}, NULL},
    {{"devices", "controller", "target", "node"}, NULL},
};

static bool path_is(const char *const *want, const char *const *path, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!want[i] || !path[i] || strcmp(want[i], path[i]))
			return false;
	return !want[i];
}

bool numaref_match(const char *const *path, size_t n, const char **attr)
{
	if (n > NUMAREF_DEPTH)
		return false;
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if (path_is(refs[i].path, path, n)) {
			*attr = refs[i].attr;
			return true;
		}
	return false;
}

const char *numaref_describe(struct arena *ar, const char *const *path, size_t n, const char *attr,
			     const char *value)
{
	size_t len = 1;
	char *s, *q;

	for (size_t i = 0; i < n; i++)
		len += strlen(path[i]) + 2;
	if (attr)
		len += strlen(attr) + strlen(value) + 4;
	s = q = arena_alloc(ar, len);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		*q++ = '<';
		q = stpcpy(q, path[i]);
		if (attr && i == n - 1) {
			q = stpcpy(stpcpy(stpcpy(stpcpy(q, " "), attr), "='"), value);
			*q++ = '\'';
		}
		*q++ = '>';
	}
	*q = '\0';
	return s;
}
