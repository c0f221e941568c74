// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt status, the module: its live state, and every nested= its next load gets, with the
 * file and line it comes from. libkmod gives the options but not where they come from, and it
 * reads the running kernel's /proc/cmdline itself (so it cannot answer for a --root), so this
 * reads modprobe.d as kmod 30 does (checked against kmod's modprobe in the tests): the files
 * named *.conf or *.alias (not starting with '.') of /etc, /run, /usr/local/lib and /lib
 * modprobe.d, sorted together by name, the first dir winning a name; "options MODULE ARGS"
 * lines with '\' continuations, MODULE compared with '-' read as '_'; then MODULE.param= from
 * the root's own proc/cmdline.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fileio.h"
#include "modconf.h"
#include "status.h"

static const char *const modprobe_dirs[] = {
    "etc/modprobe.d",
    "run/modprobe.d",
    "usr/local/lib/modprobe.d",
    "lib/modprobe.d",
};
#define N_DIRS	  (sizeof(modprobe_dirs) / sizeof(modprobe_dirs[0]))
#define CONF_MAX  (4 * 1024 * 1024)
#define MAX_FILES 4096

struct conf_file {
	char name[256];
	unsigned dir;
};

static bool wanted_name(const char *n)
{
	size_t len = strlen(n);

	if (n[0] == '.')
		return false;
	return (len > 5 && !strcmp(n + len - 5, ".conf")) ||
	       (len > 6 && !strcmp(n + len - 6, ".alias"));
}

static int by_name(const void *a, const void *b)
{
	const struct conf_file *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (int)x->dir - (int)y->dir;
}

/* Every file name of the dirs, sorted; a name already seen in an earlier dir is dropped. */
static int list_files(int rootfd, struct conf_file **ret, size_t *ret_n, char *err, size_t esize,
		      char *masked, size_t msize)
{
	struct conf_file *f = NULL;
	size_t n = 0, out = 0;

	for (unsigned d = 0; d < N_DIRS; d++) {
		int dfd = status_open(rootfd, modprobe_dirs[d], O_DIRECTORY);
		struct dirent *de;
		DIR *dir;

		if (dfd == -ENOENT || dfd == -ENOTDIR)
			continue;
		if (dfd < 0 || fileio_dir_stream(dfd, &dir) < 0) {
			snprintf(err, esize, "/%s: %s", modprobe_dirs[d],
				 strerror(dfd < 0 ? -dfd : errno));
			if (dfd >= 0)
				close(dfd);
			free(f);
			return -EIO;
		}
		while ((de = readdir(dir))) {
			struct conf_file *p;

			if (!wanted_name(de->d_name) || strlen(de->d_name) >= sizeof(f->name))
				continue;
			if (n == MAX_FILES) {
				snprintf(err, esize, "/%s: more than %d files", modprobe_dirs[d],
					 MAX_FILES);
				closedir(dir);
				close(dfd);
				free(f);
				return -E2BIG;
			}
			p = realloc(f, (n + 1) * sizeof(*f));
			if (!p) {
				closedir(dir);
				close(dfd);
				free(f);
				return -ENOMEM;
			}
			f = p;
			snprintf(f[n].name, sizeof(f[n].name), "%s", de->d_name);
			f[n++].dir = d;
		}
		closedir(dir);
		close(dfd);
	}
	if (n)
		qsort(f, n, sizeof(*f), by_name);
	for (size_t i = 0; i < n; i++) {
		if (out == 0 || strcmp(f[out - 1].name, f[i].name))
			f[out++] = f[i];
		else if (f[i].dir == 1 && !strcmp(f[i].name, MODCONF_NAME))
			snprintf(masked, msize, "/%s", modprobe_dirs[f[out - 1].dir]);
	}
	*ret = f;
	*ret_n = out;
	return 0;
}

static void add_src(struct status_module *m, enum status_src_kind kind, const char *file,
		    unsigned line, const char *text, size_t tlen)
{
	struct status_src *s;
	char value[64];

	if (m->nsrc == STATUS_MAX_SRCS) {
		/* Keep the last ones: they decide. */
		memmove(m->src, m->src + 1, (STATUS_MAX_SRCS - 1) * sizeof(m->src[0]));
		m->nsrc--;
		m->nsrc_dropped++;
	}
	s = &m->src[m->nsrc++];
	s->kind = kind;
	snprintf(s->file, sizeof(s->file), "%s", file);
	s->line = line;
	snprintf(s->text, sizeof(s->text), "%.*s", (int)tlen, text);
	snprintf(value, sizeof(value), "%.*s", (int)tlen, text);
	s->value = tlen >= sizeof(value) ? -EINVAL : kvmmod_parse_nested(m->name, value);
}

/* The nested= values of one options string, split as the kernel's next_arg() does. */
static void scan_options(struct status_module *m, enum status_src_kind kind, const char *file,
			 unsigned line, const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start, eq = 0, end;
		bool q = false;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		start = i;
		for (; i < len && (q || (p[i] != ' ' && p[i] != '\t')); i++) {
			if (p[i] == '"')
				q = !q;
			if (!eq && p[i] == '=')
				eq = i;
		}
		end = i;
		if (!eq || eq - start != 6 || memcmp(p + start, "nested", 6))
			continue;
		eq++;
		if (end - eq >= 2 && p[eq] == '"' && p[end - 1] == '"') {
			eq++;
			end--;
		}
		add_src(m, kind, file, line, p + eq, end - eq);
	}
}

