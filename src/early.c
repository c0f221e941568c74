// SPDX-License-Identifier: LGPL-2.1-or-later
#include "early.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "fileio.h"
#include "hostcpu.h"
#include "log.h"
#include "modconf.h"
#include "state.h"

/* A command line longer than this is not a kernel command line. */
#define CMDLINE_MAX	(1024 * 1024)
#define PERSISTENT_PATH "etc/nestvirt/persistent"
#define PERSISTENT_MAX	(64 * 1024)
#define STATE_MAX	(16 * 1024)

/* A reload that failed is not tried again on the same boot: udev would call us in a loop. */
#define RELOAD_MAX_ATTEMPTS 2

/* One run: what it read, what it decided, and the locked state directory. */
struct run {
	const struct early_config *cfg;
	struct cmdline_opts opts;
	struct nv_state st;
	struct nv_state prev; /* an earlier run of this boot, or all unknown */
	char *prev_text;      /* its bytes, NULL when there was none */
	size_t prev_len;
	int statefd; /* run/nestvirt, holding the lock below */
	int lockfd;
	int want;
};

static void warn_token(const char *token, const char *reason, void *userdata)
{
	(void)userdata;
	log_warning("ignoring '%s' on the kernel command line: %s", token, reason);
}

static void warn_persistent_line(unsigned line, const char *text, void *userdata)
{
	(void)userdata;
	log_warning("/%s:%u: '%s' is not 'nestvirt=1' or 'nestvirt=0'; ignoring the file",
		    PERSISTENT_PATH, line, text);
}

static int read_cmdline(int rootfd, struct cmdline_opts *opts)
{
	size_t len;
	char *buf;
	int r;

	r = fileio_read(rootfd, "proc/cmdline", CMDLINE_MAX, true, &buf, &len);
	if (r < 0)
		return log_error_errno(r, "Failed to read /proc/cmdline: %m");
	cmdline_parse(buf, len, opts, warn_token, NULL);
	free(buf);
	return 0;
}

/* The persistent setting of `nestvirt enable|disable --persistent`; absent when unreadable. */
static enum nv_request read_persistent(int rootfd)
{
	enum nv_request r;
	size_t len;
	char *buf;
	int e;

	e = fileio_read(rootfd, PERSISTENT_PATH, PERSISTENT_MAX, true, &buf, &len);
	if (e < 0) {
		if (e != -ENOENT)
			log_warning_errno(e, "Failed to read /%s, ignoring it: %m",
					  PERSISTENT_PATH);
		return NV_REQUEST_ABSENT;
	}
	r = cmdline_parse_persistent(buf, len, warn_persistent_line, NULL);
	free(buf);
	return r;
}

static int read_cpu(int rootfd, struct hostcpu *cpu)
{
	int r = hostcpu_read(rootfd, cpu);

	if (r == -ENODATA)
		return log_error_errno(ENOENT, "/proc/cpuinfo: no vendor_id line, cannot tell "
					       "kvm_intel from kvm_amd; nothing changed");
	if (r == -EINVAL)
		return log_error_errno(r, "/proc/cpuinfo: not a regular file; nothing changed");
	if (r < 0)
		return log_error_errno(r, "Failed to read /proc/cpuinfo: %m");
	if (cpu->module == KVM_MODULE_NONE)
		return log_error_errno(ENODEV,
				       "/proc/cpuinfo: CPU vendor '%s' has no KVM module; "
				       "nothing changed",
				       cpu->vendor);
	return 0;
}

/* A directory we write into as root must be ours alone: another owner, or write access for
 * group or others, would let someone else plant the files we trust or read back. */
static int open_own_dir(int rootfd, const char *path, int *ret)
{
	struct stat st;
	int dfd, r;

	r = fileio_open_dir(rootfd, path, true, &dfd);
	if (r == -ENOTDIR)
		return log_error_errno(r, "/%s: is a symlink or a file, not a directory", path);
	if (r < 0)
		return log_error_errno(r, "/%s: %m", path);
	if (fstat(dfd, &st) < 0)
		r = log_error_errno(errno, "Failed to stat /%s: %m", path);
	else if (st.st_uid != geteuid())
		r = log_error_errno(EPERM,
				    "/%s is owned by uid %u, not by uid %u: refusing to use it",
				    path, (unsigned)st.st_uid, (unsigned)geteuid());
	else if (st.st_mode & 022)
		r = log_error_errno(EPERM,
				    "/%s is writable by group or others (mode %04o): refusing "
				    "to use it",
				    path, (unsigned)(st.st_mode & 07777));
	if (r < 0) {
		close(dfd);
		return r;
	}
	*ret = dfd;
	return 0;
}

