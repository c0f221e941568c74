/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <getopt.h>

#include "confdir.h"
#include "daemon.h"
#include "rwreport.h"

/*
 * What `nestvirt rewrite` and `nestvirt rollback` share on the command line and before the
 * first file: the options, the root and config dir, the daemon check and the run lock.
 */

#define RWCLI_DEFAULT_CONFIG_DIR "etc/libvirt/qemu"
#define RWCLI_LOCK_PATH		 "run/nestvirt/rewrite.lock"

struct opts {
	const char *root;
	const char *config_dir;
	const char *mode;
	const char *cpu;
	const char *vendor;
	char **include;
	size_t ninclude;
	char **exclude;
	size_t nexclude;
	bool dry_run, override, force, no_backup, json;
	bool skip_foreign, discard_later_edits, prune, include_managed;
};

enum {
	OPT_ROOT = 0x100,
	OPT_CONFIG_DIR,
	OPT_MODE,
	OPT_CPU,
	OPT_VENDOR,
	OPT_DOMAIN,
	OPT_EXCLUDE,
	OPT_DRY_RUN,
	OPT_OVERRIDE,
	OPT_FORCE,
	OPT_NO_BACKUP,
	OPT_JSON,
	OPT_SKIP_FOREIGN,
	OPT_DISCARD_LATER_EDITS,
	OPT_PRUNE,
	OPT_INCLUDE_MANAGED,
	OPT_HELP,
};

/* A usage error found after parsing: "nestvirt: MESSAGE" and @usage to stderr, and under
 * --json the JSON refusal of @command on stdout. Returns -EINVAL. */
int rwcli_usage_refuse(const struct opts *o, const char *command, const char *usage,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Parse @argv into @o. Returns 1 after --help, 0 to go on, -EINVAL on a usage error (reported,
 * as a JSON refusal too when --json came before it). @command names the JSON refusal. */
int rwcli_parse(int argc, char **argv, const struct option *longopts, const char *usage,
		const char *command, struct opts *o);
void rwcli_free(struct opts *o);

/* The refusal of a run: logged, and as a JSON document under --json. Returns 2. */
int rwcli_refuse(const struct opts *o, const char *command, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same with "%m" in @fmt formatting errno @err (positive or negative). */
int rwcli_refuse_errno(const struct opts *o, const char *command, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Open --root. Returns 0, or 2 refused (reported). */
int rwcli_open_root(const struct opts *o, const char *command, int *ret_fd);

/* Open the config dir: --config-dir as named (never through a symlink as last component),
 * else below the root without following symlinks. Returns 0, 1 when the default dir does not
 * exist (libvirt is not set up), 2 refused (reported). */
int rwcli_open_config_dir(const struct opts *o, const char *command, int rootfd, char *disp,
			  size_t size, int *ret_fd);

/* The run's guards, held until rwcli_unlock: nestvirt's own run lock, then the pid-file
 * locks of the libvirt daemons (daemon.h), so that none can start during the run; for a
 * --config-dir owned by another user than root also that user's session daemons'. Returns 0
 * to go on, 2 refused (reported). A dry run takes no lock and only warns about a running
 * daemon; --force goes on past a running daemon with a warning. */
struct rwcli_locks {
	int runlock;
	int rootfd;
	struct daemon_hold hold;
};
int rwcli_lock(const struct opts *o, const char *command, int rootfd, int dirfd,
	       struct rwcli_locks *l);
/* Still ours: the daemons' pid files are still the files we lock (a re-check before each
 * batch). False means a daemon may be starting: write nothing more. */
bool rwcli_locks_valid(const struct rwcli_locks *l);
void rwcli_unlock(struct rwcli_locks *l);
#define RWCLI_LOCKS_INIT                                                                           \
	{                                                                                          \
		.runlock = -1, .rootfd = -1                                                        \
	}

/* Print the whole report of a run with nothing to do (the default config dir is missing). */
int rwcli_report_empty(const struct opts *o, const char *command, const char *dir);

/* Remove the temporary files of an interrupted run listed in @list, each noted in @rep. */
void rwcli_remove_stale(int dirfd, const char *dir, const struct confdir_list *list,
			struct rwreport *rep);