/* "options MODULE ARGS" naming @module ('-' and '_' alike)? Then ARGS. */
static const char *options_for(const char *l, size_t len, const char *module, size_t *alen)
{
	const char *e = l + len, *w;
	size_t n;

	while (l < e && (*l == ' ' || *l == '\t'))
		l++;
	if (e - l < 8 || memcmp(l, "options", 7) || (l[7] != ' ' && l[7] != '\t'))
		return NULL;
	for (l += 7; l < e && (*l == ' ' || *l == '\t'); l++)
		;
	for (w = l; l < e && *l != ' ' && *l != '\t'; l++)
		;
	n = strlen(module);
	if ((size_t)(l - w) != n)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((w[i] == '-' ? '_' : w[i]) != (module[i] == '-' ? '_' : module[i]))
			return NULL;
	*alen = e - l;
	return l;
}

static void scan_file(struct status_module *m, enum status_src_kind kind, const char *file,
		      char *buf, size_t len)
{
	unsigned lineno = 0;
	char *p = buf, *end = buf + len;

	while (p < end) {
		unsigned first = ++lineno;
		char *w = p, *start = p;
		const char *args;
		size_t alen;

		/* One logical line: a '\' before the newline joins the next line. */
		while (p < end && *p != '\n') {
			if (*p == '\\' && p + 1 < end && p[1] == '\n') {
				p += 2;
				lineno++;
				continue;
			}
			*w++ = *p++;
		}
		p++;
		if (w == start || *start == '#')
			continue;
		args = options_for(start, w - start, m->name, &alen);
		if (args)
			scan_options(m, kind, file, first, args, alen);
	}
}

