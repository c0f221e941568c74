// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt firstboot: what nestvirt-firstboot.service runs before libvirt starts. It reads the
 * boot helper's decision (/run/nestvirt/state; the command line is never parsed here), the
 * configuration (/etc/nestvirt/nestvirt.conf) and the one-boot overrides the helper recorded,
 * runs the rewriter (rewrite_main) on /etc/libvirt/qemu, and writes the stamp
 * /var/lib/nestvirt/firstboot.done only after every selected domain is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "cpuspec.h"
#include "fileio.h"
#include "log.h"
#include "nvconf.h"
#include "state.h"

#define STAMP_DIR   "var/lib/nestvirt"
#define STAMP_NAME  "firstboot.done"
#define LIBVIRT_DIR "etc/libvirt/qemu"
#define STATE_MAX   (16 * 1024)

static const char usage[] =
    "usage: nestvirt firstboot [--root DIR]\n"
    "Run by nestvirt-firstboot.service before libvirt starts: when the boot helper recorded\n"
    "nestvirt=1 (kernel command line or 'nestvirt enable --persistent'), rewrite the stored\n"
    "domains of /etc/libvirt/qemu as /etc/nestvirt/nestvirt.conf says, then write the stamp\n"
    "/var/lib/nestvirt/" STAMP_NAME ". With the stamp present it does nothing.\n";

/* What this first boot does, settled before any file is touched. */
struct plan {
	const char *root;
	struct nv_state st;
	struct nvconf conf;
	char conf_from[PATH_MAX + 32]; /* "PATH" or "defaults (PATH absent)" */
	char cpu_from[PATH_MAX + 64];  /* where cpu/mode/policy came from, for messages */
	bool state_cpu, state_domains, state_exclude;
	char force_spec[32]; /* policy = force: "force=svm" */
};

static int parse_args(int argc, char **argv, const char **root)
{
	static const struct option longopts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	*root = "/";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			*root = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			fprintf(stderr, "nestvirt: unknown or incomplete option '%s'\n%s",
				argv[optind - 1], usage);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nestvirt: unexpected argument '%s'\n%s", argv[optind], usage);
		return -EINVAL;
	}
	return 0;
}

static bool has_key(const char *buf, size_t len, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = buf; p < buf + len;) {
		const char *nl = memchr(p, '\n', buf + len - p);

		if ((size_t)(buf + len - p) > klen && !memcmp(p, key, klen) && p[klen] == '=')
			return true;
		p = nl ? nl + 1 : buf + len;
	}
	return false;
}

