// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt rewrite: the offline edit of libvirt's stored domain files. This file wires the
 * modules together: the request, the order of the safety checks, one pass over the config dir
 * in batches. The edit itself is domxml.c, the file plumbing confdir.c, the crash-safe commit
 * commit.c, the report rwreport.c, the shared options rwcli.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "commit.h"
#include "confdir.h"
#include "cpumap.h"
#include "cpuspec.h"
#include "daemon.h"
#include "domxml.h"
#include "hostcpu.h"
#include "log.h"
#include "rwcli.h"
#include "rwrecord.h"
#include "rwreport.h"
#include "udiff.h"

#define CPUINFO_PATH "proc/cpuinfo"
/* The guests this edits: vmx and svm exist only for x86; the map's x86 section is shared. */
#define GUEST_ARCH "x86_64"

/* What one run works on, opened in main and passed down. */
struct run {
	const struct opts *o;
	int rootfd;
	int dirfd;
	struct rwcli_locks locks;
	char dir[PATH_MAX]; /* the config dir as humans see it */
	struct domxml_request req;
	struct rwreport rep;
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
    {"skip-foreign", no_argument, NULL, OPT_SKIP_FOREIGN},
    {"include-managed", no_argument, NULL, OPT_INCLUDE_MANAGED},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

static const char rewrite_usage[] =
    "usage: nestvirt rewrite [--root DIR] [--config-dir DIR]\n"
    "                        [--mode feature|host-passthrough|host-model|disable] [--cpu SPEC]\n"
    "                        [--vendor intel|amd] [--domain GLOB]... [--exclude GLOB]...\n"
    "                        [--dry-run] [--override] [--force] [--no-backup] [--json]\n"
    "                        [--skip-foreign] [--include-managed]\n"
    "Edit libvirt's stored domain files (default /etc/libvirt/qemu/*.xml) so that KVM guests\n"
    "see the host's virtualization extension (vmx/svm). libvirtd must be stopped. Domains\n"
    "that OpenStack nova, oVirt, KubeVirt or OpenNebula own are skipped (they regenerate the\n"
    "file): --include-managed edits them too.\n";

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
		return rwcli_usage_refuse(o, "rewrite", rewrite_usage, "%s",
					  "--mode and --cpu exclude each other");
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
	return rwcli_usage_refuse(
	    o, "rewrite", rewrite_usage,
	    "unknown --mode '%s' (feature, host-passthrough, host-model or disable)", o->mode);
}

static const char *mode_name(enum domxml_mode mode)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i].mode == mode)
			return modes[i].name;
	return "cpu";
}

