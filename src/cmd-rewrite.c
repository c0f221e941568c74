// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt rewrite | rollback | cpu-models: the offline edit of libvirt's stored domain files.
 * This file wires the modules together: options, the order of the safety checks, one pass over
 * the config dir. The edit itself is domxml.c, the file plumbing confdir.c, the report
 * rwreport.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "commands.h"
#include "confdir.h"
#include "cpumap.h"
#include "cpuspec.h"
#include "daemon.h"
#include "domxml.h"
#include "fileio.h"
#include "hostcpu.h"
#include "log.h"
#include "rwreport.h"
#include "udiff.h"

#define DEFAULT_CONFIG_DIR "etc/libvirt/qemu"
#define LOCK_PATH	   "run/nestvirt/rewrite.lock"
#define CPUINFO_PATH	   "proc/cpuinfo"
/* The guests this edits: vmx and svm exist only for x86; the map's x86 section is shared. */
#define GUEST_ARCH "x86_64"
/* The first processor block is all hostcpu_parse reads; it is well under this. */
#define CPUINFO_PREFIX (64 * 1024)

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
};

/* What one run works on, opened in main and passed down. */
struct run {
	const struct opts *o;
	int rootfd;
	int dirfd;
	char dir[PATH_MAX]; /* the config dir as humans see it */
	struct domxml_request req;
	struct rwreport rep;
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
	OPT_HELP,
};

static const struct option rewrite_options[] = {
    {"root", required_argument, NULL, OPT_ROOT},
    {"config-dir", required_argument, NULL, OPT_CONFIG_DIR},
    {"mode", required_argument, NULL, OPT_MODE},
    {"cpu", required_argument, NULL, OPT_CPU},
    {"vendor", required_argument, NULL, OPT_VENDOR},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"override", no_argument, NULL, OPT_OVERRIDE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"no-backup", no_argument, NULL, OPT_NO_BACKUP},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

static const struct option rollback_options[] = {
    {"root", required_argument, NULL, OPT_ROOT},
    {"config-dir", required_argument, NULL, OPT_CONFIG_DIR},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"force", no_argument, NULL, OPT_FORCE},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

static const char rewrite_usage[] =
    "usage: nestvirt rewrite [--root DIR] [--config-dir DIR]\n"
    "                        [--mode feature|host-passthrough|host-model|disable] [--cpu SPEC]\n"
    "                        [--vendor intel|amd] [--domain GLOB]... [--exclude GLOB]...\n"
    "                        [--dry-run] [--override] [--force] [--no-backup] [--json]\n"
    "Edit libvirt's stored domain files (default /etc/libvirt/qemu/*.xml) so that KVM guests\n"
    "see the host's virtualization extension (vmx/svm). libvirtd must be stopped.\n";

static const char rollback_usage[] =
    "usage: nestvirt rollback [--root DIR] [--config-dir DIR] [--domain GLOB]... [--force] "
    "[--json]\n"
    "Put back the originals that 'nestvirt rewrite' kept as NAME.xml" CONFDIR_BACKUP_SUFFIX ".\n";

static int push_glob(char ***v, size_t *n, char *glob)
{
	char **p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p)
		return -ENOMEM;
	*v = p;
	(*v)[(*n)++] = glob;
	return 0;
}

static int usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("nestvirt: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return -EINVAL;
}

/* Returns 1 after --help, 0 to go on, -EINVAL on a usage error (reported). */
static int parse_opts(int argc, char **argv, const struct option *longopts, const char *usage,
		      struct opts *o)
{
	int c;

