// SPDX-License-Identifier: LGPL-2.1-or-later
#include "confdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

bool confdir_is_stale_temp(const char *name)
{
	size_t n = strlen(name);

	/* "." + at least "x.xml" + "." + 6 hex */
	if (name[0] != '.' || n < 1 + 5 + 1 + 6 || name[n - 7] != '.')
		return false;
	for (size_t i = n - 6; i < n; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return !memcmp(name + n - 11, ".xml", 4);
}

int confdir_domain_name(const char *file, char *buf, size_t size)
{
	size_t n = strlen(file);

	if (n <= 4 || !has_suffix(file, ".xml"))
		return -EINVAL;
	if (n - 4 >= size)
		return -ENAMETOOLONG;
	memcpy(buf, file, n - 4);
	buf[n - 4] = '\0';
	return 0;
}

bool confdir_selected(const char *name, char *const *include, size_t ninclude, char *const *exclude,
		      size_t nexclude)
{
	bool in = ninclude == 0;

	for (size_t i = 0; i < ninclude && !in; i++)
		in = fnmatch(include[i], name, 0) == 0;
	for (size_t i = 0; i < nexclude && in; i++)
		in = fnmatch(exclude[i], name, 0) != 0;
	return in;
}

static int push(char ***v, size_t *n, size_t *cap, const char *s)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		char **p = realloc(*v, c * sizeof(**v));

		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = c;
	}
	(*v)[*n] = strdup(s);
	if (!(*v)[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_names(char **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_names);
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void confdir_list_free(struct confdir_list *list)
{
	free_names(list->names, list->n);
	free_names(list->stale, list->nstale);
	free_names(list->backups, list->nbackups);
	*list = (struct confdir_list){0};
}

static int add_entry(struct confdir_list *l, const char *name, size_t cap[3])
{
	if (has_suffix(name, ".xml") && strlen(name) > 4)
		return push(&l->names, &l->n, &cap[0], name);
	if (confdir_is_stale_temp(name))
		return push(&l->stale, &l->nstale, &cap[1], name);
	if (has_suffix(name, ".xml" CONFDIR_BACKUP_SUFFIX) &&
	    strlen(name) > strlen(".xml" CONFDIR_BACKUP_SUFFIX))
		return push(&l->backups, &l->nbackups, &cap[2], name);
	return 0;
}

int confdir_list(int dirfd, struct confdir_list *list)
{
	struct confdir_list l = {0};
	size_t cap[3] = {0, 0, 0};
	struct dirent *de;
	DIR *d;
	int r;

	r = fileio_dir_stream(dirfd, &d);
	if (r < 0)
		return r;
	for (errno = 0; (de = readdir(d)); errno = 0) {
		r = add_entry(&l, de->d_name, cap);
		if (r < 0)
			break;
	}
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	if (r < 0) {
		confdir_list_free(&l);
		return r;
	}
	sort_names(l.names, l.n);
	sort_names(l.stale, l.nstale);
	sort_names(l.backups, l.nbackups);
	*list = l;
	return 0;
}

static int read_fd(int fd, size_t size, size_t cap, char **ret, size_t *ret_len)
{
	size_t len = 0, alloc = size + 1;
	char *buf;

	/* Sized from fstat, grown if the file grew meanwhile; the cap holds either way. */
	buf = malloc(alloc);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 == alloc) {
			char *p;

			if (alloc > cap + 1) {
				free(buf);
				return -EFBIG;
			}
			alloc = alloc * 2 > cap + 2 ? cap + 2 : alloc * 2;
			p = realloc(buf, alloc);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		n = read(fd, buf + len, alloc - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (len > cap) {
		free(buf);
		return -EFBIG;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* 0 for a regular file, else the error confdir_read gives for its type. */
static int file_kind(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return 0;
	if (S_ISLNK(st->st_mode))
		return -ELOOP;
	return S_ISDIR(st->st_mode) ? -EISDIR : -ENODEV;
}

int confdir_read(int dirfd, const char *name, size_t cap, struct confdir_file *f)
{
	int r;

	*f = (struct confdir_file){.fd = -1};
	/* The type first, without opening: opening a device can act (a watchdog arms). */
	if (fstatat(dirfd, name, &f->st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	r = file_kind(&f->st);
	if (r < 0)
		return r;
	/* O_NONBLOCK: should a FIFO be swapped in meanwhile, opening it must not wait. */
	f->fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	if (fstat(f->fd, &f->st) < 0) {
		r = -errno;
		goto fail;
	}
	r = file_kind(&f->st);
	if (r < 0)
		goto fail;
	if ((size_t)f->st.st_size > cap) {
		r = -EFBIG;
		goto fail;
	}
	r = read_fd(f->fd, f->st.st_size, cap, &f->buf, &f->len);
	if (r < 0)
		goto fail;
	return 0;
fail:
	close(f->fd);
	f->fd = -1;
	return r;
}

void confdir_file_close(struct confdir_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	f->fd = -1;
	f->buf = NULL;
}

static const char *file_type(mode_t m)
{
	if (S_ISFIFO(m))
		return "is a FIFO";
	if (S_ISSOCK(m))
		return "is a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "is a device node";
	return "is not a regular file";
}

const char *confdir_strerror(int err, const struct confdir_file *f, char *buf, size_t size)
{
	switch (err) {
	case -ELOOP:
		return "is a symbolic link";
	case -EISDIR:
		return "is a directory";
	case -ENODEV:
		return f ? file_type(f->st.st_mode) : "is not a regular file";
	case -EFBIG:
		snprintf(buf, size, "is larger than the %d KiB cap for a domain file",
			 CONFDIR_MAX_FILE / 1024);
		return buf;
	default:
		snprintf(buf, size, "cannot be read: %s", strerror(-err));
		return buf;
	}
}

static int backup_name(const char *name, char *buf, size_t size)
{
	if (snprintf(buf, size, "%s%s", name, CONFDIR_BACKUP_SUFFIX) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/* Link the inode open as @fd under @bak: the bytes that were read, whatever @name holds now. */
static int link_fd(int fd, int dirfd, const char *bak)
{
	char proc[64];

	if (linkat(fd, "", dirfd, bak, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link of the fd works for the owner. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, dirfd, bak, AT_SYMLINK_FOLLOW) < 0)
		return -errno;
	return 0;
}

int confdir_backup(int dirfd, const char *name, const struct confdir_file *f)
{
	char bak[NAME_MAX + 1];
	int r;

	r = backup_name(name, bak, sizeof(bak));
	if (r < 0)
		return r;
	r = link_fd(f->fd, dirfd, bak);
	if (r == -EEXIST)
		return 0;
	/* ENOENT from a link of an open fd: the inode read has no name left (replaced). */
	if (r == -ENOENT)
		return -ESTALE;
	return r < 0 ? r : 1;
}

int confdir_replace(int dirfd, const char *name, const void *data, size_t len,
		    const struct confdir_file *f)
{
	return fileio_replace_like(dirfd, name, data, len, f->fd, false);
}

int confdir_stage(int dirfd, const char *name, const void *data, size_t len,
		  const struct confdir_file *f, struct fileio_temp *t)
{
	return fileio_temp_write_like(dirfd, name, data, len, f->fd, t);
}

int confdir_commit(int dirfd, const char *name, struct fileio_temp *t)
{
	return fileio_temp_commit(dirfd, name, t);
}

void confdir_abort(int dirfd, struct fileio_temp *t)
{
	fileio_temp_abort(dirfd, t);
}

int confdir_sync(int dirfd)
{
	return fsync(dirfd) < 0 ? -errno : 0;
}

int confdir_restore(int dirfd, const char *name, const struct stat *expect)
{
	struct stat bst, cst;
	char bak[NAME_MAX + 1];
	int r;

	r = backup_name(name, bak, sizeof(bak));
	if (r < 0)
		return r;
	if (fstatat(dirfd, bak, &bst, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (fstatat(dirfd, name, &cst, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? -ESTALE : -errno;
	if (!S_ISREG(bst.st_mode) || !S_ISREG(cst.st_mode))
		return -ENODEV;
	if (expect && (cst.st_dev != expect->st_dev || cst.st_ino != expect->st_ino ||
		       cst.st_size != expect->st_size ||
		       cst.st_mtim.tv_sec != expect->st_mtim.tv_sec ||
		       cst.st_mtim.tv_nsec != expect->st_mtim.tv_nsec))
		return -EAGAIN;
	if (renameat(dirfd, bak, dirfd, name) < 0)
		return -errno;
	/* rename(2) does nothing when both names are links to one file, which is the case when
	 * a run made the backup and stopped before replacing the original. */
	if (bst.st_dev == cst.st_dev && bst.st_ino == cst.st_ino && unlinkat(dirfd, bak, 0) < 0)
		return -errno;
	if (fsync(dirfd) < 0)
		return -errno;
	return 0;
}

int confdir_lock(int rootfd, const char *path, int *ret_fd)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	const char *base = strrchr(path, '/');
	char dir[PATH_MAX];
	int dfd, fd, r;

	if (!base || (size_t)(base - path) >= sizeof(dir))
		return -EINVAL;
	memcpy(dir, path, base - path);
	dir[base - path] = '\0';
	r = fileio_open_dir(rootfd, dir, true, &dfd);
	if (r < 0)
		return r;
	fd = openat(dfd, base + 1, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	r = fd < 0 ? -errno : 0;
	close(dfd);
	if (r < 0)
		return r;
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		r = errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}
