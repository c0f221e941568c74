// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestvirt status: is nesting requested, configured, live — and if not, why not. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmdline.h"
#include "commands.h"
#include "fileio.h"
#include "guests.h"
#include "hostcpu.h"
#include "json.h"
#include "kvmmod.h"
#include "modconf.h"
#include "modresolve.h"
#include "state.h"

struct status {
	struct nv_state boot; /* what the boot helper recorded, or what we found ourselves */
	bool have_state;      /* /run/nestvirt/state exists */
	bool snippet;	      /* /run/modprobe.d/zz-nestvirt.conf exists */
	char options[512];    /* what libkmod passes the module at load */
	int config_nested;    /* last nested= in those options: 1, 0, -1 none, < -1 rejected */
	struct kvmmod_state live;
	int admin_value; /* the kernel's reading of admin_nested: 1, 0, -1 none, <-1 invalid */
	bool ok;
	char verdict[512];
	struct guests_report *guests;
};

static void read_boot_state(int rootfd, struct status *s)
{
	struct cmdline_opts opts;
	struct hostcpu cpu;
	size_t len;
	char *buf;

	if (fileio_read(rootfd, STATE_DIR "/" STATE_NAME, 64 * 1024, false, &buf, &len) == 0) {
		state_parse(buf, len, &s->boot);
		s->have_state = true;
		free(buf);
		return;
	}
	/* No state: the helper did not run. Look ourselves, to say why. */
	state_init(&s->boot);
	cmdline_parse("", 0, &opts, NULL, NULL);
	if (fileio_read(rootfd, "proc/cmdline", 1024 * 1024, true, &buf, &len) == 0) {
		cmdline_parse(buf, len, &opts, NULL, NULL);
		s->boot.request = opts.request;
		snprintf(s->boot.source, sizeof(s->boot.source), "cmdline");
		free(buf);
	}
	if (s->boot.request < 0 &&
	    fileio_read(rootfd, "etc/nestvirt/persistent", 64 * 1024, true, &buf, &len) == 0) {
		s->boot.request = cmdline_parse_persistent(buf, len, NULL, NULL);
		snprintf(s->boot.source, sizeof(s->boot.source), "persistent");
		free(buf);
	}
	if (hostcpu_read(rootfd, &cpu) == 0) {
		snprintf(s->boot.vendor, sizeof(s->boot.vendor), "%s", cpu.vendor);
		snprintf(s->boot.module, sizeof(s->boot.module), "%s", kvm_module_name(cpu.module));
		s->boot.virt_flag = cpu.virt_flag;
		s->boot.hypervisor = cpu.hypervisor;
		if (cpu.module != KVM_MODULE_NONE)
			snprintf(s->boot.admin_nested, sizeof(s->boot.admin_nested), "%s",
				 opts.admin_nested[cpu.module]);
	}
}

