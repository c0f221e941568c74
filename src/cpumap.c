// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvirt's CPU map (src/cpu_map/ in libvirt's tree). Layout, as libvirt's cpu_map.c reads it:
 *   <cpus>
 *     <arch name='x86'>
 *       <include filename='x86_features.xml'/>   (index.xml: one file per group/model)
 *       <vendor name='Intel' string='GenuineIntel'/>
 *       <feature name='vmx'> <cpuid …/> </feature>
 *       <model name='Haswell-IBRS'> <model name='Haswell'/> <feature name='…'/> </model>
 *     </arch>
 *   </cpus>
 * An included file has the same <cpus> root with vendors, features and models directly in it.
 * Only elements directly in the arch section (or an included file's root) define names: a
 * <model> inside a model names its ancestor, a <feature> inside a model one of its features.
 */
#include "cpumap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "fileio.h"

/* The largest file of Debian 12's map (x86_features.xml) is about 20 KB. */
#define CPUMAP_FILE_MAX (4 * 1024 * 1024)
/* index.xml includes files; those do not include further. One more level is tolerated. */
#define CPUMAP_MAX_DEPTH 3

/* Names in map order, with an index sorted by name for lookups: loading appends (duplicates
 * too), names_index() then drops the later duplicates and sorts, O(n log n) for n names. */
struct names {
	char **v;
	size_t n, cap;
	size_t *sorted; /* indices into v, by name; NULL until names_index() */
};

/* One model's definition: its own features and the ancestor it extends, if any. */
struct model_def {
	char *name;
	char *parent;
	struct names features;
};

struct cpumap {
	struct names models;
	struct model_def *defs; /* in map order; a later definition of a name does not count */
	size_t ndefs, capdefs;
	struct names features;
	struct names vendors;
	/* Name comparisons so far (cpumap_probes); a pointer to @probe_count so that lookups in
	 * a const map count too. */
	size_t *probes;
	size_t probe_count;
};

struct loader {
	cpumap_reader reader;
	void *opaque;
	struct cpumap *map;
};

static const struct {
	const char *arch;
	const char *section;
} arch_sections[] = {
    {"x86_64", "x86"}, {"i686", "x86"},	   {"i586", "x86"},	 {"i486", "x86"},
    {"i386", "x86"},   {"ppc64", "ppc64"}, {"ppc64le", "ppc64"}, {"aarch64", "arm"},
    {"armv6l", "arm"}, {"armv7l", "arm"},  {"armv7b", "arm"},
};

static const char *section_of(const char *arch)
{
	for (size_t i = 0; i < sizeof(arch_sections) / sizeof(arch_sections[0]); i++)
		if (!strcmp(arch, arch_sections[i].arch))
			return arch_sections[i].section;
	return arch; /* "x86", "ppc64", "arm" name a section directly */
}

struct by_name {
	const struct names *names;
	size_t *probes;
};

/* By name, then by position in the map: the first of equal names sorts first. */
static int cmp_index(const void *a, const void *b, void *arg)
{
	const struct by_name *bn = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c;

	(*bn->probes)++;
	c = strcmp(bn->names->v[x], bn->names->v[y]);
	if (c)
		return c;
	return x < y ? -1 : x > y;
}

static int names_sort(struct names *n, size_t *probes)
{
	struct by_name bn = {n, probes};

	free(n->sorted);
	n->sorted = malloc((n->n + 1) * sizeof(*n->sorted));
	if (!n->sorted)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++)
		n->sorted[i] = i;
	qsort_r(n->sorted, n->n, sizeof(*n->sorted), cmp_index, &bn);
	return 0;
}

/* Drop every name that appeared earlier in the map, keep the map order, sort the index. */
static int names_index(struct names *n, size_t *probes)
{
	size_t o = 0;
	int r;

	r = names_sort(n, probes);
	if (r < 0)
		return r;
	for (size_t k = 1; k < n->n; k++) {
		if (strcmp(n->v[n->sorted[k - 1]], n->v[n->sorted[k]]))
			continue;
		/* sorted[k] is a later duplicate of sorted[k - 1]: the first one stays */
		free(n->v[n->sorted[k]]);
		n->v[n->sorted[k]] = NULL;
		n->sorted[k] = n->sorted[k - 1];
	}
	for (size_t i = 0; i < n->n; i++)
		if (n->v[i])
			n->v[o++] = n->v[i];
	if (o == n->n)
		return 0;
	n->n = o;
	return names_sort(n, probes);
}

struct lookup {
	const struct names *names;
	const char *name;
	size_t *probes;
};

static int cmp_lookup(const void *key, const void *elem)
{
	const struct lookup *l = key;

	(*l->probes)++;
	return strcmp(l->name, l->names->v[*(const size_t *)elem]);
}

/* A binary search: O(log n) comparisons. */
static bool names_has(const struct names *n, const char *name, size_t *probes)
{
	struct lookup l = {n, name, probes};

	if (!n->sorted)
		return false;
	return bsearch(&l, n->sorted, n->n, sizeof(*n->sorted), cmp_lookup) != NULL;
}

