// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvirt's CPU map read offline: index.xml with includes, the older single cpu_map.xml,
 * what is a model (and what is only an ancestor), and the close matches of a typo. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "cpumap.h"

/* An in-memory map directory: NULL-terminated name/content pairs. */
struct files {
	const char *const *v;
};

static int read_fixture(void *opaque, const char *name, char **ret_buf, size_t *ret_len)
{
	const struct files *f = opaque;

	for (size_t i = 0; f->v[i]; i += 2) {
		if (strcmp(f->v[i], name))
			continue;
		*ret_buf = strdup(f->v[i + 1]);
		if (!*ret_buf)
			return -ENOMEM;
		*ret_len = strlen(f->v[i + 1]);
		return 0;
	}
	return -ENOENT;
}

static const char *const index_files[] = {
    "index.xml",
    "<cpus>\n"
    "  <arch name='x86'>\n"
    "    <include filename='x86_vendors.xml'/>\n"
    "    <include filename='x86_features.xml'/>\n"
    "    <!-- models -->\n"
    "    <include filename='x86_486.xml'/>\n"
    "    <include filename='x86_Haswell.xml'/>\n"
    "    <include filename='x86_Haswell-IBRS.xml'/>\n"
    "  </arch>\n"
    "  <arch name='ppc64'>\n"
    "    <model name='POWER9'/>\n"
    "  </arch>\n"
    "</cpus>\n",
    "x86_vendors.xml",
    "<cpus>\n  <vendor name='Intel' string='GenuineIntel'/>\n"
    "  <vendor name='AMD' string='AuthenticAMD'/>\n</cpus>\n",
    "x86_features.xml",
    "<cpus>\n"
    "  <feature name='fpu'><cpuid eax_in='0x01' edx='0x00000001'/></feature>\n"
    "  <feature name='vmx'><cpuid eax_in='0x01' ecx='0x00000020'/></feature>\n"
    "  <feature name='svm'><cpuid eax_in='0x80000001' ecx='0x00000004'/></feature>\n"
    "  <feature name='x2apic'><cpuid eax_in='0x01' ecx='0x00200000'/></feature>\n"
    "</cpus>\n",
    "x86_486.xml",
    "<cpus>\n  <model name='486'>\n    <feature name='fpu'/>\n  </model>\n</cpus>\n",
    "x86_Haswell.xml",
    "<cpus>\n  <model name='Haswell'>\n    <vendor name='Intel'/>\n"
    "    <feature name='fpu'/>\n  </model>\n</cpus>\n",
    "x86_Haswell-IBRS.xml",
    "<cpus>\n  <model name='Haswell-IBRS'>\n    <model name='Haswell'/>\n"
    "    <feature name='spec-ctrl'/>\n  </model>\n</cpus>\n",
    NULL,
};

/* libvirt before 4.7: everything in one file, ancestors as nested <model>. */
static const char *const old_files[] = {
    "cpu_map.xml",
    "<cpus>\n"
    "  <arch name='x86'>\n"
    "    <vendor name='Intel' string='GenuineIntel'/>\n"
    "    <feature name='fpu'><cpuid function='0x00000001' edx='0x00000001'/></feature>\n"
    "    <feature name='vmx'><cpuid function='0x00000001' ecx='0x00000020'/></feature>\n"
    "    <model name='486'><feature name='fpu'/></model>\n"
    "    <model name='pentium'><model name='486'/></model>\n"
    "    <model name='qemu64'><model name='pentium'/></model>\n"
    "  </arch>\n"
    "</cpus>\n",
    NULL,
};

static struct cpumap *load(const char *const *files, const char *top, const char *arch)
{
	struct files f = {files};
	struct cpumap *map = NULL;

	assert_int_equal(cpumap_load_with(read_fixture, &f, top, arch, &map), 0);
	return map;
}

static int load_err(const char *const *files, const char *top, const char *arch)
{
	struct files f = {files};
	struct cpumap *map = NULL;
	int r = cpumap_load_with(read_fixture, &f, top, arch, &map);

	assert_null(map);
	return r;
}

static const char *models(const struct cpumap *map)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cpumap_nmodels(map); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "",
				      cpumap_model(map, i));
	return buf;
}

static void test_index_lists_models_in_include_order(void **state)
{
	struct cpumap *map = load(index_files, "index.xml", "x86_64");

	(void)state;
	assert_string_equal(models(map), "486 Haswell Haswell-IBRS");
	cpumap_free(map);
}

