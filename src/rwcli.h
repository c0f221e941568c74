/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <getopt.h>

#include "confdir.h"
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
	bool skip_foreign, discard_later_edits, prune;
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
	OPT_HELP,
};

/* Print "nestvirt: MESSAGE" and @usage to stderr; under --json (@json) also the JSON refusal
 * of @command on stdout. Returns -EINVAL. */
int rwcli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse @argv into @o. Returns 1 after --help, 0 to go on, -EINVAL on a usage error (reported,
 * as a JSON refusal too when --json came before it). @command names the JSON refusal. */
int rwcli_parse(int argc, char **argv, const struct option *longopts, const char *usage,
		const char *command, struct opts *o);
void rwcli_free(struct opts *o);

/* "ROOT/REL" for humans, one slash between. */
int rwcli_join_path(char *buf, size_t size, const char *root, const char *rel);

/* The refusal of a run: logged, and as a JSON document under --json. Returns 2. */
int rwcli_refuse(const struct opts *o, const char *command, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Open --root. Returns 0, or 2 refused (reported). */
int rwcli_open_root(const struct opts *o, const char *command, int *ret_fd);

/* Open the config dir: --config-dir as named (never through a symlink as last component),
 * else below the root without following symlinks. Returns 0, 1 when the default dir does not
 * exist (libvirt is not set up), 2 refused (reported). */
int rwcli_open_config_dir(const struct opts *o, const char *command, int rootfd, char *disp,
			  size_t size, int *ret_fd);

/* The run's guards, held until rwcli_unlock: the pid-file locks of the libvirt daemons (so
 * that none can start during the run) and nestvirt's own run lock. Returns 0 to go on, 2
 * refused (reported). A dry run takes no lock and only warns about a running daemon. */
struct rwcli_locks {
	int fds[3];
	int dirfd; /* the config dir, for a session-mode lock */
};
int rwcli_lock(const struct opts *o, const char *command, int rootfd, int dirfd,
	       struct rwcli_locks *l);
/* Still ours: the daemons' pid-file locks are held (a re-check before each batch). */
int rwcli_check_locks(const struct rwcli_locks *l);
void rwcli_unlock(struct rwcli_locks *l);

/* Print the whole report of a run with nothing to do (the default config dir is missing). */
int rwcli_report_empty(const struct opts *o, const char *command, const char *dir);

/* Remove the temporary files of an interrupted run listed in @list, each noted in @rep. */
void rwcli_remove_stale(int dirfd, const char *dir, const struct confdir_list *list,
			struct rwreport *rep);