/* The state file is the helper's own: anything else in it means it is not what we think. */
static int check_state_text(const char *buf, size_t len, const char *path)
{
	static const char *const needed[] = {"request", "source", "firstboot"};

	if (len == 0 || memchr(buf, '\0', len))
		return log_error_errno(EBADMSG,
				       "%s: empty or binary, not a state the boot helper "
				       "wrote: nothing changed (the next boot tries again)",
				       path);
	for (const char *p = buf; p < buf + len;) {
		const char *nl = memchr(p, '\n', buf + len - p);
		size_t llen = (nl ? nl : buf + len) - p;
		size_t klen = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");

		if (llen > 0 && (klen == 0 || klen >= llen || p[klen] != '='))
			return log_error_errno(EBADMSG,
					       "%s: '%.*s' is not a key=value line: not a "
					       "state the boot helper wrote, nothing changed",
					       path, (int)(llen > 60 ? 60 : llen), p);
		p += llen + 1;
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (!has_key(buf, len, needed[i]))
			return log_error_errno(ESTALE,
					       "%s: no '%s=': written by an older "
					       "nestvirt-early that does not record the first "
					       "boot's settings (an initramfs not rebuilt since "
					       "nestvirt was upgraded?): nothing changed",
					       path, needed[i]);
	return 0;
}

/* Returns 1 when the helper recorded a request, 0 when there is none, <0 on error. */
static int load_state(int rootfd, struct plan *p)
{
	char path[PATH_MAX];
	size_t len;
	char *buf;
	int r;

	fileio_join_path(path, sizeof(path), p->root, STATE_DIR "/" STATE_NAME);
	r = fileio_read(rootfd, STATE_DIR "/" STATE_NAME, STATE_MAX, false, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "%s: cannot read: %m", path);
	r = check_state_text(buf, len, path);
	if (r == 0)
		state_parse(buf, len, &p->st);
	free(buf);
	if (r < 0)
		return r;
	/* -1 is the helper's "no valid nestvirt=" (state.h). */
	if (p->st.request < -1 || p->st.request > 1)
		return log_error_errno(EBADMSG, "%s: request=%d is not 1, 0 or -1: nothing changed",
				       path, p->st.request);
	if (p->st.firstboot != 0 && p->st.firstboot != 1)
		return log_error_errno(EBADMSG,
				       "%s: firstboot=%d is neither 0 nor 1: nothing "
				       "changed",
				       path, p->st.firstboot);
	return p->st.request >= 0;
}

static int load_conf(int rootfd, struct plan *p)
{
	struct nvconf_error err;
	char path[PATH_MAX];
	size_t len;
	char *buf;
	int r;

	fileio_join_path(path, sizeof(path), p->root, NVCONF_PATH);
	r = fileio_read(rootfd, NVCONF_PATH, NVCONF_MAX_SIZE, true, &buf, &len);
	if (r == -ENOENT) {
		nvconf_init(&p->conf);
		snprintf(p->conf_from, sizeof(p->conf_from), "defaults (%s absent)", path);
		return 0;
	}
	if (r < 0)
		return log_error_errno(r, "%s: cannot read: %m; nothing changed", path);
	r = nvconf_parse(buf, len, &p->conf, &err);
	free(buf);
	if (r < 0) {
		if (err.line)
			return log_error_errno(r, "%s:%u: %s; nothing changed", path, err.line,
					       err.msg);
		return log_error_errno(r, "%s: %s; nothing changed", path, err.msg);
	}
	snprintf(p->conf_from, sizeof(p->conf_from), "%s", path);
	if (p->conf.cpu_line)
		snprintf(p->cpu_from, sizeof(p->cpu_from), "%s:%u", path, p->conf.cpu_line);
	return 0;
}

/* nestvirt.cpu=, nestvirt.domains=, nestvirt.exclude= of this boot replace the file's values. */
static int apply_overrides(struct plan *p)
{
	struct cpuspec *spec = NULL;
	char why[256];

	if (p->st.cpu[0]) {
		if (cpuspec_parse(p->st.cpu, &spec, why, sizeof(why)) < 0)
			return log_error_errno(EINVAL,
					       "nestvirt.cpu=%s on the kernel command line: "
					       "%s; nothing changed",
					       p->st.cpu, why);
		cpuspec_free(spec);
		snprintf(p->conf.cpu, sizeof(p->conf.cpu), "%s", p->st.cpu);
		snprintf(p->cpu_from, sizeof(p->cpu_from), "nestvirt.cpu=%s", p->st.cpu);
		p->state_cpu = true;
	}
	if (p->st.domains[0]) {
		if (nvconf_globs_parse(p->st.domains, &p->conf.domains, why, sizeof(why)) < 0)
			return log_error_errno(EINVAL,
					       "nestvirt.domains=%s on the kernel command "
					       "line: %s; nothing changed",
					       p->st.domains, why);
		p->state_domains = true;
	}
	if (p->st.exclude[0]) {
		if (nvconf_globs_parse(p->st.exclude, &p->conf.exclude, why, sizeof(why)) < 0)
			return log_error_errno(EINVAL,
					       "nestvirt.exclude=%s on the kernel command "
					       "line: %s; nothing changed",
					       p->st.exclude, why);
		p->state_exclude = true;
	}
	return 0;
}

static const char *vendor_of(const struct nv_state *st)
{
	if (!strcmp(st->module, "kvm_intel"))
		return "intel";
	if (!strcmp(st->module, "kvm_amd"))
		return "amd";
	return NULL;
}

/* policy = force is the SPEC "force=vmx|svm": the feature name needs the vendor. */
static int resolve_policy(struct plan *p)
{
	const char *vendor = vendor_of(&p->st);

	if (p->state_cpu || p->conf.cpu[0] || strcmp(p->conf.mode, "feature") ||
	    strcmp(p->conf.policy, "force"))
		return 0;
	if (!vendor)
		return log_error_errno(EINVAL,
				       "policy = force (%s) needs the host's KVM module, and "
				       "the boot helper recorded module=%s: nothing changed",
				       p->cpu_from, p->st.module);
	snprintf(p->force_spec, sizeof(p->force_spec), "force=%s",
		 !strcmp(vendor, "intel") ? "vmx" : "svm");
	return 0;
}

/* A read-only /etc or /var fails here, before any domain file is touched. */
static int check_writable(int rootfd, const struct plan *p, int *ret_stampfd)
{
	char path[PATH_MAX];
	int r;

	fileio_join_path(path, sizeof(path), p->root, LIBVIRT_DIR);
	if (faccessat(rootfd, LIBVIRT_DIR, W_OK, AT_EACCESS) < 0 && errno != ENOENT)
		return log_error_errno(errno, "%s: not writable: %m; nothing changed", path);
	fileio_join_path(path, sizeof(path), p->root, STAMP_DIR);
	r = fileio_open_dir(rootfd, STAMP_DIR, true, ret_stampfd);
	if (r < 0)
		return log_error_errno(r, "%s: cannot create or open: %m; nothing changed", path);
	if (faccessat(*ret_stampfd, ".", W_OK, AT_EACCESS) < 0)
		return log_error_errno(errno, "%s: not writable: %m; nothing changed", path);
	return 0;
}

/* The rewrite command line; @argv has room for 16 + both glob lists. */
static int build_argv(const struct plan *p, char **argv)
{
	const char *vendor = vendor_of(&p->st);
	int n = 0;

	argv[n++] = "rewrite";
	argv[n++] = "--root";
	argv[n++] = (char *)p->root;
	if (vendor) {
		argv[n++] = "--vendor";
		argv[n++] = (char *)vendor;
	}
	if (p->conf.cpu[0]) {
		argv[n++] = "--cpu";
		argv[n++] = (char *)p->conf.cpu;
	} else if (p->force_spec[0]) {
		argv[n++] = "--cpu";
		argv[n++] = (char *)p->force_spec;
	} else {
		argv[n++] = "--mode";
		argv[n++] = (char *)p->conf.mode;
	}
	for (size_t i = 0; i < p->conf.domains.n; i++) {
		argv[n++] = "--domain";
		argv[n++] = (char *)p->conf.domains.v[i];
	}
	for (size_t i = 0; i < p->conf.exclude.n; i++) {
		argv[n++] = "--exclude";
		argv[n++] = (char *)p->conf.exclude.v[i];
	}
	if (!p->conf.backup)
		argv[n++] = "--no-backup";
	if (p->conf.override)
		argv[n++] = "--override";
	if (p->conf.include_managed)
		argv[n++] = "--include-managed";
	/* A symlink, FIFO or non-domain file in the dir is reported, not a reason to fail every
	 * boot; a domain that fails to parse still fails the run. */
	argv[n++] = "--skip-foreign";
	argv[n] = NULL;
	return n;
}

static void join_globs(char *buf, size_t size, const struct nvconf_globs *g)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < g->n && off < size; i++)
		off += snprintf(buf + off, size - off, "%s%s", i ? "," : "", g->v[i]);
}

