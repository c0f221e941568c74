// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt enable|disable [--root DIR] --persistent [--now]: for hosts whose kernel command
 * line cannot be changed (a signed unified kernel image ignores the boot loader's arguments).
 * --persistent records nestvirt=1/0 in /etc/nestvirt/persistent, which the boot helper reads
 * at every boot when the command line has no nestvirt=; --now also runs the boot helper, which
 * writes the module option and reloads the module when nothing holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdline.h"
#include "commands.h"
#include "fileio.h"
#include "log.h"
#include "persistent.h"
#include "state.h"

#define CMDLINE_MAX 4096
#define STATE_MAX   (16 * 1024)
/* What an initramfs listing shows when the module's option is decided inside the image. */
static const char *const initrd_markers[] = {
    "/kvm_amd.ko",
    "/kvm_intel.ko",
    "etc/modprobe.d/",
    "etc/nestvirt/persistent",
};

struct opts {
	const char *root;
	bool persistent, now;
};

static void print_usage(FILE *f, const char *cmd)
{
	fprintf(
	    f,
	    "usage: nestvirt %s [--root DIR] --persistent [--now]\n"
	    "Turn nested virtualization %s at every boot without the kernel command line:\n"
	    "  --persistent  record nestvirt=%d in /etc/nestvirt/persistent; the next boots\n"
	    "                behave as if it were on the command line (a nestvirt= there wins)\n"
	    "  --now         also apply it now: run the boot helper, which reloads the KVM\n"
	    "                module when nothing holds it (otherwise a reboot is pending)\n"
	    "  --root DIR    work on the host tree below DIR (no module is touched then)\n",
	    cmd, !strcmp(cmd, "enable") ? "on" : "off", !strcmp(cmd, "enable"));
}

static int usage_error(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "nestvirt: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
	print_usage(stderr, cmd);
	return -EINVAL;
}

/* Returns 1 after --help, 0 to go on, -EINVAL on a usage error (reported). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"persistent", no_argument, NULL, 'p'},
	    {"now", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	*o = (struct opts){.root = "/"};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->root = optarg;
			break;
		case 'p':
			o->persistent = true;
			break;
		case 'n':
			o->now = true;
			break;
		case 'h':
			print_usage(stdout, argv[0]);
			return 1;
		default:
			return usage_error(argv[0], "unknown or incomplete option",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(argv[0], "unexpected argument", argv[optind]);
	/* The boot helper takes its request from the command line or the persistent file
	 * only: without the file, --now would be undone by the helper's next run (udev). */
	if (!o->persistent)
		return usage_error(argv[0],
				   o->now ? "--now needs --persistent (the boot helper reads the "
					    "request from /etc/nestvirt/persistent)"
					  : "say --persistent (and --now to apply it at once)",
				   NULL);
	return 0;
}

static int write_persistent(int rootfd, const struct opts *o, int value)
{
	char path[PATH_MAX], by[64];
	int r;

	snprintf(by, sizeof(by), "nestvirt %s --persistent", value ? "enable" : "disable");
	r = persistent_write(rootfd, o->root, value, by);
	if (r < 0)
		return r;
	fileio_join_path(path, sizeof(path), o->root, PERSISTENT_PATH);
	printf("%s: nestvirt=%d at every boot from now on\n", path, value);
	return 0;
}

/* A nestvirt= on this boot's command line wins over the file at every boot: say so. */
static void check_cmdline(int rootfd, int value)
{
	struct cmdline_opts opts;
	size_t len;
	char *buf;

	if (fileio_read(rootfd, "proc/cmdline", CMDLINE_MAX, true, &buf, &len) < 0)
		return;
	cmdline_parse(buf, len, &opts, NULL, NULL);
	free(buf);
	if (opts.request != NV_REQUEST_ABSENT && nv_request_value(opts.request) != value)
		log_warning("the kernel command line has nestvirt=%d, which wins over the "
			    "persistent setting at every boot it is given: remove it from the boot "
			    "loader's configuration for nestvirt=%d to apply",
			    nv_request_value(opts.request), value);
}

static const char *helper_path(void)
{
	const char *env = getenv("NESTVIRT_EARLY"); /* tests run the build tree's helper */

	return env && *env ? env : LIBEXECDIR "/nestvirt-early";
}

