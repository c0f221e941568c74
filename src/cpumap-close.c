// SPDX-License-Identifier: LGPL-2.1-or-later
/* The close matches of a name the CPU map does not know, for "unknown CPU model 'x'; close
 * matches: …": the same name in another case, a shared prefix, a small edit distance. */
#include "cpumap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Names longer than this are compared by case and prefix only. */
#define DIST_MAX_LEN 64

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Edit distance, case-insensitive, with a swap of two neighbours counting as one edit. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[DIST_MAX_LEN + 1][DIST_MAX_LEN + 1];

	if (la > DIST_MAX_LEN || lb > DIST_MAX_LEN)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = lower(a[i - 1]) != lower(b[j - 1]);

			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
			    lower(a[i - 2]) == lower(b[j - 1]) && d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[la][lb];
}

static bool is_prefix_ci(const char *a, const char *b)
{
	size_t la = strlen(a);

	return la <= strlen(b) && !strncasecmp(a, b, la);
}

/* How close @cand is to @name: 0 best; SIZE_MAX not close. */
static size_t closeness(const char *name, const char *cand)
{
	size_t ln = strlen(name), lc = strlen(cand);
	size_t shorter = ln < lc ? ln : lc;
	size_t d, limit;

	if (!strcasecmp(name, cand))
		return 0;
	if (shorter >= 3 && (is_prefix_ci(name, cand) || is_prefix_ci(cand, name)))
		return 100 + (ln > lc ? ln - lc : lc - ln);
	limit = ln <= 4 ? 1 : ln <= 9 ? 2 : 3;
	d = distance(name, cand);
	if (d > limit)
		return SIZE_MAX;
	return 10 + d;
}

static const char *name_at(const struct cpumap *map, bool feature, size_t i)
{
	return feature ? cpumap_feature(map, i) : cpumap_model(map, i);
}

struct scored {
	size_t score;
	size_t i;
};

static int by_score(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

size_t cpumap_close_matches(const struct cpumap *map, const char *name, bool feature, size_t max,
			    char *out, size_t outlen)
{
	size_t n = feature ? cpumap_nfeatures(map) : cpumap_nmodels(map);
	struct scored *s;
	size_t ns = 0, found = 0, len = 0;

	if (outlen)
		out[0] = '\0';
	s = malloc((n + 1) * sizeof(*s));
	if (!s)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t c = closeness(name, name_at(map, feature, i));

		if (c != SIZE_MAX)
			s[ns++] = (struct scored){c, i};
	}
	qsort(s, ns, sizeof(*s), by_score);
	for (size_t k = 0; k < ns && found < max; k++) {
		const char *cand = name_at(map, feature, s[k].i);
		int w;

		if (!outlen) {
			found++;
			continue;
		}
		w = snprintf(out + len, outlen - len, "%s%s", found ? ", " : "", cand);

		if (w < 0 || (size_t)w >= outlen - len) {
			out[len] = '\0';
			break;
		}
		len += (size_t)w;
		found++;
	}
	free(s);
	return found;
}
