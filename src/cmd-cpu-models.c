// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestvirt cpu-models: libvirt's CPU map, read offline, as 'virsh cpu-models ARCH' lists it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "commands.h"
#include "cpumap.h"
#include "log.h"

enum { OPT_ROOT = 0x100, OPT_HELP };

static const char cpu_models_usage[] =
    "usage: nestvirt cpu-models [--root DIR] [ARCH]\n"
    "List the CPU models of libvirt's CPU map for ARCH (default: "
    "this host's), as 'virsh cpu-models ARCH' does.\n";

static const struct option cpu_models_options[] = {
    {"root", required_argument, NULL, OPT_ROOT},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "nestvirt: %s '%s'\n%s", what, arg, cpu_models_usage);
	return 2;
}

int cpu_models_main(int argc, char **argv)
{
	const char *root = "/", *arch;
	struct cpumap *map = NULL;
	struct utsname u;
	int c, rootfd, r, status;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", cpu_models_options, NULL)) != -1) {
		if (c == OPT_ROOT) {
			root = optarg;
		} else if (c == OPT_HELP) {
			fputs(cpu_models_usage, stdout);
			return 0;
		} else {
			return usage_error("unknown or incomplete option", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return usage_error("unexpected argument", argv[optind + 1]);
	uname(&u);
	arch = optind < argc ? argv[optind] : u.machine;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		log_error_errno(errno, "%s: cannot open the root directory: %m", root);
		return 2;
	}
	r = cpumap_load_root(rootfd, arch, &map);
	if (r == -EAFNOSUPPORT)
		log_error("libvirt's CPU map has no models for architecture '%s'", arch);
	else if (r < 0)
		log_error_errno(r, "%s: cannot read libvirt's CPU map: %m", root);
	else
		for (size_t i = 0; i < cpumap_nmodels(map); i++)
			printf("%s\n", cpumap_model(map, i));
	status = r < 0 ? 1 : 0;
	cpumap_free(map);
	close(rootfd);
	return status;
}
