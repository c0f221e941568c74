// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt status: is nesting requested, configured, live, seen by the guests — and if not,
 * why not and what to do. The options and the order of the readers; the rooms are status-*.c
 * (docs/status.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "fileio.h"
#include "log.h"
#include "status.h"

#define TEXTFILE_DIR  "/var/lib/prometheus/node-exporter"
#define TEXTFILE_NAME "nestvirt.prom"
#define GUESTS_DIR    "etc/libvirt/qemu"

struct opts {
	const char *root;
	const char *config_dir; /* below the root */
	const char *textfile;	/* NULL: not asked; "" the default dir below the root */
	bool json, check;
};

static const char usage[] =
    "usage: nestvirt status [--root DIR] [--json] [--check] [--textfile [DIR]]\n"
    "                       [--config-dir DIR]\n"
    "Whether nested virtualization is requested, set and working here, why not, and what to do.\n"
    "  --json            one JSON document (docs/status.schema.json)\n"
    "  --check           exit 0 when nesting is as requested, else the class's code:\n"
    "                    10 not requested, 11 unsupported CPU or hypervisor, 12 built-in KVM,\n"
    "                    13 pending reboot, 14 conflicting configuration, 15 guests not\n"
    "                    rewritten, 16 first boot failed, 17 boot helper missing or failed,\n"
    "                    18 cannot tell\n"
    "  --textfile [DIR]  write DIR/" TEXTFILE_NAME " for node_exporter's textfile collector\n"
    "                    (default " TEXTFILE_DIR " below the root), print nothing\n"
    "  --config-dir DIR  libvirt's domain directory below the root (default /" GUESTS_DIR ")\n"
    "  --root DIR        report on the host tree below DIR instead of /\n"
    "Exit status without --check: 0 as requested or nothing requested, 1 not, 2 usage error.\n";

/* Returns 1 after --help, 0 to go on, -EINVAL on a usage error (reported). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"check", no_argument, NULL, 'c'},
	    {"textfile", optional_argument, NULL, 't'},
	    {"config-dir", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	*o = (struct opts){.root = "/", .config_dir = GUESTS_DIR};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->root = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'c':
			o->check = true;
			break;
		case 't':
			/* "--textfile DIR" as well as "--textfile=DIR". */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			o->textfile = optarg ? optarg : "";
			break;
		case 'd':
			o->config_dir = optarg;
			while (*o->config_dir == '/')
				o->config_dir++;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			fprintf(stderr, "nestvirt: unknown or incomplete option '%s'\n%s",
				argv[optind - 1], usage);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nestvirt: unexpected argument '%s'\n%s", argv[optind], usage);
		return -EINVAL;
	}
	if (o->textfile && o->json) {
		fprintf(stderr, "nestvirt: --textfile and --json: choose one\n%s", usage);
		return -EINVAL;
	}
	return 0;
}

static void scan_guests(int rootfd, const struct opts *o, struct status_report *r)
{
	const struct status_module *m = &r->mod;
	struct guests_host host = {
	    .module = r->host.module,
	    .nested = r->effective,
	    .virt_flag = r->host.virt_flag,
	};

	(void)m;
	fileio_join_path(r->guests_dir, sizeof(r->guests_dir), "/", o->config_dir);
	if (guests_scan(rootfd, o->config_dir, &host, &r->guests) < 0) {
		log_error("out of memory: the guests are not analysed");
		r->guests = NULL;
	}
}

static int write_textfile(int rootfd, const struct opts *o, const struct status_report *r)
{
	char path[PATH_MAX];
	const char *dir =
	    o->textfile[0] ? o->textfile : &TEXTFILE_DIR[1]; /* below the root: no leading slash */
	int dirfd, base = o->textfile[0] ? AT_FDCWD : rootfd, err;
	size_t len;
	char *text;

	if (o->textfile[0])
		snprintf(path, sizeof(path), "%s/%s", dir, TEXTFILE_NAME);
	else
		fileio_join_path(path, sizeof(path), o->root, TEXTFILE_DIR "/" TEXTFILE_NAME);
	text = status_format_textfile(r, (long long)time(NULL), &len);
	if (!text)
		return log_error_errno(ENOMEM, "%s: not written: %m", path);
	dirfd = openat(base, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		err = log_error_errno(errno, "%s: cannot open the directory: %m", path);
		free(text);
		return err;
	}
	err = fileio_replace(dirfd, TEXTFILE_NAME, text, len, 0644);
	if (err < 0)
		log_error_errno(err, "%s: not written: %m; the previous one stays", path);
	close(dirfd);
	free(text);
	return err;
}

static bool want_colour(void)
{
	const char *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && strcmp(term, "dumb");
}

int status_main(int argc, char **argv)
{
	struct status_report *r;
	struct opts o;
	int rootfd, ret;

	ret = parse_args(argc, argv, &o);
	if (ret != 0)
		return ret > 0 ? 0 : 2;
	rootfd = open(o.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		log_error_errno(errno, "%s: cannot open the root directory: %m", o.root);
		return 2;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(rootfd);
		return log_error_errno(ENOMEM, "%m"), 1;
	}
	r->root = o.root;
	status_read_host(rootfd, r);
	status_read_request(rootfd, r);
	status_read_module(rootfd, r);
	status_read_initrd(rootfd, r);
	r->effective = -1;
	status_judge(r); /* the value the guests get, for the guests' scan */
	scan_guests(rootfd, &o, r);
	memset(r->problems, 0, sizeof(r->problems));
	r->nproblems = r->nnotes = 0;
	r->pending_reboot = false;
	status_judge(r);
	if (o.textfile)
		ret = write_textfile(rootfd, &o, r) < 0 ? 1 : 0;
	else if (o.json)
		status_write_json(r, stdout);
	else
		status_write_text(r, stdout, want_colour());
	if (o.check)
		ret = r->cls;
	else if (!o.textfile)
		ret = r->cls == STATUS_OK || r->cls == STATUS_NOT_REQUESTED ? 0 : 1;
	if (r->guests)
		guests_report_free(r->guests);
	free(r);
	close(rootfd);
	return ret;
}
