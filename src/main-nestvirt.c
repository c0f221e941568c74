// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestvirt: the admin CLI. Wires subcommands together; each lives in its own file. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "status", status_main, "show whether nested virtualization is requested, set and working" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: nestvirt COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'nestvirt COMMAND --help' shows the options of one command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "nestvirt: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