/* The stamp says what was done, when and with what: `nestvirt status` and people read it. */
static int write_stamp(int stampfd, const struct plan *p, char *const *argv, int argc)
{
	char when[32], dom[NVCONF_MAX_GLOBS * NVCONF_GLOB_MAX], exc[sizeof(dom)];
	char text[8192], cmd[2048];
	size_t off = 0;
	struct tm tm;
	time_t now = time(NULL);
	int n;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	join_globs(dom, sizeof(dom), &p->conf.domains);
	join_globs(exc, sizeof(exc), &p->conf.exclude);
	for (int i = 0; i < argc && off < sizeof(cmd); i++)
		off += snprintf(cmd + off, sizeof(cmd) - off, "%s%s", i ? " " : "", argv[i]);
	n = snprintf(text, sizeof(text),
		     "# nestvirt first boot: every selected domain of /etc/libvirt/qemu is done.\n"
		     "# nestvirt-firstboot.service does not run while this file exists; remove it\n"
		     "# to run the first boot again at the next boot with nestvirt=1.\n"
		     "done=%s\nsource=%s\nconfig=%s\nmode=%s\ncpu=%s\npolicy=%s\n"
		     "domains=%s\nexclude=%s\nbackup=%s\noverride=%s\noverrides=%s%s%s\n"
		     "rewrite=nestvirt %s\nresult=0\n",
		     when, p->st.source[0] ? p->st.source : "unknown", p->conf_from,
		     p->conf.cpu[0] ? "cpu" : p->conf.mode, p->conf.cpu,
		     p->conf.cpu[0] ? "" : p->conf.policy, dom, exc, p->conf.backup ? "yes" : "no",
		     p->conf.override ? "yes" : "no", p->state_cpu ? "cpu " : "",
		     p->state_domains ? "domains " : "", p->state_exclude ? "exclude" : "", cmd);
	if (n < 0 || (size_t)n >= sizeof(text))
		return log_error_errno(ENOSPC, "%s/%s: stamp text too long", STAMP_DIR, STAMP_NAME);
	return fileio_replace(stampfd, STAMP_NAME, text, n, 0644);
}