	*o = (struct opts){.root = "/"};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
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
			if (push_glob(&o->include, &o->ninclude, optarg) < 0)
				return -ENOMEM;
			break;
		case OPT_EXCLUDE:
			if (push_glob(&o->exclude, &o->nexclude, optarg) < 0)
				return -ENOMEM;
			break;
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
		case OPT_HELP:
			fputs(usage, stdout);
			return 1;
		default:
			return usage_error(usage, "unknown or incomplete option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static void free_opts(struct opts *o)
{
	free(o->include);
	free(o->exclude);
}

static const struct {
	const char *name;
	enum domxml_mode mode;
} modes[] = {
    {"feature", DOMXML_MODE_FEATURE},
    {"host-passthrough", DOMXML_MODE_HOST_PASSTHROUGH},
    {"host-model", DOMXML_MODE_HOST_MODEL},
    {"disable", DOMXML_MODE_DISABLE},
};

static int pick_mode(const struct opts *o, enum domxml_mode *mode)
{
	if (o->cpu && o->mode)
		return usage_error(rewrite_usage, "%s", "--mode and --cpu exclude each other");
	if (o->cpu) {
		*mode = DOMXML_MODE_SPEC;
		return 0;
	}
	*mode = DOMXML_MODE_FEATURE;
	if (!o->mode)
		return 0;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(o->mode, modes[i].name)) {
			*mode = modes[i].mode;
			return 0;
		}
	return usage_error(rewrite_usage,
			   "unknown --mode '%s' (feature, host-passthrough, host-model or disable)",
			   o->mode);
}

static const char *mode_name(enum domxml_mode mode)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i].mode == mode)
			return modes[i].name;
	return "cpu";
}

/* Read the start of @path below @rootfd (NUL-terminated): /proc files have no size. */
static int read_prefix(int rootfd, const char *path, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;
	int fd;

	fd = openat(rootfd, path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	*ret_len = len;
	return 0;
}

/* The vendor feature: from --vendor, else from the host's cpuinfo. NULL if unknown. */
static const char *vendor_feature(const struct opts *o, int rootfd, char *why, size_t whylen)
{
	struct hostcpu cpu;
	size_t len = 0;
	char *buf;
	int r;

	if (o->vendor && !strcmp(o->vendor, "intel"))
		return "vmx";
	if (o->vendor && !strcmp(o->vendor, "amd"))
		return "svm";
	buf = malloc(CPUINFO_PREFIX);
	if (!buf) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	r = read_prefix(rootfd, CPUINFO_PATH, buf, CPUINFO_PREFIX, &len);
	if (r == 0)
		r = hostcpu_parse(buf, len, &cpu);
	free(buf);
	if (r < 0) {
		snprintf(why, whylen, "cannot read the CPU vendor from %s: %s", CPUINFO_PATH,
			 strerror(-r));
		return NULL;
	}
	if (cpu.module == KVM_MODULE_NONE) {
		snprintf(why, whylen, "KVM has no nested support for CPU vendor '%s'", cpu.vendor);
		return NULL;
	}
	return kvm_module_flag(cpu.module);
}

static int join_path(char *buf, size_t size, const char *root, const char *rel)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (snprintf(buf, size, "%.*s%s%s", (int)n, root, root[n - 1] == '/' ? "" : "/", rel) >=
	    (int)size)
		return -ENAMETOOLONG;
	return 0;
}

static int open_root(const char *root, int *ret_fd)
{
	*ret_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*ret_fd < 0)
		return log_error_errno(errno, "%s: cannot open the root directory: %s", root,
				       strerror(errno));
	return 0;
}

/* Open the config dir: --config-dir as named, else below the root without following
 * symlinks. Returns 1 when the default dir does not exist (libvirt is not set up). */
static int open_config_dir(const struct opts *o, int rootfd, char *disp, size_t size, int *ret_fd)
{
	int r;

	if (o->config_dir) {
		snprintf(disp, size, "%s", o->config_dir);
		*ret_fd = open(o->config_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*ret_fd < 0)
			return log_error_errno(errno, "%s: cannot open the config directory: %s",
					       disp, strerror(errno));
		return 0;
	}
	r = join_path(disp, size, o->root, DEFAULT_CONFIG_DIR);
	if (r < 0)
		return log_error_errno(r, "%s: path too long", o->root);
	r = fileio_open_dir(rootfd, DEFAULT_CONFIG_DIR, false, ret_fd);
	if (r == -ENOENT)
		return 1;
	if (r < 0)
		return log_error_errno(r, "%s: cannot open the config directory: %s", disp,
				       strerror(-r));
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
	join_path(path, sizeof(path), o->root, who.pidfile);
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
	log_error("%s", reason);
	return rwreport_refused(stdout, o->json, command, reason);
}

