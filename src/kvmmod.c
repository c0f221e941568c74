// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kvmmod.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

static int read_attr(int dirfd, const char *path, char *buf, size_t size)
{
	size_t len;
	char *data;
	int r;

	r = fileio_read(dirfd, path, 4096, false, &data, &len);
	if (r < 0)
		return r;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' '))
		len--;
	snprintf(buf, size, "%.*s", (int)len, data);
	free(data);
	return 0;
}

/* kvm_intel shows a bool as Y/N, kvm_amd an int as 1/0. */
static int parse_nested(const char *v)
{
	if (!strcmp(v, "Y") || !strcmp(v, "y") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "N") || !strcmp(v, "n") || !strcmp(v, "0"))
		return 0;
	return -1;
}

int kvmmod_read_state(int sys_module_fd, const char *module, struct kvmmod_state *st)
{
	char val[64];
	int dfd;

	memset(st, 0, sizeof(*st));
	st->refcnt = -1;
	st->nested = -1;
	dfd = openat(sys_module_fd, module, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (read_attr(dfd, "initstate", val, sizeof(val)) == 0)
		st->loaded = !strcmp(val, "live");
	else
		st->builtin = true;
	if (read_attr(dfd, "refcnt", val, sizeof(val)) == 0)
		st->refcnt = atoi(val);
	if (read_attr(dfd, "parameters/nested", val, sizeof(val)) == 0)
		st->nested = parse_nested(val);
	close(dfd);
	return 0;
}

enum kvmmod_action kvmmod_decide(const struct kvmmod_state *st, int want)
{
	if (st->builtin)
		return st->nested == want ? KVMMOD_ALREADY : KVMMOD_BUILTIN;
	if (!st->loaded)
		return KVMMOD_NOT_LOADED;
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
		return log_error_errno(r, "Failed to unload '%s' (left loaded as it was): %s", module,
				       strerror(-r));
	snprintf(opt, sizeof(opt), "nested=%d", want);
	r = ops->insert(ops->userdata, module, opt);
	if (r == 0)
		return 0;
	log_error("Failed to load '%s' with %s: %s; loading it again with nested=%d", module, opt,
		  strerror(-r), old);
	snprintf(opt, sizeof(opt), "nested=%d", old < 0 ? 0 : old);
	r2 = ops->insert(ops->userdata, module, opt);
	if (r2 < 0)
		log_error("Failed to load '%s' again: %s; KVM is unavailable until it is loaded",
			  module, strerror(-r2));
	return r;
}

const char *kvmmod_action_name(enum kvmmod_action a)
{
	switch (a) {
	case KVMMOD_NOT_LOADED:
		return "snippet";
	case KVMMOD_ALREADY:
		return "already";
	case KVMMOD_RELOAD:
		return "reload";
	case KVMMOD_BUSY:
		return "pending-reboot";
	case KVMMOD_BUILTIN:
		return "builtin";
	}
	return "unknown";
}
