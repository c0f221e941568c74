// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestvirt rollback: put back the originals that 'nestvirt rewrite' kept. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "confdir.h"
#include "log.h"
#include "rwcli.h"
#include "rwreport.h"

static const struct option rollback_options[] = {
    {"root", required_argument, NULL, OPT_ROOT},
    {"config-dir", required_argument, NULL, OPT_CONFIG_DIR},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"force", no_argument, NULL, OPT_FORCE},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

static const char rollback_usage[] =
    "usage: nestvirt rollback [--root DIR] [--config-dir DIR] [--domain GLOB]... [--force] "
    "[--json]\n"
    "Put back the originals that 'nestvirt rewrite' kept as NAME.xml" CONFDIR_BACKUP_SUFFIX ".\n";

struct run {
	const struct opts *o;
	int dirfd;
	char dir[PATH_MAX];
	struct rwreport rep;
};

static void rollback_one(struct run *run, const char *backup)
{
	char name[NAME_MAX + 1], domain[NAME_MAX + 1], reason[512];
	struct rwfile rf = {.name = name, .domain = domain, .reason = reason};
	size_t n = strlen(backup) - strlen(CONFDIR_BACKUP_SUFFIX);
	int r;

	snprintf(name, sizeof(name), "%.*s", (int)n, backup);
	confdir_domain_name(name, domain, sizeof(domain));
	if (!confdir_selected(domain, run->o->include, run->o->ninclude, NULL, 0)) {
		rf.result = RW_SKIPPED;
		rf.reason = "not selected by --domain";
		goto out;
	}
	r = confdir_restore(run->dirfd, name);
	switch (r) {
	case 0:
		rf.result = RW_CHANGED;
		snprintf(reason, sizeof(reason), "original put back from %s", backup);
		break;
	case -ESTALE:
		rf.result = RW_SKIPPED;
		snprintf(reason, sizeof(reason),
			 "%s no longer exists (domain undefined?): not brought back, %s kept", name,
			 backup);
		break;
	case -ENODEV:
		rf.result = RW_FAILED;
		snprintf(reason, sizeof(reason), "%s or %s is not a regular file, left unchanged",
			 name, backup);
		break;
	default:
		rf.result = RW_FAILED;
		snprintf(reason, sizeof(reason), "cannot put back %s: %s", backup, strerror(-r));
	}
out:
	rwreport_file(&run->rep, &rf);
}

static int rollback_dir(struct run *run)
{
	struct confdir_list list;
	int r;

	r = confdir_list(run->dirfd, &list);
	if (r < 0)
		return rwcli_refuse(run->o, "rollback", "%s: cannot list: %s", run->dir,
				    strerror(-r));
	rwreport_begin(&run->rep, stdout, run->o->json, "rollback", run->dir, false, NULL);
	rwcli_remove_stale(run->dirfd, run->dir, &list, &run->rep);
	if (list.nbackups == 0)
		rwreport_note(&run->rep, "%s: no backups (*.xml%s): nothing to roll back", run->dir,
			      CONFDIR_BACKUP_SUFFIX);
	for (size_t i = 0; i < list.nbackups; i++)
		rollback_one(run, list.backups[i]);
	confdir_list_free(&list);
	return rwreport_end(&run->rep);
}

int rollback_main(int argc, char **argv)
{
	struct run run = {.dirfd = -1};
	struct rwcli_locks locks = {.fds = {-1, -1, -1}};
	int rootfd = -1, status, r;
	struct opts o;

	r = rwcli_parse(argc, argv, rollback_options, rollback_usage, "rollback", &o);
	if (r != 0) {
		status = r > 0 ? 0 : 2;
		goto out;
	}
	run.o = &o;
	status = rwcli_open_root(&o, "rollback", &rootfd);
	if (status != 0)
		goto out;
	r = rwcli_open_config_dir(&o, "rollback", rootfd, run.dir, sizeof(run.dir), &run.dirfd);
	if (r == 1)
		status = rwcli_report_empty(&o, "rollback", run.dir);
	else
		status = r;
	if (r != 0)
		goto out;
	status = rwcli_lock(&o, "rollback", rootfd, run.dirfd, &locks);
	if (status == 0)
		status = rollback_dir(&run);
out:
	rwcli_unlock(&locks);
	if (run.dirfd >= 0)
		close(run.dirfd);
	if (rootfd >= 0)
		close(rootfd);
	rwcli_free(&o);
	return status;
}