static void read_live(int rootfd, const char *root, struct status *s)
{
	struct utsname uts;

	s->snippet =
	    faccessat(rootfd, MODCONF_DIR "/" MODCONF_NAME, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	s->config_nested = -1;
	memset(&s->live, 0, sizeof(s->live));
	s->live.nested = -1;
	s->live.refcnt = -1;
	s->admin_value = -1;
	if (!strcmp(s->boot.module, "none"))
		return;
	if (s->boot.admin_nested[0])
		s->admin_value = kvmmod_parse_nested(s->boot.module, s->boot.admin_nested);
	if (modresolve_options(root, s->boot.module, s->options, sizeof(s->options)) == 0)
		s->config_nested = modresolve_last_nested(s->boot.module, s->options);
	kvmmod_read_state(rootfd, uname(&uts) == 0 ? uts.release : NULL, s->boot.module, &s->live);
}

static bool is_loaded(const struct status *s)
{
	return s->live.init == KVMMOD_INIT_LIVE || s->live.init == KVMMOD_INIT_BUILTIN;
}

static void judge(struct status *s)
{
	const struct nv_state *b = &s->boot;
	int want = b->request;
	int effective = is_loaded(s) ? s->live.nested : s->config_nested;

#define VERDICT(okay, ...)                                                                         \
	do {                                                                                       \
		s->ok = (okay);                                                                    \
		snprintf(s->verdict, sizeof(s->verdict), __VA_ARGS__);                             \
		return;                                                                            \
	} while (0)
	if (want < 0)
		VERDICT(true, "nothing requested: no nestvirt= on the kernel command line and no "
			      "/etc/nestvirt/persistent");
	if (!strcmp(b->module, "none"))
		VERDICT(false, "cannot tell the KVM module from /proc/cpuinfo (vendor '%s')",
			b->vendor);
	if (!s->have_state)
		VERDICT(false,
			"nestvirt=%d is %s but the boot helper did not run (no /%s/%s): is "
			"nestvirt-early.service enabled, or the nestvirt dracut module in the "
			"initramfs?",
			want,
			strcmp(b->source, "persistent") ? "on the command line"
							: "set in /etc/nestvirt/persistent",
			STATE_DIR, STATE_NAME);
	if (s->admin_value < -1)
		VERDICT(false,
			"%s.nested=%s on the kernel command line is not a valid %s: the kernel "
			"rejects it and %s fails to load; fix or remove it",
			b->module, b->admin_nested, kvmmod_nested_type(b->module), b->module);
	if (!strcmp(b->action, "admin-override"))
		VERDICT(false, "%s", b->message);
	if (s->live.init == KVMMOD_INIT_UNKNOWN) {
		errno = -s->live.err;
		VERDICT(false, "cannot tell whether %s is loaded: /sys/module/%s%s: %m", b->module,
			b->module, s->live.err_file);
	}
	if (!strcmp(b->action, "error") || !strcmp(b->action, "reload-failed") ||
	    !strcmp(b->action, "unknown"))
		VERDICT(false, "boot helper failed: %s", b->message);
	if (want == 1 && b->virt_flag == 0)
		VERDICT(false,
			"the CPU has no %s flag: enable virtualization in the firmware (or in "
			"the hypervisor, when this host is a VM)",
			!strcmp(b->module, "kvm_amd") ? "svm" : "vmx");
	if (!is_loaded(s) && s->config_nested < -1)
		VERDICT(
		    false,
		    "a nested= in %s's modprobe.d options is not a valid %s: the kernel rejects "
		    "it and %s fails to load; fix the modprobe.d file",
		    b->module, kvmmod_nested_type(b->module), b->module);
	if (effective == want)
		VERDICT(true, "%s %s nested=%d", b->module, is_loaded(s) ? "has" : "will load with",
			want);
	if (!strcmp(b->action, "reload-refused"))
		VERDICT(false, "%s", b->message);
	if (s->live.init == KVMMOD_INIT_LIVE && s->live.refcnt > 0)
		VERDICT(false,
			"%s has nested=%d and is in use (refcnt %d): reboot, or stop every VM "
			"and run the boot helper again",
			b->module, s->live.nested, s->live.refcnt);
	VERDICT(false, "%s resolves to nested=%d, not %d: check modprobe.d and the command line",
		b->module, effective, want);
#undef VERDICT
}

static const char *tristate(int v, const char *yes, const char *no)
{
	return v < 0 ? "unknown" : v ? yes : no;
}

static void print_live(const struct status *s)
{
	const char *m = s->boot.module;

	switch (s->live.init) {
	case KVMMOD_INIT_BUILTIN:
		printf("live:        %s built in, nested=%d\n", m, s->live.nested);
		break;
	case KVMMOD_INIT_LIVE:
		printf("live:        %s loaded, nested=%d, refcnt %d\n", m, s->live.nested,
		       s->live.refcnt);
		break;
	case KVMMOD_INIT_COMING:
		printf("live:        %s being loaded\n", m);
		break;
	case KVMMOD_INIT_GOING:
		printf("live:        %s being unloaded\n", m);
		break;
	case KVMMOD_INIT_UNKNOWN:
		errno = -s->live.err;
		printf("live:        %s unknown: /sys/module/%s%s: %m\n", m, m, s->live.err_file);
		break;
	case KVMMOD_INIT_ABSENT:
		printf("live:        %s not loaded\n", m);
		break;
	}
}

static void print_human(const struct status *s)
{
	const struct nv_state *b = &s->boot;

	if (b->request < 0)
		printf("request:     none (no nestvirt= on the kernel command line)\n");
	else if (!strcmp(b->source, "persistent"))
		printf("request:     nestvirt=%d from /etc/nestvirt/persistent\n", b->request);
	else
		printf("request:     nestvirt=%d\n", b->request);
	printf("cpu:         %s, module %s, %s flag %s, %s\n", b->vendor[0] ? b->vendor : "unknown",
	       b->module, !strcmp(b->module, "kvm_amd") ? "svm" : "vmx",
	       tristate(b->virt_flag, "present", "absent"),
	       tristate(b->hypervisor, "inside a VM", "bare metal"));
	if (b->admin_nested[0] && s->admin_value < -1)
		printf("admin:       %s.nested=%s on the kernel command line: not a valid %s, the "
		       "module fails to load\n",
		       b->module, b->admin_nested, kvmmod_nested_type(b->module));
	else if (b->admin_nested[0])
		printf(
		    "admin:       %s.nested=%s on the kernel command line (the kernel reads %d)\n",
		    b->module, b->admin_nested, s->admin_value);
	if (b->cpu[0] || b->domains[0] || b->exclude[0] || b->firstboot == 0)
		printf("first boot:  cpu '%s', domains '%s', exclude '%s', %s\n", b->cpu,
		       b->domains, b->exclude,
		       b->firstboot ? "rewrite" : "no XML change (nestvirt.firstboot=0)");
	if (s->have_state)
		printf("boot helper: %s: %s\n", b->action, b->message);
	else
		printf("boot helper: did not run (no /%s/%s)\n", STATE_DIR, STATE_NAME);
	printf("snippet:     /%s/%s %s\n", MODCONF_DIR, MODCONF_NAME,
	       s->snippet ? "present" : "absent");
	printf("modprobe.d:  options '%s' -> nested=%s\n", s->options,
	       s->config_nested < -1  ? "rejected by the kernel"
	       : s->config_nested < 0 ? "default"
	       : s->config_nested     ? "1"
				      : "0");
	print_live(s);
	printf("verdict:     %s: %s\n", s->ok ? "ok" : "NOT OK", s->verdict);
	guests_write_text(s->guests, stdout);
}

static void json_str(const char *key, const char *v, bool last)
{
	printf("  \"%s\": ", key);
	json_write_string(stdout, v);
	printf("%s\n", last ? "" : ",");
}

static void json_int(const char *key, int v)
{
	if (v < 0)
		printf("  \"%s\": null,\n", key);
	else
		printf("  \"%s\": %d,\n", key, v);
}

static void print_json(const struct status *s)
{
	const struct nv_state *b = &s->boot;

	printf("{\n");
	json_int("request", b->request);
	json_str("vendor", b->vendor, false);
	json_str("module", b->module, false);
	printf("  \"virt_flag\": %s,\n", b->virt_flag < 0 ? "null"
					 : b->virt_flag	  ? "true"
							  : "false");
	printf("  \"hypervisor\": %s,\n", b->hypervisor < 0 ? "null"
					  : b->hypervisor   ? "true"
							    : "false");
	json_str("admin_nested", b->admin_nested, false);
	printf("  \"admin_nested_valid\": %s,\n", s->admin_value == -1	? "null"
						  : s->admin_value < -1 ? "false"
									: "true");
	json_str("source", b->source, false);
	printf("  \"boot_helper_ran\": %s,\n", s->have_state ? "true" : "false");
	json_str("action", b->action, false);
	json_str("message", b->message, false);
	printf("  \"snippet\": %s,\n", s->snippet ? "true" : "false");
	json_str("modprobe_options", s->options, false);
	json_int("config_nested", s->config_nested);
	printf("  \"loaded\": %s,\n", s->live.init == KVMMOD_INIT_LIVE ? "true" : "false");
	printf("  \"builtin\": %s,\n", s->live.init == KVMMOD_INIT_BUILTIN ? "true" : "false");
	json_int("live_nested", is_loaded(s) ? s->live.nested : -1);
	json_int("refcnt", s->live.init == KVMMOD_INIT_LIVE ? s->live.refcnt : -1);
	printf("  \"ok\": %s,\n", s->ok ? "true" : "false");
	json_str("verdict", s->verdict, false);
	printf("  \"guests\": ");
	guests_write_json(s->guests, stdout);
	printf("\n}\n");
}

/* The stored domains, with what the host gives them at their next start. */
static void scan_guests(int rootfd, struct status *s)
{
	struct guests_host host = {
	    .module = !strcmp(s->boot.module, "kvm_intel") ? KVM_MODULE_INTEL
		      : !strcmp(s->boot.module, "kvm_amd") ? KVM_MODULE_AMD
							   : KVM_MODULE_NONE,
	    .nested = is_loaded(s)	     ? s->live.nested
		      : s->config_nested < 0 ? -1
					     : s->config_nested,
	    .virt_flag = s->boot.virt_flag,
	};

	if (guests_scan(rootfd, "etc/libvirt/qemu", &host, &s->guests) < 0)
		fprintf(stderr, "nestvirt: out of memory reading the stored domains\n");
}

int status_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *root = "/";
	struct status s = {0};
	bool json = false;
	int c, rootfd;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: nestvirt status [--root DIR] [--json]\n"
			       "Exit status: 0 nesting is as requested (or nothing is requested), "
			       "1 it is not, 2 usage error.\n");
			return 0;
		default:
			return 2;
		}
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		fprintf(stderr, "nestvirt: %s: %m\n", root);
		return 2;
	}
	read_boot_state(rootfd, &s);
	read_live(rootfd, root, &s);
	judge(&s);
	scan_guests(rootfd, &s);
	close(rootfd);
	if (json)
		print_json(&s);
	else
		print_human(&s);
	guests_report_free(s.guests);
	return s.ok ? 0 : 1;
}