static int names_add(struct names *n, const char *name)
{
	if (n->n == n->cap) {
		size_t cap = n->cap ? 2 * n->cap : 64;
		char **v = realloc(n->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		n->v = v;
		n->cap = cap;
	}
	n->v[n->n] = strdup(name);
	if (!n->v[n->n])
		return -ENOMEM;
	n->n++;
	return 0;
}

static void names_free(struct names *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
	free(n->sorted);
}

void cpumap_free(struct cpumap *map)
{
	if (!map)
		return;
	names_free(&map->models);
	for (size_t i = 0; i < map->ndefs; i++) {
		free(map->defs[i].name);
		free(map->defs[i].parent);
		names_free(&map->defs[i].features);
	}
	free(map->defs);
	names_free(&map->features);
	names_free(&map->vendors);
	free(map);
}

static bool is_element(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* Parse one map file: no network, no entities, no DTD; a DOCTYPE is refused. */
static int parse_file(struct loader *l, const char *name, xmlDoc **ret)
{
	char *buf = NULL;
	size_t len = 0;
	xmlDoc *doc;
	int r;

	r = l->reader(l->opaque, name, &buf, &len);
	if (r < 0)
		return r;
	if (len > INT32_MAX) {
		free(buf);
		return -EFBIG;
	}
	doc = xmlReadMemory(buf, (int)len, name, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	free(buf);
	if (!doc)
		return -EBADMSG;
	if (doc->intSubset || !xmlDocGetRootElement(doc) ||
	    !is_element(xmlDocGetRootElement(doc), "cpus")) {
		xmlFreeDoc(doc);
		return -EBADMSG;
	}
	*ret = doc;
	return 0;
}

static int load_file(struct loader *l, const char *name, int depth);

/* An include names a file next to the index: a plain file name, nothing else. */
static bool is_plain_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static int add_named(struct names *n, xmlNode *node)
{
	xmlChar *name = xmlGetProp(node, (const xmlChar *)"name");
	int r;

	if (!name)
		return -EBADMSG;
	r = names_add(n, (const char *)name);
	xmlFree(name);
	return r;
}

static struct model_def *def_add(struct cpumap *map)
{
	if (map->ndefs == map->capdefs) {
		size_t cap = map->capdefs ? 2 * map->capdefs : 64;
		struct model_def *v = realloc(map->defs, cap * sizeof(*v));

		if (!v)
			return NULL;
		map->defs = v;
		map->capdefs = cap;
	}
	memset(&map->defs[map->ndefs], 0, sizeof(*map->defs));
	return &map->defs[map->ndefs++];
}

/* A model's definition: <model name='EPYC-Rome'> with <model name='ANCESTOR'/> and
 * <feature name='…'/> children. */
static int add_model(struct loader *l, xmlNode *node)
{
	struct model_def *d;
	xmlChar *name;
	int r;

	r = add_named(&l->map->models, node);
	if (r < 0)
		return r;
	d = def_add(l->map);
	if (!d)
		return -ENOMEM;
	name = xmlGetProp(node, (const xmlChar *)"name");
	d->name = name ? strdup((const char *)name) : NULL;
	xmlFree(name);
	if (!d->name)
		return -ENOMEM;
	for (xmlNode *n = node->children; n && r >= 0; n = n->next) {
		if (is_element(n, "feature")) {
			r = add_named(&d->features, n);
		} else if (is_element(n, "model") && !d->parent) {
			name = xmlGetProp(n, (const xmlChar *)"name");
			if (!name)
				return -EBADMSG;
			d->parent = strdup((const char *)name);
			xmlFree(name);
			r = d->parent ? 0 : -ENOMEM;
		}
	}
	return r;
}

static int load_include(struct loader *l, xmlNode *node, int depth)
{
	xmlChar *file = xmlGetProp(node, (const xmlChar *)"filename");
	int r;

	if (!file)
		return -EBADMSG;
	if (!is_plain_name((const char *)file) || depth >= CPUMAP_MAX_DEPTH)
		r = -EBADMSG;
	else
		r = load_file(l, (const char *)file, depth + 1);
	xmlFree(file);
	/* A missing include is a broken map, not a missing one. */
	return r == -ENOENT ? -EBADMSG : r;
}

/* The definitions directly inside @parent (an arch section or an included file's root). */
static int load_children(struct loader *l, xmlNode *parent, int depth)
{
	int r = 0;

	for (xmlNode *n = parent->children; n && r >= 0; n = n->next) {
		if (is_element(n, "include"))
			r = load_include(l, n, depth);
		else if (is_element(n, "model"))
			r = add_model(l, n);
		else if (is_element(n, "feature"))
			r = add_named(&l->map->features, n);
		else if (is_element(n, "vendor"))
			r = add_named(&l->map->vendors, n);
	}
	return r;
}

static int load_file(struct loader *l, const char *name, int depth)
{
	xmlDoc *doc = NULL;
	int r;

	r = parse_file(l, name, &doc);
	if (r < 0)
		return r;
	r = load_children(l, xmlDocGetRootElement(doc), depth);
	xmlFreeDoc(doc);
	return r;
}

static xmlNode *find_section(xmlNode *root, const char *section)
{
	for (xmlNode *n = root->children; n; n = n->next) {
		xmlChar *name;
		bool match;

		if (!is_element(n, "arch"))
			continue;
		name = xmlGetProp(n, (const xmlChar *)"name");
		match = name && !strcmp((const char *)name, section);
		xmlFree(name);
		if (match)
			return n;
	}
	return NULL;
}

int cpumap_load_with(cpumap_reader reader, void *opaque, const char *top, const char *arch,
		     struct cpumap **ret)
{
	struct loader l = {.reader = reader, .opaque = opaque};
	xmlDoc *doc = NULL;
	xmlNode *section;
	int r;

	l.map = calloc(1, sizeof(*l.map));
	if (!l.map)
		return -ENOMEM;
	l.map->probes = &l.map->probe_count;
	r = parse_file(&l, top, &doc);
	if (r < 0)
		goto out;
	section = find_section(xmlDocGetRootElement(doc), section_of(arch));
	if (!section) {
		r = -EAFNOSUPPORT;
		goto out;
	}
	r = load_children(&l, section, 1);
	if (r >= 0)
		r = names_index(&l.map->models, l.map->probes);
	if (r >= 0)
		r = names_index(&l.map->features, l.map->probes);
	if (r >= 0)
		r = names_index(&l.map->vendors, l.map->probes);
out:
	xmlFreeDoc(doc);
	if (r < 0) {
		cpumap_free(l.map);
		return r;
	}
	*ret = l.map;
	return 0;
}

struct root_reader {
	int rootfd;
	const char *dir;
};

/* 0 for a regular file; else what it is, as systemd's stat_verify_regular() says it. */
static int verify_regular(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return 0;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (S_ISLNK(st->st_mode))
		return -ELOOP;
	return -EBADFD;
}

/* Open @path below @dirfd only if it is a regular file, checked before the open: opening a
 * FIFO blocks until a writer comes (every command that loads the map would hang), opening a
 * device node may act (a watchdog arms). O_NONBLOCK covers a swap between check and open,
 * which the second check then refuses. */
static int open_regular(int dirfd, const char *path, struct stat *st)
{
	struct stat now;
	int fd, r;

	if (fstatat(dirfd, path, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	r = verify_regular(st);
	if (r < 0)
		return r;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino ||
	    !S_ISREG(now.st_mode)) {
		close(fd);
		return -EBADFD;
	}
	return fd;
}

static int read_below_root(void *opaque, const char *name, char **ret_buf, size_t *ret_len)
{
	const struct root_reader *rr = opaque;
	char path[4096];
	struct stat st;
	int fd, r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", rr->dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open_regular(rr->rootfd, path, &st);
	if (fd < 0)
		return fd;
	r = fileio_read_fd(fd, CPUMAP_FILE_MAX, (size_t)st.st_size, ret_buf, ret_len);
	close(fd);
	return r;
}

int cpumap_load_root(int rootfd, const char *arch, struct cpumap **ret)
{
	struct root_reader rr = {.rootfd = rootfd, .dir = CPUMAP_DIR};
	int r;

	r = cpumap_load_with(read_below_root, &rr, "index.xml", arch, ret);
	if (r != -ENOENT)
		return r;
	rr.dir = "usr/share/libvirt";
	return cpumap_load_with(read_below_root, &rr, "cpu_map.xml", arch, ret);
}

size_t cpumap_nmodels(const struct cpumap *map)
{
	return map->models.n;
}

const char *cpumap_model(const struct cpumap *map, size_t i)
{
	return i < map->models.n ? map->models.v[i] : NULL;
}

size_t cpumap_nfeatures(const struct cpumap *map)
{
	return map->features.n;
}

const char *cpumap_feature(const struct cpumap *map, size_t i)
{
	return i < map->features.n ? map->features.v[i] : NULL;
}

bool cpumap_has_model(const struct cpumap *map, const char *name)
{
	return names_has(&map->models, name, map->probes);
}

bool cpumap_has_feature(const struct cpumap *map, const char *name)
{
	return names_has(&map->features, name, map->probes);
}

static const struct model_def *def_find(const struct cpumap *map, const char *name)
{
	for (size_t i = 0; i < map->ndefs; i++)
		if (!strcmp(map->defs[i].name, name))
			return &map->defs[i];
	return NULL;
}

bool cpumap_model_has_feature(const struct cpumap *map, const char *model, const char *feature)
{
	/* libvirt's x86 map is a few levels deep; a loop in a broken map ends here. */
	for (int depth = 0; model && depth < 16; depth++) {
		const struct model_def *d = def_find(map, model);

		if (!d)
			return false;
		for (size_t i = 0; i < d->features.n; i++)
			if (!strcmp(d->features.v[i], feature))
				return true;
		model = d->parent;
	}
	return false;
}

size_t cpumap_probes(const struct cpumap *map)
{
	return *map->probes;
}
