// SPDX-License-Identifier: LGPL-2.1-or-later
#include "early.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "fileio.h"
#include "hostcpu.h"
#include "log.h"
#include "modconf.h"
#include "state.h"

/* A command line longer than this is not a kernel command line. */
#define CMDLINE_MAX (1024 * 1024)
/* The first processor block is all we read; big hosts print megabytes after it. */
#define CPUINFO_HEAD (64 * 1024)

/* A reload that failed is not tried again on the same boot: udev would call us in a loop. */
#define RELOAD_MAX_ATTEMPTS 2

static void warn_token(const char *token, void *userdata)
{
	(void)userdata;
	log_warning("ignoring '%s' on the kernel command line: expected nestvirt, nestvirt=1|yes|on|true "
		    "or nestvirt=0|no|off|false",
		    token);
}

static int read_cmdline(int rootfd, struct cmdline_opts *opts)
{
	size_t len;
	char *buf;
	int r;

	r = fileio_read(rootfd, "proc/cmdline", CMDLINE_MAX, true, &buf, &len);
	if (r < 0)
		return log_error_errno(r, "Failed to read /proc/cmdline: %s", strerror(-r));
	cmdline_parse(buf, len, opts, warn_token, NULL);
	free(buf);
	return 0;
}

static int read_head(int rootfd, const char *path, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;
	int fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			close(fd);
			return r;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	*ret_len = len;
	return 0;
}

static int read_cpu(int rootfd, struct hostcpu *cpu)
{
	static char buf[CPUINFO_HEAD];
	size_t len = 0;
	int r;

	r = read_head(rootfd, "proc/cpuinfo", buf, sizeof(buf), &len);
	if (r < 0)
		return log_error_errno(r, "Failed to read /proc/cpuinfo: %s", strerror(-r));
	r = hostcpu_parse(buf, len, cpu);
	if (r < 0)
		return log_error_errno(r, "/proc/cpuinfo: no vendor_id line, cannot tell kvm_intel "
					  "from kvm_amd; nothing changed");
	if (cpu->module == KVM_MODULE_NONE)
		return log_error_errno(ENODEV, "/proc/cpuinfo: CPU vendor '%s' has no KVM module; "
					       "nothing changed", cpu->vendor);
	return 0;
}

static int parse_bool(const char *v)
{
	if (!strcmp(v, "1") || !strcmp(v, "Y") || !strcmp(v, "y") || !strcmp(v, "on"))
		return 1;
	if (!strcmp(v, "0") || !strcmp(v, "N") || !strcmp(v, "n") || !strcmp(v, "off"))
		return 0;
	return -1;
}

static int write_snippet(int rootfd, const char *module, int want)
{
	char text[256];
	int dfd, r;

	r = fileio_open_dir(rootfd, MODCONF_DIR, true, &dfd);
	if (r < 0)
		return log_error_errno(r, "/%s: %s; not writing %s", MODCONF_DIR,
				       r == -ENOTDIR ? "is a symlink or a file, not a directory"
						     : strerror(-r),
				       MODCONF_NAME);
	fileio_clean_stale(dfd, MODCONF_NAME);
	r = modconf_format(text, sizeof(text), module, want);
	if (r >= 0)
		r = fileio_replace(dfd, MODCONF_NAME, text, r, 0644);
	close(dfd);
	if (r < 0)
		return log_error_errno(r, "Failed to write /%s/%s: %s", MODCONF_DIR, MODCONF_NAME,
				       strerror(-r));
	return 0;
}

static void read_previous_state(int rootfd, struct nv_state *prev)
{
	size_t len;
	char *buf;

	state_init(prev);
	if (fileio_read(rootfd, STATE_DIR "/" STATE_NAME, 64 * 1024, false, &buf, &len) < 0)
		return;
	state_parse(buf, len, prev);
	free(buf);
}

