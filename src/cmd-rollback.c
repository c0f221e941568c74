// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestvirt rollback: put back the originals that 'nestvirt rewrite' kept. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "confdir.h"
#include "log.h"
#include "rwcli.h"
#include "rwrecord.h"
#include "rwreport.h"

static const struct option rollback_options[] = {
    {"root", required_argument, NULL, OPT_ROOT},
    {"config-dir", required_argument, NULL, OPT_CONFIG_DIR},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"force", no_argument, NULL, OPT_FORCE},
    {"discard-later-edits", no_argument, NULL, OPT_DISCARD_LATER_EDITS},
    {"prune", no_argument, NULL, OPT_PRUNE},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

static const char rollback_usage[] =
    "usage: nestvirt rollback [--root DIR] [--config-dir DIR] [--domain GLOB]... [--force]\n"
    "                         [--discard-later-edits | --prune] [--json]\n"
    "Put back the originals that 'nestvirt rewrite' kept as NAME.xml" CONFDIR_BACKUP_SUFFIX ",\n"
    "only over a file that is still exactly what nestvirt wrote (--discard-later-edits: over\n"
    "later edits too). --prune drops the backups instead, restoring nothing.\n";

struct run {
	const struct opts *o;
	const struct rwcli_locks *locks;
	int dirfd;
	char dir[PATH_MAX];
	struct rwreport rep;
};

/* May the backup go back over @name? 0 yes; -EAGAIN no, with the reason in @reason. The file
 * read is returned in @cur (to check that it is still the one replaced). */
static int may_restore(struct run *run, const char *name, const char *backup,
		       struct confdir_file *cur, char *reason, size_t size)
{
	struct stat bst;
	char buf[128];
	int r;

	r = confdir_read(run->dirfd, name, CONFDIR_MAX_FILE, cur);
	if (r == -ENOENT)
		return 0; /* confdir_restore says "undefined" */
	if (r < 0) {
		snprintf(reason, size, "%s %s, left unchanged", name,
			 confdir_strerror(r, cur, buf, sizeof(buf)));
		return -EAGAIN;
	}
	/* A run stopped after the backup, before the replace: one file under two names. */
	if (fstatat(run->dirfd, backup, &bst, AT_SYMLINK_NOFOLLOW) == 0 &&
	    bst.st_dev == cur->st.st_dev && bst.st_ino == cur->st.st_ino)
		return 0;
	r = rwrecord_matches(cur);
	if (r == 1 || run->o->discard_later_edits)
		return 0;
	if (r < 0)
		snprintf(reason, size,
			 "cannot read what nestvirt recorded on %s: %s, left unchanged", name,
			 strerror(-r));
	else
		snprintf(reason, size,
			 "%s is not what nestvirt wrote (changed since, by libvirt or an admin): "
			 "putting back %s would lose those changes; left unchanged "
			 "(--discard-later-edits puts it back anyway)",
			 name, backup);
	return -EAGAIN;
}

static void restore_one(struct run *run, const char *name, const char *backup, struct rwfile *rf,
			char *reason, size_t size)
{
	struct confdir_file cur = {.fd = -1};
	int r;

	r = may_restore(run, name, backup, &cur, reason, size);
	if (r == 0)
		r = confdir_restore(run->dirfd, name, cur.fd >= 0 ? &cur.st : NULL);
	confdir_file_close(&cur);
	switch (r) {
	case 0:
		rf->result = RW_CHANGED;
		snprintf(reason, size, "original put back from %s", backup);
		break;
	case -ESTALE:
		rf->result = RW_SKIPPED;
		snprintf(reason, size,
			 "%s no longer exists (domain undefined?): not brought back, %s kept", name,
			 backup);
		break;
	case -EAGAIN:
		rf->result = RW_FAILED;
		if (!strstr(reason, "left unchanged"))
			snprintf(reason, size, "%s changed while it was checked, left unchanged",
				 name);
		break;
	case -ENODEV:
		rf->result = RW_FAILED;
		snprintf(reason, size, "%s or %s is not a regular file, left unchanged", name,
			 backup);
		break;
	default:
		rf->result = RW_FAILED;
		snprintf(reason, size, "cannot put back %s: %s", backup, strerror(-r));
	}
}

/* --prune: drop the backup, restore nothing. */
static void prune_one(struct run *run, const char *backup, struct rwfile *rf, char *reason,
		      size_t size)
{
	if (unlinkat(run->dirfd, backup, 0) < 0) {
		rf->result = RW_FAILED;
		snprintf(reason, size, "cannot remove %s: %s", backup, strerror(errno));
		return;
	}
	if (fsync(run->dirfd) < 0) {
		rf->result = RW_FAILED;
		snprintf(reason, size, "%s removed, but the directory could not be synced: %s",
			 backup, strerror(errno));
		return;
	}
	rf->result = RW_CHANGED;
	snprintf(reason, size, "backup %s removed", backup);
}

static void rollback_one(struct run *run, const char *backup)
{
	char name[NAME_MAX + 1], domain[NAME_MAX + 1], reason[1024] = "";
	struct rwfile rf = {.name = name, .domain = domain, .reason = reason};
	size_t n = strlen(backup) - strlen(CONFDIR_BACKUP_SUFFIX);

	snprintf(name, sizeof(name), "%.*s", (int)n, backup);
	confdir_domain_name(name, domain, sizeof(domain));
	if (!confdir_selected(domain, run->o->include, run->o->ninclude, NULL, 0)) {
		rf.result = RW_SKIPPED;
		rf.reason = "not selected by --domain";
	} else if (!rwcli_locks_valid(run->locks)) {
		rf.result = RW_FAILED;
		rf.reason = "a libvirt daemon's pid file was replaced during the run (is a daemon "
			    "starting?), left unchanged";
	} else if (run->o->prune) {
		prune_one(run, backup, &rf, reason, sizeof(reason));
	} else {
		restore_one(run, name, backup, &rf, reason, sizeof(reason));
	}
	rwreport_file(&run->rep, &rf);
}

static int rollback_dir(struct run *run)
{
	struct confdir_list list;
	int r;

	r = confdir_list(run->dirfd, &list);
	if (r < 0)
		return rwcli_refuse_errno(run->o, "rollback", r, "%s: cannot list: %m", run->dir);
	rwreport_begin(&run->rep, stdout, run->o->json, run->o->prune ? "prune" : "rollback",
		       run->dir, false, NULL);
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
	struct rwcli_locks locks = RWCLI_LOCKS_INIT;
	struct run run = {.dirfd = -1, .locks = &locks};
	int rootfd = -1, status, r;
	struct opts o;

	r = rwcli_parse(argc, argv, rollback_options, rollback_usage, "rollback", &o);
	if (r == 0 && o.prune && o.discard_later_edits)
		r = rwcli_usage_refuse(&o, "rollback", rollback_usage, "%s",
				       "--prune and --discard-later-edits exclude each other");
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
