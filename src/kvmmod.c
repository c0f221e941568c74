// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kvmmod.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

/* modules.builtin of a distro kernel is tens of KiB. */
#define BUILTIN_MAX (4 * 1024 * 1024)

static int read_attr(int dirfd, const char *path, char *buf, size_t size)
{
	struct stat st;
	size_t len;
	char *data;
	int fd, r;

	/* O_NONBLOCK and regular files only: a FIFO in place of an attribute must not hang. */
	fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fstat(fd, &st) < 0	  ? -errno
	    : S_ISREG(st.st_mode) ? 0
	    : S_ISDIR(st.st_mode) ? -EISDIR
				  : -EINVAL;
	if (r == 0)
		r = fileio_read_fd(fd, 4096, 4096, &data, &len);
	close(fd);
	if (r < 0)
		return r;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' '))
		len--;
	snprintf(buf, size, "%.*s", (int)len, data);
	free(data);
	return 0;
}

/* kvm_intel shows a bool as Y/N, kvm_amd an int as 1/0. */
static int parse_shown_nested(const char *v)
{
	if (!strcmp(v, "Y") || !strcmp(v, "y") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "N") || !strcmp(v, "n") || !strcmp(v, "0"))
		return 0;
	return -1;
}

/* A refcnt is digits; anything else (an empty file too) is unknown, never 0. */
static int parse_refcnt(const char *v)
{
	long x;
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	x = strtol(v, &end, 10);
	if (*end || errno || x > INT_MAX)
		return -1;
	return (int)x;
}

/* Does modules.builtin list @module? Its lines are paths such as kernel/arch/x86/kvm/kvm-intel.ko;
 * the module name is the base name without .ko, with '-' read as '_'. */
static bool builtin_lists(const char *text, size_t len, const char *module)
{
	const char *p = text, *end = text + len;
	size_t mlen = strlen(module);

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p), *le = nl ? nl : end, *b = le;
		size_t i;

		while (b > p && b[-1] != '/')
			b--;
		if ((size_t)(le - b) == mlen + 3 && !memcmp(le - 3, ".ko", 3)) {
			for (i = 0; i < mlen; i++)
				if ((b[i] == '-' ? '_' : b[i]) !=
				    (module[i] == '-' ? '_' : module[i]))
					break;
			if (i == mlen)
				return true;
		}
		p = le + 1;
	}
	return false;
}

static bool is_builtin(int rootfd, const char *release, const char *module)
{
	char path[512];
	size_t len;
	char *text;
	bool found;
	int r;

	if (!release)
		return false;
	snprintf(path, sizeof(path), "lib/modules/%s/modules.builtin", release);
	r = fileio_read(rootfd, path, BUILTIN_MAX, true, &text, &len);
	if (r < 0) {
		if (r != -ENOENT)
			log_warning_errno(r, "Failed to read /%s, taking %s as not built in: %m",
					  path, module);
		return false;
	}
	found = builtin_lists(text, len, module);
	free(text);
	return found;
}

static void read_initstate(int dfd, struct kvmmod_state *st)
{
	char val[64];
	int r;

	r = read_attr(dfd, "initstate", val, sizeof(val));
	if (r == -ENOENT) {
		/* libkmod: the directory exists before initstate does while a module loads. */
		st->init = KVMMOD_INIT_COMING;
		return;
	}
	if (r < 0) {
		st->init = KVMMOD_INIT_UNKNOWN;
		st->err = r;
		st->err_file = "/initstate";
		return;
	}
	if (!strcmp(val, "live"))
		st->init = KVMMOD_INIT_LIVE;
	else if (!strcmp(val, "coming"))
		st->init = KVMMOD_INIT_COMING;
	else if (!strcmp(val, "going"))
		st->init = KVMMOD_INIT_GOING;
	else {
		st->init = KVMMOD_INIT_UNKNOWN;
		st->err = -EBADMSG;
		st->err_file = "/initstate";
	}
}