static int write_state(int rootfd, const struct nv_state *st)
{
	char text[1024];
	int dfd, r;

	r = fileio_open_dir(rootfd, STATE_DIR, true, &dfd);
	if (r < 0)
		return log_error_errno(r, "/%s: %s; state not recorded", STATE_DIR,
				       r == -ENOTDIR ? "is a symlink or a file, not a directory"
						     : strerror(-r));
	fileio_clean_stale(dfd, STATE_NAME);
	r = state_format(st, text, sizeof(text));
	if (r >= 0)
		r = fileio_replace(dfd, STATE_NAME, text, r, 0644);
	close(dfd);
	if (r < 0)
		return log_error_errno(r, "Failed to write /%s/%s: %s", STATE_DIR, STATE_NAME,
				       strerror(-r));
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

static int reload(const struct early_config *cfg, int sysfd, struct nv_state *st, int want)
{
	struct kvmmod_state ks;
	struct nv_state prev;
	int r;

	if (!cfg->ops) {
		set_outcome(st, "reload-skipped", "%s would be reloaded with nested=%d (not under --root)",
			    st->module, want);
		return 0;
	}
	/* Only a reload needs the earlier runs of this boot: how many reloads they tried. */
	read_previous_state(cfg->rootfd, &prev);
	st->reload_attempts = prev.reload_attempts;
	if (!strcmp(prev.action, "reload-failed") || st->reload_attempts >= RELOAD_MAX_ATTEMPTS) {
		set_outcome(st, "reload-failed", "%s: reload already failed on this boot, not retrying",
			    st->module);
		return log_error_errno(EAGAIN, "%s", st->message);
	}
	st->reload_attempts++;
	log_info("%s is loaded with nested=%d and unused: reloading it with nested=%d", st->module,
		 st->nested_before, want);
	r = kvmmod_reload(cfg->ops, st->module, want, st->nested_before);
	if (kvmmod_read_state(sysfd, st->module, &ks) == 0)
		st->nested_after = ks.nested;
	if (r < 0) {
		set_outcome(st, "reload-failed", "%s: reload with nested=%d failed: %s", st->module,
			    want, strerror(-r));
		return r;
	}
	set_outcome(st, "reloaded", "%s reloaded with nested=%d", st->module, want);
	return 0;
}

static int apply_to_module(const struct early_config *cfg, struct nv_state *st, int want)
{
	struct kvmmod_state ks;
	int sysfd, r;

	r = fileio_open_dir(cfg->rootfd, "sys/module", false, &sysfd);
	if (r < 0)
		return log_error_errno(r, "Failed to open /sys/module: %s", strerror(-r));
	r = kvmmod_read_state(sysfd, st->module, &ks);
	if (r < 0) {
		log_error_errno(r, "Failed to read /sys/module/%s: %s", st->module, strerror(-r));
		goto out;
	}
	st->nested_before = st->nested_after = ks.nested;
	switch (kvmmod_decide(&ks, want)) {
	case KVMMOD_NOT_LOADED:
		set_outcome(st, "snippet", "%s will load with nested=%d", st->module, want);
		break;
	case KVMMOD_ALREADY:
		set_outcome(st, "already", "%s is loaded with nested=%d", st->module, want);
		break;
	case KVMMOD_BUILTIN:
		set_outcome(st, "builtin", "%s is built into the kernel: only %s.nested=%d on the "
			    "kernel command line can change it", st->module, st->module, want);
		log_warning("%s", st->message);
		break;
	case KVMMOD_BUSY:
		set_outcome(st, "pending-reboot", "%s is in use (refcnt %d): nested stays %d until "
			    "the next boot", st->module, ks.refcnt, ks.nested);
		log_warning("%s", st->message);
		break;
	case KVMMOD_RELOAD:
		r = reload(cfg, sysfd, st, want);
		break;
	}
out:
	close(sysfd);
	return r;
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

int early_run(const struct early_config *cfg)
{
	struct cmdline_opts opts;
	struct nv_state st;
	struct hostcpu cpu;
	const char *admin;
	int r, want;

	memset(&cpu, 0, sizeof(cpu));
	r = read_cmdline(cfg->rootfd, &opts);
	if (r < 0)
		return r;
	if (opts.request == NV_REQUEST_ABSENT)
		return 0;
	want = nv_request_value(opts.request);

	state_init(&st);
	st.request = opts.request;
	r = read_cpu(cfg->rootfd, &cpu);
	if (r < 0) {
		snprintf(st.vendor, sizeof(st.vendor), "%s", cpu.vendor);
		set_outcome(&st, "error", "cannot tell the KVM module from /proc/cpuinfo");
		write_state(cfg->rootfd, &st);
		return r;
	}
	describe_cpu(&st, &cpu);

	admin = opts.admin_nested[cpu.module];
	snprintf(st.admin_nested, sizeof(st.admin_nested), "%s", admin);
	if (admin[0] && parse_bool(admin) != want) {
		set_outcome(&st, "admin-override", "%s.nested=%s on the kernel command line wins over "
			    "nestvirt=%d; leaving it", st.module, admin, want);
		log_warning("%s", st.message);
		return write_state(cfg->rootfd, &st);
	}

	r = write_snippet(cfg->rootfd, st.module, want);
	if (r < 0) {
		set_outcome(&st, "error", "could not write /%s/%s", MODCONF_DIR, MODCONF_NAME);
		write_state(cfg->rootfd, &st);
		return r;
	}
	r = apply_to_module(cfg, &st, want);
	if (!st.action[0])
		set_outcome(&st, "error", "could not read the state of %s", st.module);
	log_info("nestvirt=%d: %s", want, st.message);
	if (write_state(cfg->rootfd, &st) < 0 && r == 0)
		r = -EIO;
	return r;
}