static int run_helper(const struct opts *o)
{
	const char *helper = helper_path();
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return log_error_errno(errno, "cannot start %s: %m", helper);
	if (pid == 0) {
		execl(helper, helper, "--root", o->root, (char *)NULL);
		log_error_errno(errno, "%s: cannot run: %m", helper);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_error_errno(errno, "%s: wait: %m", helper);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return log_error_errno(EIO,
				       "%s exited with status %d: the module option may not "
				       "be applied yet (see its messages above)",
				       helper, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

/* What the helper did, from the state it wrote. */
static int report_now(int rootfd, int value)
{
	struct nv_state st;
	size_t len;
	char *buf;
	int r;

	r = fileio_read(rootfd, STATE_DIR "/" STATE_NAME, STATE_MAX, false, &buf, &len);
	if (r < 0)
		return log_error_errno(r, "/%s/%s: the boot helper left no state: %m", STATE_DIR,
				       STATE_NAME);
	state_parse(buf, len, &st);
	free(buf);
	printf("now: %s%s%s\n", st.action, st.message[0] ? ": " : "", st.message);
	if (!strcmp(st.action, "pending-reboot"))
		printf("now: %s is in use, so it was not reloaded: nestvirt=%d applies at the next "
		       "boot (or once every VM using /dev/kvm is stopped: 'nestvirt %s "
		       "--persistent --now' again)\n",
		       st.module, value, value ? "enable" : "disable");
	if (value && st.request == 1 &&
	    faccessat(rootfd, "var/lib/nestvirt/firstboot.done", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		printf("now: the first boot was done before (/var/lib/nestvirt/firstboot.done): "
		       "domains defined since are not touched; 'nestvirt rewrite' (libvirtd "
		       "stopped) gives them vmx/svm\n");
	else if (value && st.request == 1)
		printf(
		    "now: the stored domains get vmx/svm from nestvirt-firstboot.service at the "
		    "next boot, before libvirt starts (or now: stop libvirtd, then run 'nestvirt "
		    "firstboot')\n");
	return 0;
}

/* The kernel release whose initramfs counts: the root's own when it says, else this one. */
static void kernel_release(int rootfd, char *buf, size_t size)
{
	struct utsname u;
	size_t len;
	char *text;

	if (fileio_read(rootfd, "proc/sys/kernel/osrelease", 256, true, &text, &len) == 0) {
		snprintf(buf, size, "%.*s", (int)strcspn(text, "\n"), text);
		free(text);
		return;
	}
	uname(&u);
	snprintf(buf, size, "%s", u.release);
}

/* Run @tool on @image; the first marker its listing holds goes to @found. Returns 1 when
 * found, 0 when not, <0 when the tool could not list the image. */
static int list_initrd(const char *tool, const char *image, char *found, size_t size, bool *dracut)
{
	char line[PATH_MAX];
	int pipefd[2], status, hit = 0;
	pid_t pid;
	FILE *f;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		execlp(tool, tool, image, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	f = fdopen(pipefd[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, "usr/lib/dracut/"))
			*dracut = true;
		for (size_t i = 0; !hit && i < sizeof(initrd_markers) / sizeof(initrd_markers[0]);
		     i++)
			if (strstr(line, initrd_markers[i])) {
				snprintf(found, size, "%.*s", (int)strcspn(line, "\n"), line);
				hit = 1;
			}
	}
	if (f)
		fclose(f);
	else
		close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	return hit;
}

/* A hostonly initramfs that carries the module or modprobe.d decides the option inside the
 * image, before the real root's files are seen: it must be rebuilt. Best effort, no error. */
static void check_initramfs(int rootfd, const struct opts *o)
{
	static const char *const images[] = {"boot/initrd.img-%s", "boot/initramfs-%s.img"};
	static const char *const tools[] = {"lsinitramfs", "lsinitrd"};
	char release[128], rel[PATH_MAX], image[PATH_MAX], found[PATH_MAX];
	bool dracut = false;
	int r = -ENOENT;

	kernel_release(rootfd, release, sizeof(release));
	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
		snprintf(rel, sizeof(rel), images[i], release);
		if (faccessat(rootfd, rel, R_OK, 0) == 0)
			break;
		rel[0] = '\0';
	}
	if (!rel[0])
		return;
	fileio_join_path(image, sizeof(image), o->root, rel);
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]) && r < 0; i++)
		r = list_initrd(tools[i], image, found, sizeof(found), &dracut);
	if (r < 0) {
		log_notice("%s: cannot list it (no lsinitramfs or lsinitrd?): if it is a hostonly "
			   "image with the KVM module or /etc/modprobe.d, rebuild it",
			   image);
		return;
	}
	if (r > 0)
		log_warning("%s holds %s: the option is decided inside the initramfs, so rebuild "
			    "it: '%s'",
			    image, found, dracut ? "dracut -f" : "update-initramfs -u");
}

static int enable_disable(int argc, char **argv, int value)
{
	struct opts o;
	int rootfd, r;

	r = parse_args(argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : 2;
	rootfd = open(o.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		log_error_errno(errno, "%s: cannot open the root directory: %m", o.root);
		return 2;
	}
	r = write_persistent(rootfd, &o, value);
	if (r == 0) {
		check_cmdline(rootfd, value);
		check_initramfs(rootfd, &o);
	}
	if (r == 0 && o.now) {
		r = run_helper(&o);
		if (r == 0)
			r = report_now(rootfd, value);
	} else if (r == 0) {
		printf("nestvirt=%d applies at the next boot ('--now' applies it at once)\n",
		       value);
	}
	close(rootfd);
	return r < 0 ? 1 : 0;
}

int enable_main(int argc, char **argv)
{
	return enable_disable(argc, argv, 1);
}

int disable_main(int argc, char **argv)
{
	return enable_disable(argc, argv, 0);
}
