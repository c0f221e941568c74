// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The stored domains as nestvirt status reports them: the config dir listed and read the way
 * the rewriter does (confdir.c), each document read by the edit's reader (domxml-facts.c),
 * the prediction (guests-predict.c), the running and managed-save state beside it, and the
 * first boot's selection (nestvirt.conf, this boot's overrides). Reads only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confdir.h"
#include "domxml-facts.h"
#include "fileio.h"
#include "guests-int.h"
#include "managed.h"
#include "nvconf.h"
#include "state.h"

#define RUN_DIR	 "run/libvirt/qemu"
#define SAVE_DIR "var/lib/libvirt/qemu/save"

/* What the scan works with besides the report. */
struct scan {
	int dirfd, runfd, savefd;
	int run_err, save_err; /* why runfd/savefd could not be opened; 0 when they were */
	struct nvconf sel;     /* the first boot's domains/exclude */
	char *include[NVCONF_MAX_GLOBS], *exclude[NVCONF_MAX_GLOBS];
};

static int add(struct guests_report *r, struct guest **ret)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct guest *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	*ret = &r->v[r->n++];
	**ret = (struct guest){0};
	return 0;
}

/* Is there @name + @suffix in @dirfd? 1, 0, -1 unknown (also when the dir is unknown). */
static signed char exists(int dirfd, int dir_err, const char *name, const char *suffix)
{
	char path[NAME_MAX + 16];

	if (dir_err == -ENOENT)
		return 0; /* no such dir: libvirt never ran, nothing runs, nothing is saved */
	if (dirfd < 0)
		return -1;
	if ((size_t)snprintf(path, sizeof(path), "%s%s", name, suffix) >= sizeof(path))
		return 0;
	if (faccessat(dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

static void live_state(const struct scan *s, const char *name, struct guest *g)
{
	g->running = exists(s->runfd, s->run_err, name, ".xml");
	if (g->running == 0)
		g->running = exists(s->runfd, s->run_err, name, ".pid");
	g->saved = exists(s->savefd, s->save_err, name, ".save");
}

static int read_one(struct scan *s, const struct guests_report *r, const char *file,
		    struct guest *g)
{
	struct domxml_facts *f;
	struct confdir_file cf;
	char domain[NAME_MAX + 1], why[128];
	int err;

	g->file = strdup(file);
	if (!g->file)
		return -ENOMEM;
	guest_host_flag(&r->host, g);
	g->running = g->saved = -1;
	if (confdir_domain_name(file, domain, sizeof(domain)) == 0) {
		live_state(s, domain, g);
		g->excluded = !confdir_selected(domain, s->include, s->sel.domains.n, s->exclude,
						s->sel.exclude.n);
	}
	err = confdir_read(s->dirfd, file, CONFDIR_MAX_FILE, &cf);
	if (err < 0) {
		g->cpu = G_UNPARSEABLE;
		g->why = W_UNREADABLE;
		g->sees = S_UNKNOWN;
		g->start = ST_UNKNOWN;
		g->detail = strdup(confdir_strerror(err, &cf, why, sizeof(why)));
		return g->detail ? 0 : -ENOMEM;
	}
	f = malloc(sizeof(*f));
	err = f ? domxml_facts_read(cf.buf, cf.len, f) : -ENOMEM;
	confdir_file_close(&cf);
	if (err == 0)
		err = guest_predict(f, &r->host, g);
	if (err == 0 && f->managed)
		for (size_t i = 0; managed_layer_at(i); i++)
			if (managed_layer_at(i) == f->managed)
				g->layer = (unsigned char)(i + 1);
	free(f);
	g->problem =
	    (g->why == W_MODEL_NO_FEATURE || g->why == W_NO_CPU) && !g->layer && !g->excluded;
	return err;
}

/* The first boot's selection: nestvirt.conf's domains/exclude, replaced by this boot's
 * nestvirt.domains=/nestvirt.exclude= as the boot helper recorded them. Unreadable or bad
 * files select every domain (the first boot itself reports them). */
static void load_selection(int rootfd, struct scan *s)
{
	struct nvconf_error err;
	struct nv_state st;
	char why[128];
	size_t len;
	char *buf;

	nvconf_init(&s->sel);
	if (fileio_read(rootfd, NVCONF_PATH, NVCONF_MAX_SIZE, true, &buf, &len) == 0) {
		if (nvconf_parse(buf, len, &s->sel, &err) < 0)
			nvconf_init(&s->sel);
		free(buf);
	}
	if (fileio_read(rootfd, STATE_DIR "/" STATE_NAME, 64 * 1024, false, &buf, &len) == 0) {
		state_init(&st);
		state_parse(buf, len, &st);
		free(buf);
		if (st.domains[0] &&
		    nvconf_globs_parse(st.domains, &s->sel.domains, why, sizeof(why)) < 0)
			s->sel.domains.n = 0;
		if (st.exclude[0] &&
		    nvconf_globs_parse(st.exclude, &s->sel.exclude, why, sizeof(why)) < 0)
			s->sel.exclude.n = 0;
	}
	for (size_t i = 0; i < s->sel.domains.n; i++)
		s->include[i] = s->sel.domains.v[i];
	for (size_t i = 0; i < s->sel.exclude.n; i++)
		s->exclude[i] = s->sel.exclude.v[i];
}

static int set_error(struct guests_report *r, int err, const char *what)
{
	char msg[256];

	if (err == -ENOENT)
		snprintf(msg, sizeof(msg), "does not exist (libvirt's QEMU driver is not set up)");
	else if (err == -ENOTDIR)
		snprintf(msg, sizeof(msg),
			 "is not a directory (or is a symbolic link, not followed)");
	else
		snprintf(msg, sizeof(msg), "cannot %s: %s", what, strerror(-err));
	r->error = strdup(msg);
	return r->error ? 0 : -ENOMEM;
}

static int scan_dir(int rootfd, struct scan *s, struct guests_report *r)
{
	struct confdir_list list;
	int err;

	err = confdir_list(s->dirfd, &list);
	if (err < 0)
		return err == -ENOMEM ? err : set_error(r, err, "list it");
	s->run_err = fileio_open_dir(rootfd, RUN_DIR, false, &s->runfd);
	s->save_err = fileio_open_dir(rootfd, SAVE_DIR, false, &s->savefd);
	load_selection(rootfd, s);
	for (size_t i = 0; i < list.n && err == 0; i++) {
		struct guest *g;

		err = add(r, &g);
		if (err == 0)
			err = read_one(s, r, list.names[i], g);
		if (err == 0 && g->problem)
			r->problems++;
	}
	confdir_list_free(&list);
	return err;
}

int guests_scan(int rootfd, const char *confdir, const struct guests_host *host,
		struct guests_report **out)
{
	struct scan s = {.dirfd = -1, .runfd = -1, .savefd = -1};
	struct guests_report *r;
	int err;

	*out = r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->host = *host;
	snprintf(r->dir, sizeof(r->dir), "/%s", confdir);
	err = fileio_open_dir(rootfd, confdir, false, &s.dirfd);
	if (err < 0)
		err = err == -ENOMEM ? err : set_error(r, err, "open it");
	else
		err = scan_dir(rootfd, &s, r);
	if (s.dirfd >= 0)
		close(s.dirfd);
	if (s.runfd >= 0)
		close(s.runfd);
	if (s.savefd >= 0)
		close(s.savefd);
	return err;
}

unsigned guests_count(const struct guests_report *r)
{
	return (unsigned)r->n;
}

unsigned guests_problems(const struct guests_report *r)
{
	return r->problems;
}

void guests_report_free(struct guests_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].file);
		free(r->v[i].detail);
	}
	free(r->v);
	free(r->error);
	free(r);
}