static int run_rewrite(int rootfd, struct plan *p)
{
	char *argv[24 + 2 * NVCONF_MAX_GLOBS];
	char path[PATH_MAX];
	int stampfd = -1, argc, status, r;

	r = check_writable(rootfd, p, &stampfd);
	if (r < 0)
		goto out;
	argc = build_argv(p, argv);
	log_info("first boot (nestvirt=1%s%s): rewriting the stored domains with %s",
		 p->st.source[0] ? " from " : "", p->st.source, p->conf_from);
	status = rewrite_main(argc, argv);
	fflush(stdout);
	if (status != 0) {
		if (status == 2 && p->cpu_from[0])
			log_error("the rewrite refused to run (the CPU request came from %s)",
				  p->cpu_from);
		log_error("first boot not done: the rewrite exited %d; no stamp written, the next "
			  "boot tries again",
			  status);
		r = -EAGAIN;
		goto out;
	}
	fileio_join_path(path, sizeof(path), p->root, STAMP_DIR "/" STAMP_NAME);
	r = write_stamp(stampfd, p, argv, argc);
	if (r < 0)
		log_error_errno(r,
				"%s: cannot write the stamp: %m (the domains are done; the next "
				"boot runs again and finds them done)",
				path);
	else
		log_info("first boot done: %s written", path);
out:
	if (stampfd >= 0)
		close(stampfd);
	return r;
}

static int firstboot(int rootfd, struct plan *p)
{
	char path[PATH_MAX];
	int r;

	fileio_join_path(path, sizeof(path), p->root, STAMP_DIR "/" STAMP_NAME);
	/* Followed like systemd's ConditionPathExists= does. */
	if (faccessat(rootfd, STAMP_DIR "/" STAMP_NAME, F_OK, 0) == 0) {
		log_info("first boot already done (%s exists): nothing to do", path);
		return 0;
	}
	state_init(&p->st);
	r = load_state(rootfd, p);
	if (r <= 0) {
		if (r == 0)
			log_info(
			    "nothing requested: no nestvirt= on the kernel command line and no "
			    "persistent setting (no /%s/%s)",
			    STATE_DIR, STATE_NAME);
		return r;
	}
	if (p->st.request == 0) {
		log_info("nestvirt=0 (%s): the module option only, no domain file is changed",
			 p->st.source);
		return 0;
	}
	if (p->st.firstboot == 0) {
		log_info("nestvirt.firstboot=0: the module option only this boot, no domain file "
			 "is changed and the first boot stays pending");
		return 0;
	}
	r = load_conf(rootfd, p);
	if (r == 0)
		r = apply_overrides(p);
	if (r == 0)
		r = resolve_policy(p);
	if (r == 0)
		r = run_rewrite(rootfd, p);
	return r;
}

int firstboot_main(int argc, char **argv)
{
	struct plan p = {0};
	int rootfd, r;

	r = parse_args(argc, argv, &p.root);
	if (r != 0)
		return r > 0 ? 0 : 2;
	rootfd = open(p.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		log_error_errno(errno, "%s: cannot open the root directory: %m", p.root);
		return 2;
	}
	r = firstboot(rootfd, &p);
	close(rootfd);
	return r < 0 ? 1 : 0;
}