int kvmmod_read_state(int rootfd, const char *release, const char *module, struct kvmmod_state *st)
{
	char path[256], val[64];
	int dfd;

	memset(st, 0, sizeof(*st));
	st->err_file = "";
	st->refcnt = -1;
	st->nested = -1;
	snprintf(path, sizeof(path), "sys/module/%s", module);
	dfd = openat(rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (is_builtin(rootfd, release, module))
		st->init = KVMMOD_INIT_BUILTIN;
	else if (dfd < 0 && errno == ENOENT)
		st->init = KVMMOD_INIT_ABSENT;
	else if (dfd < 0) {
		st->init = KVMMOD_INIT_UNKNOWN;
		st->err = -errno;
	} else
		read_initstate(dfd, st);
	if (dfd < 0)
		return 0;
	if (read_attr(dfd, "refcnt", val, sizeof(val)) == 0)
		st->refcnt = parse_refcnt(val);
	if (read_attr(dfd, "parameters/nested", val, sizeof(val)) == 0)
		st->nested = parse_shown_nested(val);
	close(dfd);
	return 0;
}

enum kvmmod_action kvmmod_decide(const struct kvmmod_state *st, int want)
{
	switch (st->init) {
	case KVMMOD_INIT_ABSENT:
	case KVMMOD_INIT_GOING:
		return KVMMOD_NOT_LOADED;
	case KVMMOD_INIT_COMING:
		return KVMMOD_LOADING;
	case KVMMOD_INIT_UNKNOWN:
		return KVMMOD_UNKNOWN;
	case KVMMOD_INIT_BUILTIN:
		return st->nested == want ? KVMMOD_ALREADY : KVMMOD_BUILTIN;
	case KVMMOD_INIT_LIVE:
		break;
	}
	if (st->nested == want)
		return KVMMOD_ALREADY;
	return st->refcnt == 0 ? KVMMOD_RELOAD : KVMMOD_BUSY;
}

int kvmmod_reload(const struct kvmmod_ops *ops, const char *module, int want, int old)
{
	char opt[32];
	int r, r2;

	r = ops->remove(ops->userdata, module);
	if (r < 0)
		return log_error_errno(r, "Failed to unload '%s' (left loaded as it was): %m",
				       module);
	snprintf(opt, sizeof(opt), "nested=%d", want);
	r = ops->insert(ops->userdata, module, opt);
	if (r == 0)
		return 0;
	log_error_errno(r, "Failed to load '%s' with %s: %m; loading it again with nested=%d",
			module, opt, old < 0 ? 0 : old);
	snprintf(opt, sizeof(opt), "nested=%d", old < 0 ? 0 : old);
	r2 = ops->insert(ops->userdata, module, opt);
	if (r2 < 0)
		log_error_errno(r2,
				"Failed to load '%s' again: %m; KVM is unavailable until it is "
				"loaded",
				module);
	return r;
}

/* lib/kstrtox.c kstrtobool() (since 5.19): only the first character counts, or the first two
 * for on/off. param_set_bool() hands it the value as given. */
static int kernel_bool(const char *s)
{
	switch (s[0]) {
	case 'y':
	case 'Y':
	case 't':
	case 'T':
	case '1':
		return 1;
	case 'n':
	case 'N':
	case 'f':
	case 'F':
	case '0':
		return 0;
	case 'o':
	case 'O':
		if (s[1] == 'n' || s[1] == 'N')
			return 1;
		if (s[1] == 'f' || s[1] == 'F')
			return 0;
		break;
	}
	return -EINVAL;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* lib/kstrtox.c kstrtoint(s, 0): optional sign ('-', or '+' only before digits), "0x" hex
 * when a hex digit follows, a leading 0 octal, else decimal; one trailing newline allowed;
 * the value must fit an int. Returns 0/1 for zero/non-zero (kvm_amd tests "if (nested)"). */
static int kernel_int(const char *s)
{
	unsigned base = 10;
	long long v = 0;
	bool neg = false;
	int digits = 0;

	if (*s == '-') {
		neg = true;
		s++;
	} else if (*s == '+') {
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digit_value(s[2]) < 16) {
		base = 16;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	for (; digit_value(*s) < (int)base; s++, digits++) {
		v = v * base + digit_value(*s);
		if (v > (long long)INT_MAX + 1)
			return -EINVAL; /* -ERANGE to the kernel: the load fails all the same */
	}
	if (*s == '\n')
		s++;
	if (!digits || *s || (!neg && v > INT_MAX))
		return -EINVAL;
	return v != 0;
}

int kvmmod_parse_nested(const char *module, const char *value)
{
	if (!strcmp(module, "kvm_amd"))
		return kernel_int(value);
	return kernel_bool(value);
}

const char *kvmmod_nested_type(const char *module)
{
	return !strcmp(module, "kvm_amd") ? "int" : "bool";
}
