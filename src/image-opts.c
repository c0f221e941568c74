// SPDX-License-Identifier: LGPL-2.1-or-later
/* The command line of nestvirt image: its own options, and the rewrite options it passes on
 * to rewrite_main for --now-rewrite. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "image-opts.h"

enum {
	IOPT_IMAGE = 0x100,
	IOPT_DEVICE,
	IOPT_PARTITION,
	IOPT_ENABLE,
	IOPT_DISABLE,
	IOPT_FIRSTBOOT,
	IOPT_NOW_REWRITE,
	IOPT_DRY_RUN,
	IOPT_JSON,
	IOPT_HELP,
	IOPT_RW_ARG,  /* a rewrite option with an argument, passed on */
	IOPT_RW_FLAG, /* a rewrite option without one */
};

static const struct option image_options[] = {
    {"image", required_argument, NULL, IOPT_IMAGE},
    {"device", required_argument, NULL, IOPT_DEVICE},
    {"partition", required_argument, NULL, IOPT_PARTITION},
    {"enable", no_argument, NULL, IOPT_ENABLE},
    {"disable", no_argument, NULL, IOPT_DISABLE},
    {"firstboot", no_argument, NULL, IOPT_FIRSTBOOT},
    {"now-rewrite", no_argument, NULL, IOPT_NOW_REWRITE},
    {"mode", required_argument, NULL, IOPT_RW_ARG},
    {"cpu", required_argument, NULL, IOPT_RW_ARG},
    {"vendor", required_argument, NULL, IOPT_RW_ARG},
    {"domain", required_argument, NULL, IOPT_RW_ARG},
    {"exclude", required_argument, NULL, IOPT_RW_ARG},
    {"override", no_argument, NULL, IOPT_RW_FLAG},
    {"no-backup", no_argument, NULL, IOPT_RW_FLAG},
    {"skip-foreign", no_argument, NULL, IOPT_RW_FLAG},
    {"dry-run", no_argument, NULL, IOPT_DRY_RUN},
    {"json", no_argument, NULL, IOPT_JSON},
    {"help", no_argument, NULL, IOPT_HELP},
    {0},
};

static const char image_usage[] =
    "usage: nestvirt image (--image FILE | --device SPEC) [--partition SPEC]\n"
    "                      [--enable|--disable] [--firstboot|--now-rewrite]\n"
    "                      [--mode MODE] [--cpu SPEC] [--vendor intel|amd] [--domain GLOB]...\n"
    "                      [--exclude GLOB]... [--override] [--no-backup] [--skip-foreign]\n"
    "                      [--dry-run] [--json]\n"
    "Provision a host disk image offline: find its root filesystem with libblkid, mount it\n"
    "through an autoclear loop device in a private mount namespace, and write into it.\n"
    "  --image FILE      a raw disk image (GPT or MBR) or a bare filesystem image\n"
    "  --device SPEC     a block device: a path, UUID=, LABEL=, PARTUUID= or PARTLABEL=\n"
    "  --partition SPEC  the partition: a number, LABEL=, PARTLABEL=, UUID= or PARTUUID=\n"
    "                    (default: the one Linux root holding /etc)\n"
    "  --enable          write nestvirt=1 into the image's /etc/nestvirt/persistent\n"
    "  --disable         write nestvirt=0 there\n"
    "  --firstboot       leave the domain rewrite to the image's first boot (the default)\n"
    "  --now-rewrite     rewrite the image's stored domains now, with the rewrite options\n"
    "                    --mode, --cpu, --vendor (the target's CPU), --domain, --exclude,\n"
    "                    --override, --no-backup, --skip-foreign (see nestvirt-rewrite(8))\n"
    "  --dry-run         change nothing: the image is opened and mounted read-only\n"
    "  --json            one JSON document on standard output\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "nestvirt: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", image_usage);
	return -EINVAL;
}

static int add_rw_arg(struct image_opts *o, const char *arg)
{
	if (o->rw_argc >= MAX_RW_ARGS - 8)
		return usage_error("too many rewrite options (at '%s')", arg);
	o->rw_argv[o->rw_argc++] = (char *)arg;
	return 0;
}

/* The rewrite option @name as rewrite_main's argv spells it. */
static char *dashed(const char *name)
{
	static const char *const names[] = {"--mode",	   "--cpu",	    "--vendor",
					    "--domain",	   "--exclude",	    "--override",
					    "--no-backup", "--skip-foreign"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i] + 2, name))
			return (char *)names[i];
	return (char *)name;
}

static int set_opt(struct image_opts *o, int c, int idx)
{

	switch (c) {
	case IOPT_IMAGE:
		o->image = optarg;
		return 0;
	case IOPT_DEVICE:
		o->device = optarg;
		return 0;
	case IOPT_PARTITION:
		o->partition = optarg;
		return 0;
	case IOPT_ENABLE:
	case IOPT_DISABLE:
		if (o->value == (c == IOPT_DISABLE))
			return usage_error("%s", "--enable and --disable exclude each other");
		o->value = c == IOPT_ENABLE;
		return 0;
	case IOPT_FIRSTBOOT:
		o->firstboot = true;
		return 0;
	case IOPT_NOW_REWRITE:
		o->now_rewrite = true;
		return 0;
	case IOPT_DRY_RUN:
		o->dry_run = true;
		return 0;
	case IOPT_JSON:
		o->json = true;
		return 0;
	case IOPT_RW_ARG:
	case IOPT_RW_FLAG:
		o->rw_mode |= !strcmp(image_options[idx].name, "mode") ||
			      !strcmp(image_options[idx].name, "cpu");
		if (add_rw_arg(o, dashed(image_options[idx].name)) < 0 ||
		    (c == IOPT_RW_ARG && add_rw_arg(o, optarg) < 0))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

int image_opts_parse(int argc, char **argv, struct image_opts *o)
{
	int c, idx = 0;

	*o = (struct image_opts){.value = -1};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", image_options, &idx)) != -1) {
		if (c == IOPT_HELP) {
			fputs(image_usage, stdout);
			return 1;
		}
		if (c == '?' || c == ':')
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		if (set_opt(o, c, idx) < 0)
			return -EINVAL;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->image == !o->device)
		return usage_error("%s", "give one of --image FILE and --device SPEC");
	if (o->firstboot && o->now_rewrite)
		return usage_error("%s", "--firstboot and --now-rewrite exclude each other");
	if (o->rw_argc && !o->now_rewrite)
		return usage_error("%s",
				   "the rewrite options (--mode, --cpu, --vendor, ...) go with "
				   "--now-rewrite");
	return 0;
}