static void test_nested_model_is_an_ancestor_not_a_model(void **state)
{
	struct cpumap *map = load(old_files, "cpu_map.xml", "x86_64");

	(void)state;
	/* "pentium" names "486" and "qemu64" names "pentium" inside them: no duplicates */
	assert_string_equal(models(map), "486 pentium qemu64");
	cpumap_free(map);
}

static void test_features_come_from_the_feature_definitions_only(void **state)
{
	struct cpumap *map = load(index_files, "index.xml", "x86_64");

	(void)state;
	assert_int_equal(cpumap_nfeatures(map), 4);
	assert_string_equal(cpumap_feature(map, 0), "fpu");
	assert_string_equal(cpumap_feature(map, 3), "x2apic");
	assert_null(cpumap_feature(map, 4));
	/* a feature a model lists is not a definition */
	assert_false(cpumap_has_feature(map, "spec-ctrl"));
	cpumap_free(map);
}

static void test_old_single_file_map_is_read(void **state)
{
	struct cpumap *map = load(old_files, "cpu_map.xml", "i686");

	(void)state;
	assert_true(cpumap_has_model(map, "qemu64"));
	assert_true(cpumap_has_feature(map, "vmx"));
	assert_int_equal(cpumap_nfeatures(map), 2);
	cpumap_free(map);
}

static void test_other_arch_section_is_separate(void **state)
{
	struct cpumap *map = load(index_files, "index.xml", "ppc64le");

	(void)state;
	assert_string_equal(models(map), "POWER9");
	assert_int_equal(cpumap_nfeatures(map), 0);
	cpumap_free(map);
}

static void test_names_are_case_sensitive(void **state)
{
	struct cpumap *map = load(index_files, "index.xml", "x86_64");

	(void)state;
	assert_true(cpumap_has_model(map, "Haswell"));
	assert_false(cpumap_has_model(map, "haswell"));
	assert_true(cpumap_has_feature(map, "vmx"));
	assert_false(cpumap_has_feature(map, "VMX"));
	assert_null(cpumap_model(map, 3));
	cpumap_free(map);
}

static void test_missing_index_is_enoent(void **state)
{
	(void)state;
	assert_int_equal(load_err(old_files, "index.xml", "x86_64"), -ENOENT);
}

static void test_missing_include_is_a_broken_map(void **state)
{
	static const char *const files[] = {
	    "index.xml",
	    "<cpus><arch name='x86'><include filename='gone.xml'/></arch></cpus>",
	    NULL,
	};

	(void)state;
	assert_int_equal(load_err(files, "index.xml", "x86_64"), -EBADMSG);
}

static void test_include_outside_the_map_dir_is_refused(void **state)
{
	static const char *const files[] = {
	    "index.xml",
	    "<cpus><arch name='x86'><include filename='../../etc/passwd'/></arch></cpus>",
	    NULL,
	};

	(void)state;
	assert_int_equal(load_err(files, "index.xml", "x86_64"), -EBADMSG);
}

static void test_doctype_in_map_is_refused(void **state)
{
	static const char *const files[] = {
	    "index.xml",
	    "<!DOCTYPE cpus [<!ENTITY e 'x'>]><cpus><arch name='x86'>"
	    "<model name='&e;'/></arch></cpus>",
	    NULL,
	};

	(void)state;
	assert_int_equal(load_err(files, "index.xml", "x86_64"), -EBADMSG);
}

static void test_not_a_map_is_refused(void **state)
{
	static const char *const files[] = {
	    "index.xml", "<domain/>", "broken.xml", "<cpus><arch name='x86'>", NULL,
	};

	(void)state;
	assert_int_equal(load_err(files, "index.xml", "x86_64"), -EBADMSG);
	assert_int_equal(load_err(files, "broken.xml", "x86_64"), -EBADMSG);
}

static void test_unknown_arch_is_eafnosupport(void **state)
{
	(void)state;
	assert_int_equal(load_err(index_files, "index.xml", "s390x"), -EAFNOSUPPORT);
}

static const char *close_models(const struct cpumap *map, const char *name, size_t max)
{
	static char buf[256];

	cpumap_close_matches(map, name, false, max, buf, sizeof(buf));
	return buf;
}

static void test_close_match_ignores_case(void **state)
{
	struct cpumap *map = load(index_files, "index.xml", "x86_64");

	(void)state;
	assert_string_equal(close_models(map, "haswell", 5), "Haswell, Haswell-IBRS");
	cpumap_free(map);
}

