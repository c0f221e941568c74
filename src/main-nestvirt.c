// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestvirt: the admin CLI. Wires subcommands together; each lives in its own file. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
    {"status", status_main, "show whether nested virtualization is requested, set and working"},
    {"rewrite", rewrite_main, "give guests vmx/svm: edit libvirt's stored domain XML offline"},
    {"rollback", rollback_main, "put back the domain files that 'rewrite' changed"},
    {"cpu-models", cpu_models_main, "list the CPU models of libvirt's CPU map"},
    {"firstboot", firstboot_main, "the first boot with nestvirt=1: rewrite, then stamp"},
    {"enable", enable_main, "turn nesting on at every boot (--persistent) [and now (--now)]"},
    {"disable", disable_main, "turn nesting off at every boot (--persistent) [and now]"},
    {"image", image_main, "provision a host disk image offline: --enable, --now-rewrite"},
    /* Not listed: one document through the <cpu> edit, for tests against virt-xml. */
    {"edit-cpu", edit_cpu_main, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: nestvirt COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].summary)
			fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'nestvirt COMMAND --help' shows the options of one command.\n");
}

/* As coreutils' close_stdout: a report that could not be written (full disk, closed pipe,
 * /dev/full) is a failure, whatever the command did; exit 0 would tell a lie. */
static int close_stdout(int status)
{
	bool failed = ferror(stdout);
	int err = EIO;

	if (fclose(stdout) != 0 && errno != EBADF) {
		failed = true;
		err = errno;
	}
	if (!failed)
		return status;
	log_error_errno(err, "write error on standard output: %m");
	return status ? status : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return close_stdout(0);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return close_stdout(commands[i].run(argc - 1, argv + 1));
	fprintf(stderr, "nestvirt: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
