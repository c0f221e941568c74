// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt edit-cpu (hidden): run the <cpu> edit on one file and print the resulting document
 * on stdout (the input itself when nothing changes), the outcome on stderr. It exists for the
 * differential test against virt-xml and for looking at what `rewrite` would do to a file
 * without a config dir around it.
 *
 *   nestvirt edit-cpu [--mode feature|disable|host-passthrough|host-model] [--cpu SPEC]
 *                     [--vendor-feature vmx|svm] [--override] [--root DIR | --no-map] FILE
 *
 * Exit status: 0 changed or unchanged, 3 skipped, 4 invalid, 1 failure, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "cpumap.h"
#include "cpuspec.h"
#include "domxml.h"
#include "fileio.h"
#include "log.h"

#define EDIT_MAX_FILE (16 * 1024 * 1024)

static const char usage[] =
    "usage: nestvirt edit-cpu [--mode feature|disable|host-passthrough|host-model] [--cpu SPEC]\n"
    "                         [--vendor-feature vmx|svm] [--override] [--root DIR | --no-map] "
    "FILE\n";

static const char *const status_names[] = {
    [DOMXML_CHANGED] = "changed",
    [DOMXML_UNCHANGED] = "unchanged",
    [DOMXML_SKIPPED] = "skipped",
    [DOMXML_INVALID] = "invalid",
};

struct edit_opts {
	const char *mode, *cpu, *root, *file;
	bool no_map;
	struct domxml_request req;
};

static int parse_mode(const char *s, enum domxml_mode *mode)
{
	static const struct {
		const char *name;
		enum domxml_mode mode;
	} modes[] = {
	    {"feature", DOMXML_MODE_FEATURE},
	    {"disable", DOMXML_MODE_DISABLE},
	    {"host-passthrough", DOMXML_MODE_HOST_PASSTHROUGH},
	    {"host-model", DOMXML_MODE_HOST_MODEL},
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(s, modes[i].name)) {
			*mode = modes[i].mode;
			return 0;
		}
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct edit_opts *o)
{
	static const struct option longopts[] = {
	    {"mode", required_argument, NULL, 'm'},
	    {"cpu", required_argument, NULL, 'c'},
	    {"vendor-feature", required_argument, NULL, 'v'},
	    {"override", no_argument, NULL, 'o'},
	    {"root", required_argument, NULL, 'r'},
	    {"no-map", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	o->req.vendor_feature = "vmx";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o->mode = optarg;
			break;
		case 'c':
			o->cpu = optarg;
			break;
		case 'v':
			o->req.vendor_feature = optarg;
			break;
		case 'o':
			o->req.override = true;
			break;
		case 'r':
			o->root = optarg;
			break;
		case 'n':
			o->no_map = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind + 1 != argc || (o->mode && o->cpu))
		return -EINVAL;
	o->file = argv[optind];
	if (o->cpu) {
		o->req.mode = DOMXML_MODE_SPEC;
		return 0;
	}
	o->req.mode = DOMXML_MODE_FEATURE;
	return o->mode ? parse_mode(o->mode, &o->req.mode) : 0;
}

static int load_map(const struct edit_opts *o, struct cpumap **map)
{
	int rootfd, r;

	if (o->no_map)
		return 0;
	rootfd = open(o->root ? o->root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	r = cpumap_load_root(rootfd, "x86_64", map);
	close(rootfd);
	return r;
}

static int run(struct edit_opts *o, const char *buf, size_t len)
{
	struct domxml_result res;
	int r;

	r = domxml_apply(buf, len, &o->req, &res);
	if (r < 0) {
		log_error_errno(r, "%s: cannot edit: %m", o->file);
		return 1;
	}
	if (res.status == DOMXML_CHANGED)
		fwrite(res.out, 1, res.out_len, stdout);
	else
		fwrite(buf, 1, len, stdout);
	fprintf(stderr, "%s: %s\n", status_names[res.status], res.reason);
	domxml_result_free(&res);
	if (fflush(stdout) != 0)
		return 1;
	return res.status == DOMXML_SKIPPED ? 3 : res.status == DOMXML_INVALID ? 4 : 0;
}

int edit_cpu_main(int argc, char **argv)
{
	struct edit_opts o = {0};
	struct cpuspec *spec = NULL;
	struct cpumap *map = NULL;
	char err[256], *buf = NULL;
	size_t len = 0;
	int r;

	r = parse_args(argc, argv, &o);
	if (r != 0) {
		if (r < 0)
			fputs(usage, stderr);
		return r < 0 ? 2 : 0;
	}
	if (o.cpu && cpuspec_parse(o.cpu, &spec, err, sizeof(err)) < 0) {
		log_error("--cpu %s: %s", o.cpu, err);
		return 2;
	}
	o.req.spec = spec;
	r = load_map(&o, &map);
	if (r == -EBADFD)
		log_error("%s/%s: a file of libvirt's CPU map is not a regular file, not read",
			  o.root ? o.root : "", CPUMAP_DIR);
	else if (r < 0)
		log_error_errno(r, "%s/%s: cannot read libvirt's CPU map: %m", o.root ? o.root : "",
				CPUMAP_DIR);
	if (r < 0) {
		r = 1;
		goto out;
	}
	o.req.map = map;
	r = fileio_read(AT_FDCWD, o.file, EDIT_MAX_FILE, true, &buf, &len);
	if (r < 0) {
		log_error_errno(r, "%s: cannot read: %m", o.file);
		r = 1;
		goto out;
	}
	r = run(&o, buf, len);
out:
	free(buf);
	cpumap_free(map);
	cpuspec_free(spec);
	return r;
}
