// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt-early: the boot helper. Run by the dracut cmdline hook and by the udev rule; turns
 * nestvirt= on the kernel command line into the KVM vendor module's "nested" value.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "early.h"
#include "kmodops.h"
#include "log.h"

struct options {
	const char *root;
	bool kmsg;
	bool verbose;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: nestvirt-early [--root DIR] [--kmsg] [--verbose]\n"
	    "\n"
	    "Reads nestvirt= from the kernel command line (else /etc/nestvirt/persistent), writes\n"
	    "/run/modprobe.d/zz-nestvirt.conf and /run/nestvirt/state, and reloads "
	    "kvm_intel/kvm_amd\n"
	    "when it is loaded with the other nested value and unused.\n"
	    "\n"
	    "  --root DIR  read and write every path below DIR; modules are never touched then\n"
	    "  --kmsg      log to /dev/kmsg (early boot) instead of stderr\n"
	    "  --verbose   log debug messages too\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"kmsg", no_argument, NULL, 'k'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->root = optarg;
			break;
		case 'k':
			o->kmsg = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nestvirt-early: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {.root = "/"};
	struct early_config cfg = {.rootfd = -1};
	struct kmodops *kops = NULL;
	struct utsname uts;
	int r;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (o.kmsg)
		log_to_kmsg("/dev/kmsg");
	if (o.verbose)
		log_set_max_level(LOG_DEBUG);

	/* The directories we create must pass our own check (not group/other-writable) whatever
	 * umask the caller left us. */
	umask(umask(022) | 022);
	cfg.rootfd = open(o.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfg.rootfd < 0) {
		log_error_errno(errno, "%s: %m", o.root);
		return 2;
	}
	/* A test tree stands for the running kernel too: its modules.builtin is looked up there. */
	if (uname(&uts) == 0)
		cfg.release = uts.release;
	/* Modules belong to the running kernel: a test tree never gets them touched. */
	if (!strcmp(o.root, "/")) {
		kops = kmodops_new(NULL);
		if (!kops) {
			log_error_errno(ENOMEM, "Failed to set up module loading: %m");
			close(cfg.rootfd);
			return 1;
		}
		cfg.ops = kmodops_ops(kops);
	}
	r = early_run(&cfg);
	kmodops_free(kops);
	close(cfg.rootfd);
	return r < 0 ? 1 : 0;
}