/* The vendor feature: from --vendor, else from the host's cpuinfo. NULL if unknown. */
static const char *vendor_feature(const struct opts *o, int rootfd, char *why, size_t whylen)
{
	struct hostcpu cpu;
	int r;

	if (o->vendor && !strcmp(o->vendor, "intel"))
		return "vmx";
	if (o->vendor && !strcmp(o->vendor, "amd"))
		return "svm";
	r = hostcpu_read(rootfd, &cpu);
	if (r == -ENODATA) {
		snprintf(why, whylen, "%s has no vendor_id line", CPUINFO_PATH);
		return NULL;
	}
	if (r == -EINVAL) {
		snprintf(why, whylen, "%s is not a regular file", CPUINFO_PATH);
		return NULL;
	}
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

/* The diff label "a/NAME": a name with control characters, a backslash or a double quote is
 * C-quoted as git quotes it ("a/x\ny"), which GNU patch reads back. */
static void diff_label(char *buf, size_t size, char side, const char *name)
{
	char esc[4 * NAME_MAX + 1];

	if (rwreport_escape(name, true, esc, sizeof(esc)))
		snprintf(buf, size, "\"%c/%s\"", side, esc);
	else
		snprintf(buf, size, "%c/%s", side, name);
}

/* The diff of a dry run, as text. */
static char *make_diff(const char *name, const struct confdir_file *f,
		       const struct domxml_result *res)
{
	char alabel[4 * NAME_MAX + 8], blabel[4 * NAME_MAX + 8];
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	int r;

	m = open_memstream(&text, &len);
	if (!m)
		return NULL;
	diff_label(alabel, sizeof(alabel), 'a', name);
	diff_label(blabel, sizeof(blabel), 'b', name);
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

/* Files are edited in batches (see commit.h): reading and editing a batch in memory, then
 * committing it with two directory fsyncs instead of two per file. */
#define BATCH_FILES 64
#define BATCH_BYTES (4u << 20) /* keeps memory flat even for files near the size cap */

#define LOCK_LOST                                                                                  \
	"a libvirt daemon's pid file was replaced during the run (is a daemon starting?), "        \
	"left unchanged"

/* One file of a batch, with the storage its report points into. */
struct item {
	struct rwfile rf;
	char reason[512];
	char domain[NAME_MAX + 1];
	char leftover[NAME_MAX + 128];
	struct confdir_file f;
	struct domxml_result res;
	bool write; /* to be written: changed, no dry run, nothing failed so far */
};

struct batch {
	struct item items[BATCH_FILES];
	struct commit_file commit[BATCH_FILES];
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

/* The names a real run makes beside NAME.xml must fit the filesystem's NAME_MAX: the backup
 * NAME.xml.nestvirt-orig and the temporary .NAME.xml.XXXXXX. Checked when the edit is known,
 * so that a dry run says what the real run will. */
static bool names_too_long(struct run *run, struct item *it)
{
	long max = fpathconf(run->dirfd, _PC_NAME_MAX);
	size_t n = strlen(it->rf.name);

	if (max <= 0)
		max = NAME_MAX;
	if (!run->o->no_backup && n + strlen(CONFDIR_BACKUP_SUFFIX) > (size_t)max) {
		fail(it,
		     "the name is too long for its backup %s%s (over %ld bytes), left unchanged",
		     it->rf.name, CONFDIR_BACKUP_SUFFIX, max);
		return true;
	}
	if (n + 8 > (size_t)max) {
		fail(it,
		     "the name is too long for the temporary file of its replacement (over %ld "
		     "bytes), left unchanged",
		     max);
		return true;
	}
	return false;
}

static void set_result(struct run *run, struct item *it)
{
	it->rf.reason = it->res.reason;
	switch (it->res.status) {
	case DOMXML_CHANGED:
		if (names_too_long(run, it))
			break;
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

/* --skip-foreign: what is not a domain definition is skipped, with @why. */
static void skip_foreign(struct item *it, const char *why)
{
	snprintf(it->reason, sizeof(it->reason), "not a domain definition: %s", why);
	it->rf.result = RW_SKIPPED;
	it->rf.reason = it->reason;
}

/* A well-formed document whose root is not <domain> (a network definition …). A domain file
 * that does not parse is not foreign: it is a broken guest and stays a failure. */
static bool is_foreign(const struct item *it, char *why, size_t size)
{
	char root[64];

	if (rwrecord_root_element(it->f.buf, it->f.len, root, sizeof(root)) < 0 ||
	    !strcmp(root, "domain"))
		return false;
	snprintf(why, size, "the root element is <%s>", root);
	return true;
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
		const char *why = confdir_strerror(r, &it->f, buf, sizeof(buf));

		if (run->o->skip_foreign && (r == -ELOOP || r == -EISDIR || r == -ENODEV))
			skip_foreign(it, why);
		else
			fail(it, "%s, left unchanged", why);
		return;
	}
	r = domxml_apply(it->f.buf, it->f.len, &run->req, &it->res);
	if (r < 0)
		fail(it, "cannot edit: %s, left unchanged", strerror(-r));
	else if (it->res.status == DOMXML_INVALID && run->o->skip_foreign &&
		 is_foreign(it, buf, sizeof(buf)))
		skip_foreign(it, buf);
	else
		set_result(run, it);
}

/* The replaced version (the backup's bytes) could not be removed after the swap. */
static void leftover_warning(struct item *it, const struct commit_file *c)
{
	snprintf(it->leftover, sizeof(it->leftover),
		 "the replaced version is left as %s (the next run removes it)", c->tmp.name);
	it->rf.warnings[it->rf.nwarnings++] = it->leftover;
}

/* Commit what the batch changed, report every file of it, free it. */
static void flush(struct run *run, struct batch *b)
{
	bool held = rwcli_locks_valid(&run->locks);
	size_t n = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];

		if (it->write && !held)
			fail(it, "%s", LOCK_LOST);
		if (it->write)
			b->commit[n++] = (struct commit_file){.name = it->rf.name,
							      .f = &it->f,
							      .data = it->res.out,
							      .len = it->res.out_len};
	}
	if (n > 0)
		commit_batch(run->dirfd, b->commit, n, !run->o->no_backup);
	for (size_t i = 0, k = 0; i < b->n; i++) {
		struct item *it = &b->items[i];

		if (it->write) {
			struct commit_file *c = &b->commit[k++];

			if (c->backup[0])
				it->rf.backup = c->backup;
			if (c->failed)
				fail(it, "%s", c->reason);
			else if (c->leftover)
				leftover_warning(it, c);
		}
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
		return log_error_errno(ENOMEM, "%m");
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

static int load_spec(const struct opts *o, const char *text, struct cpuspec **ret)
{
	char err[256];
	int r;

	r = cpuspec_parse(text, ret, err, sizeof(err));
	if (r < 0)
		return rwcli_usage_refuse(o, "rewrite", rewrite_usage, "--cpu: %s", err);
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
		log_warning_errno(
		    r, "cannot read libvirt's CPU map (%m): --cpu names are not checked");
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
	if (r < 0)
		return rwcli_refuse_errno(o, "rewrite", r, "%s: cannot list: %m", run->dir);
	rwreport_begin(&run->rep, stdout, o->json, "rewrite", run->dir, o->dry_run, kv);
	if (!o->dry_run)
		rwcli_remove_stale(run->dirfd, run->dir, &list, &run->rep);
	r = rewrite_files(run, list.names, list.n);
	confdir_list_free(&list);
	/* Even a run cut short by ENOMEM ends its report: --json readers get a whole document. */
	status = rwreport_end(&run->rep);
	return r < 0 ? 2 : status;
}

static int prepare_request(const struct opts *o, int rootfd, struct run *run, struct cpuspec **spec,
			   struct cpumap **map)
{
	char why[256] = "";
	int r;

	if (o->vendor && strcmp(o->vendor, "intel") && strcmp(o->vendor, "amd"))
		return rwcli_usage_refuse(o, "rewrite", rewrite_usage,
					  "unknown --vendor '%s' (intel or amd)", o->vendor);
	r = pick_mode(o, &run->req.mode);
	if (r < 0)
		return r;
	if (o->cpu) {
		r = load_spec(o, o->cpu, spec);
		if (r < 0)
			return r;
		run->req.spec = *spec;
	}
	run->req.override = o->override;
	run->req.skip_managed = !o->include_managed;
	run->req.vendor_feature = vendor_feature(o, rootfd, why, sizeof(why));
	if (!run->req.vendor_feature &&
	    (run->req.mode == DOMXML_MODE_FEATURE || run->req.mode == DOMXML_MODE_DISABLE)) {
		rwcli_refuse(o, "rewrite", "%s: give --vendor intel or --vendor amd", why);
		return -EINVAL;
	}
	*map = load_map(rootfd, o->cpu != NULL);
	run->req.map = *map;
	/* One clear error before any file is touched, not the same failure for every domain. */
	if (domxml_check_names(&run->req, why, sizeof(why)) < 0) {
		rwcli_refuse(o, "rewrite", "--cpu: %s ('nestvirt cpu-models %s' lists the models)",
			     why, GUEST_ARCH);
		return -EINVAL;
	}
	return 0;
}

int rewrite_main(int argc, char **argv)
{
	struct run run = {.rootfd = -1, .dirfd = -1, .locks = RWCLI_LOCKS_INIT};
	struct cpuspec *spec = NULL;
	struct cpumap *map = NULL;
	int status = 2, r;
	struct opts o;

	r = rwcli_parse(argc, argv, rewrite_options, rewrite_usage, "rewrite", &o);
	if (r != 0) {
		status = r > 0 ? 0 : 2;
		goto out;
	}
	run.o = &o;
	status = rwcli_open_root(&o, "rewrite", &run.rootfd);
	if (status != 0)
		goto out;
	if (prepare_request(&o, run.rootfd, &run, &spec, &map) < 0) {
		status = 2;
		goto out;
	}
	r = rwcli_open_config_dir(&o, "rewrite", run.rootfd, run.dir, sizeof(run.dir), &run.dirfd);
	if (r == 1)
		status = rwcli_report_empty(&o, "rewrite", run.dir);
	else
		status = r;
	if (r != 0)
		goto out;
	status = rwcli_lock(&o, "rewrite", run.rootfd, run.dirfd, &run.locks);
	if (status == 0)
		status = rewrite_dir(&run);
out:
	rwcli_unlock(&run.locks);
	if (run.dirfd >= 0)
		close(run.dirfd);
	if (run.rootfd >= 0)
		close(run.rootfd);
	cpumap_free(map);
	cpuspec_free(spec);
	rwcli_free(&o);
	return status;
}