/* Is @n ".NAME.XXXXXX" with six lowercase hex digits, the temp names of fileio_replace? */
static bool is_our_temp(const char *n, const char *name)
{
	size_t len = strlen(name);

	if (n[0] != '.' || strncmp(n + 1, name, len) != 0 || n[len + 1] != '.')
		return false;
	n += len + 2;
	for (int i = 0; i < 6; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	return n[6] == '\0';
}

/* Remove leftovers of an interrupted replace of @name, and nothing else. */
static void clean_stale(int dfd, const char *name)
{
	struct dirent *de;
	DIR *d;

	if (fileio_dir_stream(dfd, &d) < 0)
		return;
	while ((de = readdir(d)))
		if (is_our_temp(de->d_name, name) && unlinkat(dfd, de->d_name, 0) < 0)
			log_warning_errno(errno, "Failed to remove stale %s: %m", de->d_name);
	closedir(d);
}

/* Replace @name in @dfd with @text unless it holds exactly that already. */
static int replace_if_changed(int dfd, const char *name, const char *text, size_t len)
{
	size_t old_len;
	char *old;
	bool same;

	clean_stale(dfd, name);
	if (fileio_read(dfd, name, len + 1, false, &old, &old_len) == 0) {
		same = old_len == len && !memcmp(old, text, len);
		free(old);
		if (same)
			return 0;
	}
	return fileio_replace(dfd, name, text, len, 0644);
}

static int write_snippet(int rootfd, const char *module, int want)
{
	char text[256];
	int dfd, r;

	r = open_own_dir(rootfd, MODCONF_DIR, &dfd);
	if (r < 0)
		return r;
	r = modconf_format(text, sizeof(text), module, want);
	if (r >= 0)
		r = replace_if_changed(dfd, MODCONF_NAME, text, r);
	close(dfd);
	if (r < 0)
		return log_error_errno(r, "Failed to write /%s/%s: %m", MODCONF_DIR, MODCONF_NAME);
	return 0;
}

/* Open run/nestvirt, take its lock, and read what an earlier run of this boot recorded. */
static int lock_state(struct run *run)
{
	int r;

	r = open_own_dir(run->cfg->rootfd, STATE_DIR, &run->statefd);
	if (r < 0)
		return r;
	run->lockfd = openat(run->statefd, STATE_LOCK,
			     O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (run->lockfd < 0)
		return log_error_errno(errno, "Failed to open /%s/%s: %m", STATE_DIR, STATE_LOCK);
	while (flock(run->lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return log_error_errno(errno, "Failed to lock /%s/%s: %m", STATE_DIR,
					       STATE_LOCK);
	state_init(&run->prev);
	if (fileio_read(run->statefd, STATE_NAME, STATE_MAX, false, &run->prev_text,
			&run->prev_len) == 0)
		state_parse(run->prev_text, run->prev_len, &run->prev);
	return 0;
}

static void unlock_state(struct run *run)
{
	if (run->lockfd >= 0)
		close(run->lockfd);
	if (run->statefd >= 0)
		close(run->statefd);
	free(run->prev_text);
}

/* Warnings and errors were logged where they arose; the good outcomes are said once, here. */
static bool logged_already(const char *action)
{
	static const char *const quiet[] = {"snippet", "already", "loading", "reloaded",
					    "reload-skipped"};

	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		if (!strcmp(action, quiet[i]))
			return false;
	return true;
}

static int write_state(struct run *run)
{
	char text[STATE_MAX];
	int r;

	r = state_format(&run->st, text, sizeof(text));
	if (r < 0)
		return log_error_errno(r, "Failed to format /%s/%s: %m", STATE_DIR, STATE_NAME);
	if (run->prev_text && run->prev_len == (size_t)r && !memcmp(run->prev_text, text, r)) {
		log_debug("nothing new since the earlier run of this boot");
		return 0;
	}
	if (!logged_already(run->st.action))
		log_info("nestvirt=%d%s: %s", run->st.request,
			 strcmp(run->st.source, "persistent") ? "" : " (from /" PERSISTENT_PATH ")",
			 run->st.message);
	r = replace_if_changed(run->statefd, STATE_NAME, text, r);
	if (r < 0)
		return log_error_errno(r, "Failed to write /%s/%s: %m", STATE_DIR, STATE_NAME);
	return 0;
}

static void set_outcome(struct nv_state *st, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_outcome(struct nv_state *st, const char *action, const char *fmt, ...)
{
	va_list ap;

	snprintf(st->action, sizeof(st->action), "%s", action);
	va_start(ap, fmt);
	vsnprintf(st->message, sizeof(st->message), fmt, ap);
	va_end(ap);
}

/* An "install" or "remove" command in modprobe.d is the admin's own way to load the module:
 * a reload by us would bypass it, and libkmod running it instead would not load the module. */
static bool reload_refused(struct run *run)
{
	const struct kvmmod_ops *ops = run->cfg->ops;
	struct nv_state *st = &run->st;
	char cmd[128];
	int r;

	if (!ops->commands)
		return false;
	r = ops->commands(ops->userdata, st->module, cmd, sizeof(cmd));
	if (r == 0)
		return false;
	if (r < 0)
		set_outcome(st, "reload-refused",
			    "%s: cannot read its modprobe.d configuration: not "
			    "reloading it; nested stays %d until the next boot",
			    st->module, st->nested_before);
	else
		set_outcome(st, "reload-refused",
			    "%s: modprobe.d has '%s': not reloading it; "
			    "nested stays %d until the next boot",
			    st->module, cmd, st->nested_before);
	log_warning("%s", st->message);
	return true;
}

static int reload(struct run *run)
{
	struct nv_state *st = &run->st;
	struct kvmmod_state ks;
	int r;

	if (!run->cfg->ops) {
		set_outcome(st, "reload-skipped",
			    "%s would be reloaded with nested=%d (not under "
			    "--root)",
			    st->module, run->want);
		return 0;
	}
	if (!strcmp(run->prev.action, "reload-failed") ||
	    st->reload_attempts >= RELOAD_MAX_ATTEMPTS) {
		set_outcome(st, "reload-failed",
			    "%s: reload already failed on this boot, not "
			    "retrying",
			    st->module);
		return log_error_errno(EAGAIN, "%s", st->message);
	}
	if (reload_refused(run))
		return 0;
	st->reload_attempts++;
	log_info("%s is loaded with nested=%d and unused: reloading it with nested=%d", st->module,
		 st->nested_before, run->want);
	r = kvmmod_reload(run->cfg->ops, st->module, run->want, st->nested_before);
	kvmmod_read_state(run->cfg->rootfd, run->cfg->release, st->module, &ks);
	st->nested_after = ks.nested;
	if (r < 0) {
		errno = -r;
		set_outcome(st, "reload-failed", "%s: reload with nested=%d failed: %m", st->module,
			    run->want);
		return r;
	}
	set_outcome(st, "reloaded", "%s reloaded with nested=%d", st->module, run->want);
	return 0;
}

/* A module reloaded by an earlier run of this boot is "already" right now: keep the record of
 * the reload, which is what this boot did. */
static bool keep_earlier_reload(struct run *run)
{
	struct nv_state *st = &run->st;

	if (strcmp(run->prev.action, "reloaded") || strcmp(run->prev.module, st->module) ||
	    run->prev.request != st->request)
		return false;
	snprintf(st->action, sizeof(st->action), "%s", run->prev.action);
	snprintf(st->message, sizeof(st->message), "%s", run->prev.message);
	st->nested_before = run->prev.nested_before;
	return true;
}

static int apply_to_module(struct run *run)
{
	struct nv_state *st = &run->st;
	struct kvmmod_state ks;
	int want = run->want;

	kvmmod_read_state(run->cfg->rootfd, run->cfg->release, st->module, &ks);
	st->nested_before = st->nested_after = ks.nested;
	switch (kvmmod_decide(&ks, want)) {
	case KVMMOD_NOT_LOADED:
		set_outcome(st, "snippet", "%s will load with nested=%d", st->module, want);
		break;
	case KVMMOD_ALREADY:
		if (!keep_earlier_reload(run))
			set_outcome(st, "already", "%s is loaded with nested=%d", st->module, want);
		break;
	case KVMMOD_LOADING:
		set_outcome(st, "loading",
			    "%s is being loaded right now: its options are already "
			    "read; its add event runs the helper again",
			    st->module);
		break;
	case KVMMOD_UNKNOWN:
		errno = -ks.err;
		set_outcome(st, "unknown", "cannot tell whether %s is loaded: /sys/module/%s%s: %m",
			    st->module, st->module, ks.err_file);
		return log_error_errno(ks.err, "%s", st->message);
	case KVMMOD_BUILTIN:
		set_outcome(st, "builtin",
			    "%s is built into the kernel: only %s.nested=%d on the "
			    "kernel command line can change it",
			    st->module, st->module, want);
		log_warning("%s", st->message);
		break;
	case KVMMOD_BUSY:
		if (ks.refcnt < 0)
			set_outcome(st, "pending-reboot",
				    "%s has nested=%d and its refcnt cannot be "
				    "read: not reloading it; nested stays %d until the next boot",
				    st->module, ks.nested, ks.nested);
		else
			set_outcome(st, "pending-reboot",
				    "%s is in use (refcnt %d): nested stays %d "
				    "until the next boot",
				    st->module, ks.refcnt, ks.nested);
		log_warning("%s", st->message);
		break;
	case KVMMOD_RELOAD:
		return reload(run);
	}
	return 0;
}

static void describe_cpu(struct nv_state *st, const struct hostcpu *cpu)
{
	snprintf(st->vendor, sizeof(st->vendor), "%s", cpu->vendor);
	snprintf(st->module, sizeof(st->module), "%s", kvm_module_name(cpu->module));
	st->virt_flag = cpu->virt_flag;
	st->hypervisor = cpu->hypervisor;
	if (!cpu->virt_flag)
		log_warning("/proc/cpuinfo has no '%s' flag (off in the firmware, or a VM without "
			    "nested virtualization): %s cannot load",
			    kvm_module_flag(cpu->module), st->module);
}

/* MODULE.nested= on the command line is the admin's word, judged by the parameter's type.
 * Returns 1 when it settles the run (conflict or invalid), 0 when we go on. */
static int judge_admin(struct run *run, int *ret)
{
	struct nv_state *st = &run->st;
	int v;

	if (!st->admin_nested[0])
		return 0;
	v = kvmmod_parse_nested(st->module, st->admin_nested);
	if (v == run->want)
		return 0;
	if (v < 0) {
		set_outcome(st, "admin-invalid",
			    "%s.nested=%s on the kernel command line is not a "
			    "valid %s: the kernel rejects it and %s fails to load; leaving it",
			    st->module, st->admin_nested, kvmmod_nested_type(st->module),
			    st->module);
		*ret = log_error_errno(EINVAL, "%s", st->message);
	} else {
		set_outcome(st, "admin-override",
			    "%s.nested=%s on the kernel command line wins over "
			    "nestvirt=%d; leaving it",
			    st->module, st->admin_nested, run->want);
		log_warning("%s", st->message);
		*ret = 0;
	}
	return 1;
}

/* The request and where it came from; false when there is none. */
static bool find_request(struct run *run)
{
	enum nv_request r = run->opts.request;
	const char *source = "cmdline";

	if (r == NV_REQUEST_ABSENT) {
		r = read_persistent(run->cfg->rootfd);
		source = "persistent";
	}
	if (r == NV_REQUEST_ABSENT)
		return false;
	state_init(&run->st);
	run->st.request = r;
	run->want = nv_request_value(r);
	snprintf(run->st.source, sizeof(run->st.source), "%s", source);
	snprintf(run->st.cpu, sizeof(run->st.cpu), "%s", run->opts.cpu);
	snprintf(run->st.domains, sizeof(run->st.domains), "%s", run->opts.domains);
	snprintf(run->st.exclude, sizeof(run->st.exclude), "%s", run->opts.exclude);
	run->st.firstboot = run->opts.firstboot != 0;
	return true;
}

static int decide_and_act(struct run *run)
{
	struct nv_state *st = &run->st;
	struct hostcpu cpu;
	int r;

	st->reload_attempts = run->prev.reload_attempts;
	r = read_cpu(run->cfg->rootfd, &cpu);
	if (r < 0) {
		snprintf(st->vendor, sizeof(st->vendor), "%s", cpu.vendor);
		set_outcome(st, "error", "cannot tell the KVM module from /proc/cpuinfo");
		return r;
	}
	describe_cpu(st, &cpu);
	snprintf(st->admin_nested, sizeof(st->admin_nested), "%s",
		 run->opts.admin_nested[cpu.module]);
	if (judge_admin(run, &r))
		return r;
	r = write_snippet(run->cfg->rootfd, st->module, run->want);
	if (r < 0) {
		set_outcome(st, "error", "could not write /%s/%s", MODCONF_DIR, MODCONF_NAME);
		return r;
	}
	return apply_to_module(run);
}

int early_run(const struct early_config *cfg)
{
	struct run run = {.cfg = cfg, .statefd = -1, .lockfd = -1};
	int r, w;

	r = read_cmdline(cfg->rootfd, &run.opts);
	if (r < 0)
		return r;
	if (!find_request(&run))
		return 0;
	r = lock_state(&run);
	if (r == 0) {
		r = decide_and_act(&run);
		w = write_state(&run);
		if (r == 0 && w < 0)
			r = -EIO;
	}
	unlock_state(&run);
	return r;
}