/* Returns 0 to go on (*@fd holds the lock), 2 (reported) to refuse. */
static int take_lock(const struct opts *o, int rootfd, const char *command, int *fd)
{
	char path[PATH_MAX], reason[PATH_MAX + 128];
	int r;

	r = confdir_lock(rootfd, LOCK_PATH, fd);
	if (r == 0)
		return 0;
	join_path(path, sizeof(path), o->root, LOCK_PATH);
	if (r == -EBUSY)
		snprintf(reason, sizeof(reason),
			 "another nestvirt rewrite or rollback is running (%s is locked)", path);
	else
		snprintf(reason, sizeof(reason), "%s: cannot take the lock: %s", path,
			 strerror(-r));
	log_error("%s", reason);
	return rwreport_refused(stdout, o->json, command, reason);
}

static void remove_stale(struct run *run, const struct confdir_list *list)
{
	for (size_t i = 0; i < list->nstale; i++) {
		if (unlinkat(run->dirfd, list->stale[i], 0) < 0)
			rwreport_note(&run->rep,
				      "%s/%s: cannot remove leftover of an interrupted run: %s",
				      run->dir, list->stale[i], strerror(errno));
		else
			rwreport_note(&run->rep,
				      "%s/%s: removed (temporary file of an interrupted run)",
				      run->dir, list->stale[i]);
	}
}

/* The diff of a dry run, as text. */
static char *make_diff(const char *name, const struct confdir_file *f,
		       const struct domxml_result *res)
{
	char alabel[NAME_MAX + 3], blabel[NAME_MAX + 3];
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	int r;

	m = open_memstream(&text, &len);
	if (!m)
		return NULL;
	snprintf(alabel, sizeof(alabel), "a/%s", name);
	snprintf(blabel, sizeof(blabel), "b/%s", name);
	r = udiff_write(m, alabel, f->buf, f->len, blabel, res->out, res->out_len);
	if (fclose(m) != 0 || r < 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void add_warnings(const struct run *run, const char *domain, struct rwfile *rf)
{
	if (daemon_domain_running(run->rootfd, domain))
		rf->warnings[rf->nwarnings++] =
		    "the domain is running: the new CPU takes effect at its next cold boot "
		    "(shut down, then start)";
	if (daemon_domain_saved(run->rootfd, domain))
		rf->warnings[rf->nwarnings++] =
		    "the domain has a managed-save image: restoring it brings back the old CPU "
		    "(discard it with 'virsh managedsave-remove' to use the new one)";
}

/*
 * Files are edited in batches: read and edit up to BATCH_FILES files, link all their
 * backups, one fsync of the directory, write every new version to its temporary file, then
 * fsync and rename each, one more fsync of the directory, then report them. Every backup is
 * durable before any rename of its batch, every new version before its rename, every rename
 * before its file is reported; a crash at any point leaves each file old or new. It costs two
 * directory fsyncs per batch instead of two per file, and each file's fsync finds the
 * batch's data already being written.
 */
#define BATCH_FILES 64
#define BATCH_BYTES (4u << 20) /* keeps memory flat even for files near the size cap */

/* One file of a batch, with the storage its report points into. */
struct item {
	struct rwfile rf;
	char reason[512];
	char backup[NAME_MAX + 1];
	char domain[NAME_MAX + 1];
	struct confdir_file f;
	struct domxml_result res;
	struct fileio_temp tmp; /* the new version, staged */
	bool write;		/* to be written: changed, no dry run, nothing failed so far */
	bool renamed;		/* the new version is in place (durable after the batch's sync) */
};

struct batch {
	struct item items[BATCH_FILES];
	size_t n;
	size_t bytes;
};

static void fail(struct item *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct item *it, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
	va_end(ap);
	it->rf.reason = it->reason;
	it->rf.result = RW_FAILED;
	it->write = false;
}

static void set_result(struct run *run, struct item *it)
{
	it->rf.reason = it->res.reason;
	switch (it->res.status) {
	case DOMXML_CHANGED:
		it->rf.result = RW_CHANGED;
		add_warnings(run, it->domain, &it->rf);
		if (run->o->dry_run)
			it->rf.diff = make_diff(it->rf.name, &it->f, &it->res);
		else
			it->write = true;
		break;
	case DOMXML_UNCHANGED:
		it->rf.result = RW_UNCHANGED;
		break;
	case DOMXML_SKIPPED:
		it->rf.result = RW_SKIPPED;
		break;
	default:
		fail(it, "%s, left unchanged", it->res.reason);
	}
}

/* Select, read and edit file @name into @it; nothing is written yet. */
static void prepare(struct run *run, const char *name, struct item *it)
{
	char buf[128];
	int r;

	*it = (struct item){.rf = {.name = name}, .f = {.fd = -1}};
	it->rf.domain = it->domain;
	confdir_domain_name(name, it->domain, sizeof(it->domain));
	if (!confdir_selected(it->domain, run->o->include, run->o->ninclude, run->o->exclude,
			      run->o->nexclude)) {
		it->rf.result = RW_SKIPPED;
		it->rf.reason = "not selected by --domain/--exclude";
		return;
	}
	r = confdir_read(run->dirfd, name, CONFDIR_MAX_FILE, &it->f);
	if (r < 0) {
		fail(it, "%s, left unchanged", confdir_strerror(r, &it->f, buf, sizeof(buf)));
		return;
	}
	r = domxml_apply(it->f.buf, it->f.len, &run->req, &it->res);
	if (r < 0)
		fail(it, "cannot edit: %s, left unchanged", strerror(-r));
	else
		set_result(run, it);
}

/* Link the backups of the batch's files to be written; returns how many it made. */
static size_t link_backups(struct run *run, struct batch *b)
{
	size_t made = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		int r;

		if (!it->write)
			continue;
		r = confdir_backup(run->dirfd, it->rf.name);
		if (r < 0) {
			fail(it, "cannot keep the original as %s%s: %s, left unchanged",
			     it->rf.name, CONFDIR_BACKUP_SUFFIX, strerror(-r));
		} else if (r > 0) {
			snprintf(it->backup, sizeof(it->backup), "%s%s", it->rf.name,
				 CONFDIR_BACKUP_SUFFIX);
			it->rf.backup = it->backup;
			made++;
		}
	}
	return made;
}

/* Write every new version of the batch first, then fsync and rename each: by the time a
 * file's fsync runs, the writeback of the batch is already under way. */
static void replace_all(struct run *run, struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		int r;

		if (!it->write)
			continue;
		r = confdir_stage(run->dirfd, it->rf.name, it->res.out, it->res.out_len, &it->f,
				  &it->tmp);
		if (r < 0)
			fail(it, "cannot write the new version: %s, left unchanged", strerror(-r));
	}
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		int r;

		if (!it->write)
			continue;
		r = confdir_commit(run->dirfd, it->rf.name, &it->tmp);
		if (r < 0)
			fail(it, "cannot write the new version: %s, left unchanged", strerror(-r));
		else
			it->renamed = true;
	}
}

