/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The subcommands of the admin CLI. Each takes the arguments after its own name (argv[0] is
 * the subcommand) and returns the process exit status.
 */
int status_main(int argc, char **argv);
int rewrite_main(int argc, char **argv);
int rollback_main(int argc, char **argv);
int cpu_models_main(int argc, char **argv);
int edit_cpu_main(int argc, char **argv);
int firstboot_main(int argc, char **argv);
int enable_main(int argc, char **argv);
int disable_main(int argc, char **argv);
int image_main(int argc, char **argv);