static void read_sources(int rootfd, struct status_module *m)
{
	struct conf_file *f = NULL;
	size_t n = 0;

	if (list_files(rootfd, &f, &n, m->conf_err, sizeof(m->conf_err), m->snippet_masked_by,
		       sizeof(m->snippet_masked_by)) < 0) {
		if (!m->conf_err[0])
			snprintf(m->conf_err, sizeof(m->conf_err), "modprobe.d: out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char rel[300], file[STATUS_PATH];
		bool ours = f[i].dir == 1 && !strcmp(f[i].name, MODCONF_NAME);
		struct stat st;
		size_t len;
		char *buf;
		int fd, r;

		snprintf(rel, sizeof(rel), "%s/%s", modprobe_dirs[f[i].dir], f[i].name);
		snprintf(file, sizeof(file), "/%s", rel);
		if (ours)
			m->snippet = true;
		fd = status_open(rootfd, rel, 0);
		if (fd < 0 && fd != -ENOENT) {
			if (!m->conf_err[0])
				snprintf(m->conf_err, sizeof(m->conf_err), "%s: %s", file,
					 strerror(-fd));
			continue;
		}
		if (fd < 0) /* a dangling symlink: libkmod skips it too */
			continue;
		r = fstat(fd, &st) < 0 ? -errno : 0;
		/* A link to /dev/null masks a file: nothing to read, as libkmod finds. */
		if (r == 0 && S_ISCHR(st.st_mode)) {
			close(fd);
			continue;
		}
		if (r == 0 && !S_ISREG(st.st_mode))
			r = -EINVAL;
		if (r == 0)
			r = fileio_read_fd(fd, CONF_MAX, (size_t)st.st_size, &buf, &len);
		close(fd);
		if (r < 0) {
			if (!m->conf_err[0])
				snprintf(m->conf_err, sizeof(m->conf_err), "%s: %s", file,
					 status_strerror(r));
			continue;
		}
		scan_file(m, ours ? SRC_SNIPPET : SRC_MODPROBE, file, buf, len);
		free(buf);
	}
	free(f);
}

static void decide_next(struct status_module *m)
{
	m->next = -1;
	m->decider = -1;
	if (m->conf_err[0])
		return;
	for (unsigned i = 0; i < m->nsrc; i++) {
		m->next = m->src[i].value;
		m->decider = (int)i;
		/* The kernel stops at the first value it rejects: the load fails. */
		if (m->src[i].value < -1)
			return;
	}
}

void status_release(int rootfd, const char *root, char *buf, size_t size)
{
	struct dirent *de;
	struct utsname u;
	unsigned n = 0;
	size_t len;
	char *text;
	DIR *dir;
	int dfd;

	buf[0] = '\0';
	if (status_read_file(rootfd, "proc/sys/kernel/osrelease", 256, &text, &len) == 0) {
		snprintf(buf, size, "%.*s", (int)strcspn(text, "\n"), text);
		free(text);
		return;
	}
	if (!strcmp(root, "/") && uname(&u) == 0) {
		snprintf(buf, size, "%s", u.release);
		return;
	}
	dfd = status_open(rootfd, "lib/modules", O_DIRECTORY);
	if (dfd < 0)
		return;
	if (fileio_dir_stream(dfd, &dir) == 0) {
		while ((de = readdir(dir)))
			if (de->d_name[0] != '.' && n++ == 0)
				snprintf(buf, size, "%s", de->d_name);
		closedir(dir);
	}
	close(dfd);
	if (n != 1)
		buf[0] = '\0';
}

static void read_holders(int rootfd, struct status_module *m)
{
	char path[128];
	struct dirent *de;
	size_t off = 0;
	DIR *dir;
	int dfd;

	snprintf(path, sizeof(path), "sys/module/%s/holders", m->name);
	dfd = status_open(rootfd, path, O_DIRECTORY);
	if (dfd < 0)
		return;
	if (fileio_dir_stream(dfd, &dir) == 0) {
		while ((de = readdir(dir)) && off < sizeof(m->holders))
			if (de->d_name[0] != '.')
				off += snprintf(m->holders + off, sizeof(m->holders) - off, "%s%s",
						off ? ", " : "", de->d_name);
		closedir(dir);
	}
	close(dfd);
}

void status_read_module(int rootfd, struct status_report *r)
{
	struct status_module *m = &r->mod;
	char release[128];

	m->initrd = -1;
	m->next = -1;
	m->decider = -1;
	m->live.init = KVMMOD_INIT_UNKNOWN;
	m->live.refcnt = m->live.nested = -1;
	m->live.err_file = "";
	if (r->host.module == KVM_MODULE_NONE)
		return;
	m->name = kvm_module_name(r->host.module);
	status_release(rootfd, r->root, release, sizeof(release));
	kvmmod_read_state(rootfd, release[0] ? release : NULL, m->name, &m->live);
	read_holders(rootfd, m);
	read_sources(rootfd, m);
	if (r->req.admin_nested[0])
		add_src(m, SRC_CMDLINE, "", 0, r->req.admin_nested, strlen(r->req.admin_nested));
	decide_next(m);
}
