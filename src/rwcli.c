// SPDX-License-Identifier: LGPL-2.1-or-later
#include "rwcli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confdir.h"
#include "daemon.h"
#include "fileio.h"
#include "log.h"
#include "rwreport.h"

static int push_glob(char ***v, size_t *n, char *glob)
{
	char **p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p)
		return -ENOMEM;
	*v = p;
	(*v)[(*n)++] = glob;
	return 0;
}

static int vusage_error(const struct opts *o, const char *command, const char *usage,
			const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static int vusage_error(const struct opts *o, const char *command, const char *usage,
			const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "nestvirt: %s\n%s", msg, usage);
	if (o && o->json && command)
		rwreport_refused(stdout, true, command, msg);
	return -EINVAL;
}

static int parse_error(const struct opts *o, const char *command, const char *usage,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int parse_error(const struct opts *o, const char *command, const char *usage,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(o, command, usage, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int set_opt(struct opts *o, int c)
{
	switch (c) {
	case OPT_ROOT:
		o->root = optarg;
		break;
	case OPT_CONFIG_DIR:
		o->config_dir = optarg;
		break;
	case OPT_MODE:
		o->mode = optarg;
		break;
	case OPT_CPU:
		o->cpu = optarg;
		break;
	case OPT_VENDOR:
		o->vendor = optarg;
		break;
	case OPT_DOMAIN:
		return push_glob(&o->include, &o->ninclude, optarg);
	case OPT_EXCLUDE:
		return push_glob(&o->exclude, &o->nexclude, optarg);
	case OPT_DRY_RUN:
		o->dry_run = true;
		break;
	case OPT_OVERRIDE:
		o->override = true;
		break;
	case OPT_FORCE:
		o->force = true;
		break;
	case OPT_NO_BACKUP:
		o->no_backup = true;
		break;
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_SKIP_FOREIGN:
		o->skip_foreign = true;
		break;
	case OPT_DISCARD_LATER_EDITS:
		o->discard_later_edits = true;
		break;
	case OPT_PRUNE:
		o->prune = true;
		break;
	case OPT_INCLUDE_MANAGED:
		o->include_managed = true;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

int rwcli_usage_refuse(const struct opts *o, const char *command, const char *usage,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(o, command, usage, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* --json anywhere on the line decides the form of a usage error too. */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			return true;
	return false;
}

int rwcli_parse(int argc, char **argv, const struct option *longopts, const char *usage,
		const char *command, struct opts *o)
{
	int c, r;

	*o = (struct opts){.root = "/", .json = wants_json(argc, argv)};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(usage, stdout);
			return 1;
		}
		r = set_opt(o, c);
		if (r == -ENOMEM)
			return log_error_errno(r, "%m");
		if (r < 0)
			return parse_error(o, command, usage, "unknown or incomplete option '%s'",
					   argv[optind - 1]);
	}
	if (optind < argc)
		return parse_error(o, command, usage, "unexpected argument '%s'", argv[optind]);
	return 0;
}

void rwcli_free(struct opts *o)
{
	free(o->include);
	free(o->exclude);
	o->include = o->exclude = NULL;
}

static int vrefuse(const struct opts *o, const char *command, int err, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int vrefuse(const struct opts *o, const char *command, int err, const char *fmt, va_list ap)
{
	char msg[PATH_MAX + 512];

	/* glibc's printf formats %m from errno: the same text log_*_errno gives. */
	errno = err < 0 ? -err : err;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_error("%s", msg);
	return rwreport_refused(stdout, o->json, command, msg);
}

int rwcli_refuse(const struct opts *o, const char *command, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vrefuse(o, command, 0, fmt, ap);
	va_end(ap);
	return r;
}

int rwcli_refuse_errno(const struct opts *o, const char *command, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vrefuse(o, command, err, fmt, ap);
	va_end(ap);
	return r;
}

int rwcli_open_root(const struct opts *o, const char *command, int *ret_fd)
{
	*ret_fd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*ret_fd < 0)
		return rwcli_refuse_errno(o, command, errno,
					  "%s: cannot open the root directory: %m", o->root);
	return 0;
}

int rwcli_open_config_dir(const struct opts *o, const char *command, int rootfd, char *disp,
			  size_t size, int *ret_fd)
{
	int r;

	if (o->config_dir) {
		snprintf(disp, size, "%s", o->config_dir);
		/* As named, but not through a symlink as its last component: the dir that
		 * is replaced in must be the one the admin named, not where a link points. */
		*ret_fd = open(o->config_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (*ret_fd < 0 && errno == ELOOP)
			return rwcli_refuse(o, command,
					    "%s: the config directory is a symbolic link: give the "
					    "directory itself",
					    disp);
		if (*ret_fd < 0)
			return rwcli_refuse_errno(o, command, errno,
						  "%s: cannot open the config directory: %m", disp);
		return 0;
	}
	r = fileio_join_path(disp, size, o->root, RWCLI_DEFAULT_CONFIG_DIR);
	if (r < 0)
		return rwcli_refuse(o, command, "%s: path too long", o->root);
	r = fileio_open_dir(rootfd, RWCLI_DEFAULT_CONFIG_DIR, false, ret_fd);
	if (r == -ENOENT)
		return 1;
	if (r < 0)
		return rwcli_refuse_errno(o, command, r, "%s: cannot open the config directory: %m",
					  disp);
	return 0;
}

/* Returns 0 to go on, 2 (reported) to refuse. */
static int check_daemon(const struct opts *o, int rootfd, const char *command)
{
	char reason[PATH_MAX + 256], path[PATH_MAX];
	struct daemon_running who;
	int r;

	r = daemon_find_running(rootfd, &who);
	if (r == 0)
		return 0;
	fileio_join_path(path, sizeof(path), o->root, who.pidfile);
	if (r < 0)
		snprintf(reason, sizeof(reason),
			 "cannot tell whether %s is running (%s: %s): use --force if it is not",
			 who.name, path, strerror(-r));
	else
		snprintf(reason, sizeof(reason),
			 "%s is running (pid %d holds the lock on its pid file %s): stop it first, "
			 "or use --force",
			 who.name, (int)who.pid, path);
	if (o->force || o->dry_run) {
		/* A live daemon rewrites its files from memory at the next save of a domain. */
		log_warning("%s; going on%s", reason,
			    o->dry_run ? " (dry run)" : " (--force): edits may be overwritten");
		return 0;
	}
	return rwcli_refuse(o, command, "%s", reason);
}

/* Returns 0 to go on (*@fd holds the lock), 2 (reported) to refuse. */
static int take_run_lock(const struct opts *o, int rootfd, const char *command, int *fd)
{
	char path[PATH_MAX];
	int r;

	r = confdir_lock(rootfd, RWCLI_LOCK_PATH, fd);
	if (r == 0)
		return 0;
	fileio_join_path(path, sizeof(path), o->root, RWCLI_LOCK_PATH);
	if (r == -EBUSY)
		return rwcli_refuse(
		    o, command, "another nestvirt rewrite or rollback is running (%s is locked)",
		    path);
	return rwcli_refuse_errno(o, command, r, "%s: cannot take the lock: %m", path);
}

/* Hold the daemons' pid files. Returns 0 to go on, 2 (reported) to refuse. */
static int hold_daemons(const struct opts *o, const char *command, int rootfd, int dirfd,
			struct rwcli_locks *l)
{
	char path[PATH_MAX], rel[128] = "";
	struct daemon_running who;
	uid_t session = (uid_t)-1;
	struct stat st;
	int r;

	if (o->config_dir && fstat(dirfd, &st) == 0)
		session = st.st_uid;
	r = daemon_hold_all(rootfd, session, &l->hold, &who, rel, sizeof(rel));
	if (r == 0)
		return 0;
	fileio_join_path(path, sizeof(path), o->root, rel);
	if (r > 0 && o->force) {
		log_warning("%s is running (pid %d holds the lock on its pid file %s); going on "
			    "(--force): edits may be overwritten",
			    who.name, (int)who.pid, path);
		return 0;
	}
	if (r > 0)
		return rwcli_refuse(
		    o, command,
		    "%s is running (pid %d holds the lock on its pid file %s): stop "
		    "it first, or use --force",
		    who.name, (int)who.pid, path);
	if (o->force) {
		log_warning_errno(r, "%s: cannot lock the pid file of %s: %m; going on (--force)",
				  path, who.name);
		return 0;
	}
	return rwcli_refuse_errno(
	    o, command, r, "cannot tell whether %s is running (%s: %m): use --force if it is not",
	    who.name, path);
}

int rwcli_lock(const struct opts *o, const char *command, int rootfd, int dirfd,
	       struct rwcli_locks *l)
{
	int r;

	*l = (struct rwcli_locks)RWCLI_LOCKS_INIT;
	l->rootfd = rootfd;
	if (o->dry_run)
		return check_daemon(o, rootfd, command);
	r = take_run_lock(o, rootfd, command, &l->runlock);
	if (r == 0)
		r = hold_daemons(o, command, rootfd, dirfd, l);
	return r;
}

bool rwcli_locks_valid(const struct rwcli_locks *l)
{
	return l->rootfd < 0 || daemon_hold_valid(l->rootfd, &l->hold);
}

void rwcli_unlock(struct rwcli_locks *l)
{
	if (l->rootfd >= 0)
		daemon_release(l->rootfd, &l->hold);
	if (l->runlock >= 0)
		close(l->runlock);
	l->runlock = -1;
}

int rwcli_report_empty(const struct opts *o, const char *command, const char *dir)
{
	struct rwreport rep;

	if (!o->json)
		printf("%s: does not exist: no libvirt domains to %s\n", dir, command);
	rwreport_begin(&rep, stdout, o->json, command, dir, o->dry_run, NULL);
	if (o->json)
		return rwreport_end(&rep);
	return 0;
}

void rwcli_remove_stale(int dirfd, const char *dir, const struct confdir_list *list,
			struct rwreport *rep)
{
	for (size_t i = 0; i < list->nstale; i++) {
		if (unlinkat(dirfd, list->stale[i], 0) < 0)
			rwreport_note(rep,
				      "%s/%s: cannot remove leftover of an interrupted run: %s",
				      dir, list->stale[i], strerror(errno));
		else
			rwreport_note(rep, "%s/%s: removed (temporary file of an interrupted run)",
				      dir, list->stale[i]);
	}
}