static void test_model_features_include_its_ancestors(void **state)
{
	struct cpumap *map = load(index_files, "index.xml", "x86_64");

	(void)state;
	assert_true(cpumap_model_has_feature(map, "Haswell-IBRS", "spec-ctrl"));
	assert_true(cpumap_model_has_feature(map, "Haswell-IBRS", "fpu"));
	assert_false(cpumap_model_has_feature(map, "Haswell", "spec-ctrl"));
	assert_false(cpumap_model_has_feature(map, "Haswell", "npt"));
	assert_false(cpumap_model_has_feature(map, "Opteron_G1", "fpu"));
	cpumap_free(map);
}

static void test_old_single_file_map_knows_model_features(void **state)
{
	struct cpumap *map = load(old_files, "cpu_map.xml", "x86_64");

	(void)state;
	assert_true(cpumap_model_has_feature(map, "qemu64", "fpu"));
	assert_false(cpumap_model_has_feature(map, "qemu64", "vmx"));
	cpumap_free(map);
}

static void test_close_match_finds_a_typo(void **state)
{
	struct cpumap *map = load(index_files, "index.xml", "x86_64");
	char buf[64];

	(void)state;
	assert_string_equal(close_models(map, "Haswel", 5), "Haswell, Haswell-IBRS");
	assert_int_equal(cpumap_close_matches(map, "x2apci", true, 5, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "x2apic");
	assert_int_equal(cpumap_close_matches(map, "vmx2", true, 5, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "vmx");
	cpumap_free(map);
}

static void test_close_match_finds_longer_names_by_prefix(void **state)
{
	struct cpumap *map = load(index_files, "index.xml", "x86_64");

	(void)state;
	assert_string_equal(close_models(map, "Haswell-IBRS-v2", 5), "Haswell-IBRS, Haswell");
	cpumap_free(map);
}

static void test_close_match_respects_the_limit(void **state)
{
	struct cpumap *map = load(index_files, "index.xml", "x86_64");

	(void)state;
	assert_string_equal(close_models(map, "haswell", 1), "Haswell");
	cpumap_free(map);
}

static void test_nothing_close_gives_an_empty_list(void **state)
{
	struct cpumap *map = load(index_files, "index.xml", "x86_64");
	char buf[64] = "junk";

	(void)state;
	assert_int_equal(cpumap_close_matches(map, "Opteron_G9", false, 5, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	cpumap_free(map);
}

static void test_close_match_list_stops_at_the_buffer_end(void **state)
{
	struct cpumap *map = load(index_files, "index.xml", "x86_64");
	char buf[12];

	(void)state;
	assert_int_equal(cpumap_close_matches(map, "haswell", false, 5, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "Haswell");
	cpumap_free(map);
}

/* The map Debian 12's libvirt installs, when this host has it: the list `virsh cpu-models
 * x86_64` prints (tests/integration compares the two outputs directly). */
static void test_installed_map_has_debian_12s_58_models(void **state)
{
	struct cpumap *map = NULL;
	int rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(rootfd >= 0);
	if (access("/" CPUMAP_DIR "/x86_Dhyana.xml", R_OK) != 0 ||
	    access("/" CPUMAP_DIR "/x86_EPYC-Genoa.xml", R_OK) == 0) {
		close(rootfd);
		skip(); /* not Debian 12's libvirt 9.0 map */
	}
	assert_int_equal(cpumap_load_root(rootfd, "x86_64", &map), 0);
	close(rootfd);
	assert_int_equal(cpumap_nmodels(map), 58);
	assert_string_equal(cpumap_model(map, 0), "486");
	assert_string_equal(cpumap_model(map, 57), "Dhyana");
	assert_true(cpumap_has_feature(map, "vmx"));
	assert_true(cpumap_has_feature(map, "svm"));
	/* Only EPYC-Rome and -Milan list npt in libvirt's map (QEMU's EPYC models carry it too). */
	assert_true(cpumap_model_has_feature(map, "EPYC-Rome", "npt"));
	assert_true(cpumap_model_has_feature(map, "EPYC-Milan", "npt"));
	assert_false(cpumap_model_has_feature(map, "EPYC", "npt"));
	assert_false(cpumap_model_has_feature(map, "Opteron_G1", "npt"));
	assert_false(cpumap_model_has_feature(map, "Opteron_G1", "svm"));
	assert_true(cpumap_model_has_feature(map, "Opteron_G2", "svm"));
	cpumap_free(map);
}

/* --- files that are not regular files (issue 9 item 8) --------------------------------------- */

#define MAP_INDEX    "<cpus><arch name='x86'><include filename='x86_features.xml'/></arch></cpus>\n"
#define MAP_FEATURES "<cpus><feature name='vmx'/></cpus>\n"

/* A --root with the map dir in it; the caller creates the files. */
static int make_root(char *root, size_t len)
{
	char dir[PATH_MAX];

	snprintf(root, len, "/tmp/test_cpumap.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "mkdir -p %s/" CPUMAP_DIR, root);
	assert_int_equal(system(dir), 0);
	return open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void map_path(char *path, size_t len, const char *root, const char *name)
{
	snprintf(path, len, "%s/" CPUMAP_DIR "/%s", root, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void remove_root(const char *root, int rootfd)
{
	char cmd[PATH_MAX + 16];

	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

/* Without the type check the load blocks in read() on the FIFO forever: the alarm turns that
 * into a failure instead of a hung test suite. It is a guard, not a measure of speed. */
static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "cpumap_load_root read from a FIFO and blocked\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static void expect_fifo_refused(const char *name, const char *other, const char *other_text)
{
	char root[64], path[PATH_MAX], left[256];
	struct cpumap *map = NULL;
	int rootfd = make_root(root, sizeof(root)), fifo;
	ssize_t n;

	assert_true(rootfd >= 0);
	if (other) {
		map_path(path, sizeof(path), root, other);
		write_file(path, other_text);
	}
	map_path(path, sizeof(path), root, name);
	assert_int_equal(mkfifo(path, 0644), 0);
	/* A writer holds it open with a map in it: an open does not block, a read would. */
	fifo = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	assert_true(fifo >= 0);
	assert_int_equal(write(fifo, MAP_INDEX, strlen(MAP_INDEX)), (ssize_t)strlen(MAP_INDEX));
	signal(SIGALRM, on_alarm);
	alarm(20);
	assert_int_equal(cpumap_load_root(rootfd, "x86_64", &map), -EBADFD);
	alarm(0);
	assert_null(map);
	/* Nobody read from it: the bytes are all still there. */
	n = read(fifo, left, sizeof(left));
	assert_int_equal(n, (ssize_t)strlen(MAP_INDEX));
	close(fifo);
	remove_root(root, rootfd);
}

static void test_fifo_as_index_xml_is_refused_unread(void **state)
{
	(void)state;
	expect_fifo_refused("index.xml", NULL, NULL);
}

static void test_fifo_as_an_included_file_is_refused_unread(void **state)
{
	(void)state;
	expect_fifo_refused("x86_features.xml", "index.xml", MAP_INDEX);
}

static void test_device_node_as_index_xml_is_refused(void **state)
{
	char root[64], path[PATH_MAX];
	struct cpumap *map = NULL;
	int rootfd = make_root(root, sizeof(root));

	(void)state;
	assert_true(rootfd >= 0);
	map_path(path, sizeof(path), root, "index.xml");
	if (mknod(path, S_IFCHR | 0644, makedev(1, 3)) < 0) { /* /dev/null's numbers */
		remove_root(root, rootfd);
		skip(); /* no CAP_MKNOD here */
	}
	assert_int_equal(cpumap_load_root(rootfd, "x86_64", &map), -EBADFD);
	assert_null(map);
	remove_root(root, rootfd);
}

static void test_regular_files_below_the_root_are_read(void **state)
{
	char root[64], path[PATH_MAX];
	struct cpumap *map = NULL;
	int rootfd = make_root(root, sizeof(root));

	(void)state;
	assert_true(rootfd >= 0);
	map_path(path, sizeof(path), root, "index.xml");
	write_file(path, MAP_INDEX);
	map_path(path, sizeof(path), root, "x86_features.xml");
	write_file(path, MAP_FEATURES);
	assert_int_equal(cpumap_load_root(rootfd, "x86_64", &map), 0);
	assert_true(cpumap_has_feature(map, "vmx"));
	cpumap_free(map);
	remove_root(root, rootfd);
}

/* --- a map with very many models -------------------------------------------------------------- */

#define MANY 20000

struct generated {
	char *index;
};

static int read_generated(void *opaque, const char *name, char **ret_buf, size_t *ret_len)
{
	const struct generated *g = opaque;

	if (strcmp(name, "index.xml"))
		return -ENOENT;
	*ret_buf = strdup(g->index);
	if (!*ret_buf)
		return -ENOMEM;
	*ret_len = strlen(g->index);
	return 0;
}

/* MANY models M00000 … in reverse order, each listed twice (the second time after all). */
static char *generated_index(void)
{
	size_t cap = 64 + 2 * MANY * 32, len = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	len += (size_t)snprintf(s + len, cap - len, "<cpus><arch name='x86'>");
	for (int pass = 0; pass < 2; pass++)
		for (int i = MANY - 1; i >= 0; i--)
			len += (size_t)snprintf(s + len, cap - len, "<model name='M%05d'/>", i);
	snprintf(s + len, cap - len, "</arch></cpus>");
	return s;
}

static size_t log2_ceil(size_t n)
{
	size_t l = 0;

	while (((size_t)1 << l) < n)
		l++;
	return l;
}

static void test_lookups_in_a_map_of_20000_models_take_log_n_comparisons(void **state)
{
	struct generated g = {generated_index()};
	struct cpumap *map = NULL;
	size_t loaded, lg = log2_ceil(2 * MANY);
	char name[16];

	(void)state;
	assert_int_equal(cpumap_load_with(read_generated, &g, "index.xml", "x86_64", &map), 0);
	free(g.index);
	assert_int_equal(cpumap_nmodels(map), MANY);
	assert_string_equal(cpumap_model(map, 0), "M19999");
	assert_string_equal(cpumap_model(map, MANY - 1), "M00000");
	/* Loading 2n names: sorting them twice, O(n log n); one check per name against all the
	 * others would be 2n * 2n / 2 = 800,000,000. */
	loaded = cpumap_probes(map);
	if (loaded > 2 * (2 * MANY) * lg * 2)
		fail_msg("loading took %zu comparisons", loaded);
	for (int i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "M%05d", i);
		assert_true(cpumap_has_model(map, name));
	}
	assert_false(cpumap_has_model(map, "M99999"));
	assert_false(cpumap_has_model(map, "m00001"));
	/* Binary search: at most log2(n) + 1 comparisons a lookup, not n. */
	if (cpumap_probes(map) - loaded > (size_t)(MANY + 2) * (log2_ceil(MANY) + 1))
		fail_msg("%d lookups took %zu comparisons", MANY + 2, cpumap_probes(map) - loaded);
	cpumap_free(map);
}

static void test_a_model_listed_twice_keeps_its_first_place(void **state)
{
	static const char *const files[] = {
	    "index.xml",
	    "<cpus><arch name='x86'><model name='B'/><model name='A'/><model name='B'/>"
	    "<model name='C'/><model name='A'/></arch></cpus>",
	    NULL,
	};
	struct cpumap *map = load(files, "index.xml", "x86_64");

	(void)state;
	assert_int_equal(cpumap_nmodels(map), 3);
	assert_string_equal(cpumap_model(map, 0), "B");
	assert_string_equal(cpumap_model(map, 1), "A");
	assert_string_equal(cpumap_model(map, 2), "C");
	assert_true(cpumap_has_model(map, "A"));
	assert_true(cpumap_has_model(map, "C"));
	cpumap_free(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_index_lists_models_in_include_order),
	    cmocka_unit_test(test_nested_model_is_an_ancestor_not_a_model),
	    cmocka_unit_test(test_features_come_from_the_feature_definitions_only),
	    cmocka_unit_test(test_old_single_file_map_is_read),
	    cmocka_unit_test(test_other_arch_section_is_separate),
	    cmocka_unit_test(test_names_are_case_sensitive),
	    cmocka_unit_test(test_missing_index_is_enoent),
	    cmocka_unit_test(test_missing_include_is_a_broken_map),
	    cmocka_unit_test(test_include_outside_the_map_dir_is_refused),
	    cmocka_unit_test(test_doctype_in_map_is_refused),
	    cmocka_unit_test(test_not_a_map_is_refused),
	    cmocka_unit_test(test_unknown_arch_is_eafnosupport),
	    cmocka_unit_test(test_close_match_ignores_case),
	    cmocka_unit_test(test_model_features_include_its_ancestors),
	    cmocka_unit_test(test_old_single_file_map_knows_model_features),
	    cmocka_unit_test(test_close_match_finds_a_typo),
	    cmocka_unit_test(test_close_match_finds_longer_names_by_prefix),
	    cmocka_unit_test(test_close_match_respects_the_limit),
	    cmocka_unit_test(test_nothing_close_gives_an_empty_list),
	    cmocka_unit_test(test_close_match_list_stops_at_the_buffer_end),
	    cmocka_unit_test(test_installed_map_has_debian_12s_58_models),
	    cmocka_unit_test(test_fifo_as_index_xml_is_refused_unread),
	    cmocka_unit_test(test_fifo_as_an_included_file_is_refused_unread),
	    cmocka_unit_test(test_device_node_as_index_xml_is_refused),
	    cmocka_unit_test(test_regular_files_below_the_root_are_read),
	    cmocka_unit_test(test_lookups_in_a_map_of_20000_models_take_log_n_comparisons),
	    cmocka_unit_test(test_a_model_listed_twice_keeps_its_first_place),
	};

	return cmocka_run_group_tests_name("cpumap", tests, NULL, NULL);
}
