/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * libvirt's CPU map, read offline: the CPU model, feature and vendor names libvirt knows for
 * one architecture. The map is /usr/share/libvirt/cpu_map/index.xml with its includes
 * (x86_vendors.xml, x86_features.xml, x86_MODEL.xml …), or the single
 * /usr/share/libvirt/cpu_map.xml of libvirt before 4.7. Load it once per run.
 */

/* Where libvirt keeps it, relative to the root directory. */
#define CPUMAP_DIR	"usr/share/libvirt/cpu_map"
#define CPUMAP_OLD_FILE "usr/share/libvirt/cpu_map.xml"

struct cpumap;

/* Reads file @name of the map (a plain file name such as "index.xml") into a malloc'd buffer.
 * Returns 0, -ENOENT when there is no such file, or another negative errno. */
typedef int (*cpumap_reader)(void *opaque, const char *name, char **ret_buf, size_t *ret_len);

/* Load the map of @arch ("x86_64", "i686", "ppc64", "aarch64" …) from files that @reader
 * returns: @top ("index.xml" or "cpu_map.xml") and what it includes. -ENOENT when @top is
 * missing, -EAFNOSUPPORT when the map has no section for @arch, -EBADMSG when a file is not
 * a CPU map (bad XML, a DOCTYPE, an include that is not a plain file name). */
int cpumap_load_with(cpumap_reader reader, void *opaque, const char *top, const char *arch,
		     struct cpumap **ret);

/* Load the map of @arch below directory fd @rootfd (the --root): CPUMAP_DIR/index.xml, else
 * CPUMAP_OLD_FILE. Only regular files are opened (a symlink as last component neither): a
 * FIFO or device node gives -EBADFD, a directory -EISDIR, a symlink -ELOOP, without being
 * opened. Other errors as cpumap_load_with. */
int cpumap_load_root(int rootfd, const char *arch, struct cpumap **ret);

/* Free a map (NULL is fine). */
void cpumap_free(struct cpumap *map);

/* The model names in the map's order, which is the order `virsh cpu-models ARCH` prints. */
size_t cpumap_nmodels(const struct cpumap *map);
const char *cpumap_model(const struct cpumap *map, size_t i);

/* The feature names in the map's order. */
size_t cpumap_nfeatures(const struct cpumap *map);
const char *cpumap_feature(const struct cpumap *map, size_t i);

/* Whether the map knows model / feature @name (exact, case-sensitive, as libvirt compares). */
bool cpumap_has_model(const struct cpumap *map, const char *name);
bool cpumap_has_feature(const struct cpumap *map, const char *name);

/* Whether libvirt's definition of @model, or of a model it extends, lists @feature (false
 * for a model the map does not know). */
bool cpumap_model_has_feature(const struct cpumap *map, const char *model, const char *feature);

/* How many name comparisons loading @map and looking names up in it have taken so far: about
 * n log2 n to load n names, log2 n per lookup (for tests and benchmarks). */
size_t cpumap_probes(const struct cpumap *map);

/* Up to @max names of the map (models if @feature is false, else features) close to the
 * unknown @name, best first: same name in another case, a shared prefix, a small edit
 * distance. Written to @out as "a, b, c" (empty when none). Returns how many. */
size_t cpumap_close_matches(const struct cpumap *map, const char *name, bool feature, size_t max,
			    char *out, size_t outlen);