/* The fsync of the directory failed: fail the items whose state it was to make durable, the
 * renamed ones (@renamed) or the ones with a backup new in this batch. */
static void fail_unsynced(struct batch *b, bool renamed, int err)
{
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];

		if (renamed && it->renamed)
			fail(it,
			     "new version written, but the directory could not be synced: %s "
			     "(a crash may bring back the original)",
			     strerror(-err));
		else if (!renamed && it->write && it->rf.backup)
			fail(it, "cannot make the backup %s durable: %s, left unchanged",
			     it->backup, strerror(-err));
	}
}

/* Write what the batch changed (backups first), report every file of it, free it. */
static void flush(struct run *run, struct batch *b)
{
	bool any = false;
	int r;

	if (!run->o->no_backup && link_backups(run, b) > 0) {
		r = confdir_sync(run->dirfd);
		if (r < 0)
			fail_unsynced(b, false, r);
	}
	replace_all(run, b);
	for (size_t i = 0; i < b->n; i++)
		any |= b->items[i].renamed;
	if (any) {
		r = confdir_sync(run->dirfd);
		if (r < 0)
			fail_unsynced(b, true, r);
	}
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];

		rwreport_file(&run->rep, &it->rf);
		free((char *)it->rf.diff);
		domxml_result_free(&it->res);
		confdir_file_close(&it->f);
	}
	b->n = 0;
	b->bytes = 0;
}

static int rewrite_files(struct run *run, char *const *names, size_t n)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (!b)
		return log_error_errno(ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct item *it = &b->items[b->n++];

		prepare(run, names[i], it);
		b->bytes += it->f.len + it->res.out_len;
		if (b->n == BATCH_FILES || b->bytes >= BATCH_BYTES)
			flush(run, b);
	}
	flush(run, b);
	free(b);
	return 0;
}

static int load_spec(const char *text, struct cpuspec **ret)
{
	char err[256];
	int r;

	r = cpuspec_parse(text, ret, err, sizeof(err));
	if (r < 0)
		return usage_error(rewrite_usage, "--cpu: %s", err);
	return 0;
}

/* libvirt's CPU map of the guests this edits (x86) below the root; NULL with a warning when
 * it is needed to check --cpu names and cannot be read. */
static struct cpumap *load_map(int rootfd, bool needed)
{
	struct cpumap *map = NULL;
	int r;

	r = cpumap_load_root(rootfd, GUEST_ARCH, &map);
	if (r < 0 && needed)
		log_warning("cannot read libvirt's CPU map (%s): --cpu names are not checked",
			    strerror(-r));
	return r < 0 ? NULL : map;
}

/* The work after the checks: list the dir, rewrite each domain file, report. */
static int rewrite_dir(struct run *run)
{
	const struct opts *o = run->o;
	struct confdir_list list;
	const char *kv[] = {"mode",
			    mode_name(run->req.mode),
			    "vendor_feature",
			    run->req.vendor_feature,
			    "cpu",
			    o->cpu,
			    NULL};
	int r, status;

	r = confdir_list(run->dirfd, &list);
	if (r < 0) {
		log_error("%s: cannot list: %s", run->dir, strerror(-r));
		return 2;
	}
	rwreport_begin(&run->rep, stdout, o->json, "rewrite", run->dir, o->dry_run, kv);
	if (!o->dry_run)
		remove_stale(run, &list);
	r = rewrite_files(run, list.names, list.n);
	confdir_list_free(&list);
	/* Even a run cut short by ENOMEM ends its report: --json readers get a whole document. */
	status = rwreport_end(&run->rep);
	return r < 0 ? 2 : status;
}

/* Nothing to do: the default config dir does not exist. */
static int report_empty(const struct opts *o, const char *command, const char *dir)
{
	struct rwreport rep;

	if (!o->json)
		printf("%s: does not exist: no libvirt domains to %s\n", dir, command);
	rwreport_begin(&rep, stdout, o->json, command, dir, o->dry_run, NULL);
	if (o->json)
		return rwreport_end(&rep);
	return 0;
}

static int prepare_request(const struct opts *o, int rootfd, struct run *run, struct cpuspec **spec,
			   struct cpumap **map)
{
	char why[256] = "";
	int r;

	if (o->vendor && strcmp(o->vendor, "intel") && strcmp(o->vendor, "amd"))
		return usage_error(rewrite_usage, "unknown --vendor '%s' (intel or amd)",
				   o->vendor);
	r = pick_mode(o, &run->req.mode);
	if (r < 0)
		return r;
	if (o->cpu) {
		r = load_spec(o->cpu, spec);
		if (r < 0)
			return r;
		run->req.spec = *spec;
	}
	run->req.override = o->override;
	run->req.vendor_feature = vendor_feature(o, rootfd, why, sizeof(why));
	if (!run->req.vendor_feature &&
	    (run->req.mode == DOMXML_MODE_FEATURE || run->req.mode == DOMXML_MODE_DISABLE))
		return log_error_errno(EINVAL, "%s: give --vendor intel or --vendor amd", why);
	*map = load_map(rootfd, o->cpu != NULL);
	run->req.map = *map;
	/* One clear error before any file is touched, not the same failure for every domain. */
	if (domxml_check_names(&run->req, why, sizeof(why)) < 0)
		return log_error_errno(EINVAL,
				       "--cpu: %s ('nestvirt cpu-models %s' lists the "
				       "models)",
				       why, GUEST_ARCH);
	return 0;
}

int rewrite_main(int argc, char **argv)
{
	struct run run = {.rootfd = -1, .dirfd = -1};
	struct cpuspec *spec = NULL;
	struct cpumap *map = NULL;
	int lockfd = -1, status = 2, r;
	struct opts o;

	r = parse_opts(argc, argv, rewrite_options, rewrite_usage, &o);
	if (r != 0) {
		status = r > 0 ? 0 : 2;
		goto out;
	}
	run.o = &o;
	if (open_root(o.root, &run.rootfd) < 0 ||
	    prepare_request(&o, run.rootfd, &run, &spec, &map) < 0)
		goto out;
	r = open_config_dir(&o, run.rootfd, run.dir, sizeof(run.dir), &run.dirfd);
	if (r < 0)
		goto out;
	if (r > 0) {
		status = report_empty(&o, "rewrite", run.dir);
		goto out;
	}
	status = check_daemon(&o, run.rootfd, "rewrite");
	if (status == 0 && !o.dry_run)
		status = take_lock(&o, run.rootfd, "rewrite", &lockfd);
	if (status == 0)
		status = rewrite_dir(&run);
out:
	if (lockfd >= 0)
		close(lockfd);
	if (run.dirfd >= 0)
		close(run.dirfd);
	if (run.rootfd >= 0)
		close(run.rootfd);
	cpumap_free(map);
	cpuspec_free(spec);
	free_opts(&o);
	return status;
}

/* rollback */

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
	if (r < 0) {
		log_error("%s: cannot list: %s", run->dir, strerror(-r));
		return 2;
	}
	rwreport_begin(&run->rep, stdout, run->o->json, "rollback", run->dir, false, NULL);
	remove_stale(run, &list);
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
	struct run run = {.rootfd = -1, .dirfd = -1};
	int lockfd = -1, status = 2, r;
	struct opts o;

	r = parse_opts(argc, argv, rollback_options, rollback_usage, &o);
	if (r != 0) {
		status = r > 0 ? 0 : 2;
		goto out;
	}
	run.o = &o;
	if (open_root(o.root, &run.rootfd) < 0)
		goto out;
	r = open_config_dir(&o, run.rootfd, run.dir, sizeof(run.dir), &run.dirfd);
	if (r < 0)
		goto out;
	if (r > 0) {
		status = report_empty(&o, "rollback", run.dir);
		goto out;
	}
	status = check_daemon(&o, run.rootfd, "rollback");
	if (status == 0)
		status = take_lock(&o, run.rootfd, "rollback", &lockfd);
	if (status == 0)
		status = rollback_dir(&run);
out:
	if (lockfd >= 0)
		close(lockfd);
	if (run.dirfd >= 0)
		close(run.dirfd);
	if (run.rootfd >= 0)
		close(run.rootfd);
	free_opts(&o);
	return status;
}

/* cpu-models */

static const char cpu_models_usage[] =
    "usage: nestvirt cpu-models [--root DIR] [ARCH]\n"
    "List the CPU models of libvirt's CPU map for ARCH (default: "
    "this host's), as 'virsh cpu-models ARCH' does.\n";

static const struct option cpu_models_options[] = {
    {"root", required_argument, NULL, OPT_ROOT},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

int cpu_models_main(int argc, char **argv)
{
	const char *root = "/", *arch;
	struct cpumap *map = NULL;
	struct utsname u;
	int c, rootfd, r, status;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", cpu_models_options, NULL)) != -1) {
		if (c == OPT_ROOT) {
			root = optarg;
		} else if (c == OPT_HELP) {
			fputs(cpu_models_usage, stdout);
			return 0;
		} else {
			usage_error(cpu_models_usage, "unknown or incomplete option '%s'",
				    argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind > 1) {
		usage_error(cpu_models_usage, "unexpected argument '%s'", argv[optind + 1]);
		return 2;
	}
	uname(&u);
	arch = optind < argc ? argv[optind] : u.machine;
	if (open_root(root, &rootfd) < 0)
		return 2;
	r = cpumap_load_root(rootfd, arch, &map);
	if (r == -EAFNOSUPPORT)
		log_error("libvirt's CPU map has no models for architecture '%s'", arch);
	else if (r < 0)
		log_error("%s: cannot read libvirt's CPU map: %s", root, strerror(-r));
	else
		for (size_t i = 0; i < cpumap_nmodels(map); i++)
			printf("%s\n", cpumap_model(map, i));
	status = r < 0 ? 1 : 0;
	cpumap_free(map);
	close(rootfd);
	return status;
}
