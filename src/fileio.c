// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

int fileio_read_fd(int fd, size_t cap, size_t hint, char **ret_buf, size_t *ret_len)
{
	size_t len = 0, size = (hint < cap ? hint : cap) + 2;
	char *buf = malloc(size);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 == size) {
			/* Grown past the hint (the file grew, or /proc has no size); the cap holds.
			 */
			char *p = size > cap + 1 ? NULL : realloc(buf, size * 2);

			if (!p) {
				free(buf);
				return size > cap + 1 ? -EFBIG : -ENOMEM;
			}
			buf = p;
			size *= 2;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > cap) {
		free(buf);
		return -EFBIG;
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int fileio_read(int dirfd, const char *path, size_t cap, bool follow, char **ret_buf,
		size_t *ret_len)
{
	int fd, r;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return -errno;
	r = fileio_read_fd(fd, cap, 4096, ret_buf, ret_len);
	close(fd);
	return r;
}

int fileio_open_dir(int dirfd, const char *path, bool create, int *ret_fd)
{
	char comp[256];
	const char *p = path;
	int fd, r;

	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	while (*p) {
		size_t n = strcspn(p, "/");
		int next;

		if (n == 0 || (n == 1 && p[0] == '.')) {
			p += n + (p[n] == '/');
			continue;
		}
		if (n >= sizeof(comp)) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n + (p[n] == '/');

		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
				r = -errno;
				goto fail;
			}
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			/* O_NOFOLLOW on a symlink gives ELOOP; report both cases as "not a
			 * directory". */
			r = errno == ELOOP ? -ENOTDIR : -errno;
			goto fail;
		}
		close(fd);
		fd = next;
	}
	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int open_temp(int dirfd, const char *name, mode_t mode, char *tmp, size_t size)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned long long rnd = 0;
		int fd;

		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) < 0)
			rnd = (unsigned long long)getpid() * 2654435761u + tries;
		if (snprintf(tmp, size, ".%s.%06llx", name, rnd & 0xffffff) >= (int)size)
			return -ENAMETOOLONG;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

int fileio_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	char tmp[300];
	int fd, r;

	fd = open_temp(dirfd, name, mode, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	r = write_all(fd, data, len);
	/* fchmod: the umask must not decide the mode of a file other programs read. */
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	/* The rename is durable only once the directory is. */
	if (fsync(dirfd) < 0)
		return -errno;
	return 0;
}

int fileio_dir_stream(int dirfd, DIR **ret)
{
	int fd;

	/* fdopendir takes the fd: give it a fresh one, at offset 0, so @dirfd stays usable. */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret = fdopendir(fd);
	if (!*ret) {
		close(fd);
		return -errno;
	}
	return 0;
}

/* Is @entry ".NAME.XXXXXX" with six lowercase hex digits: a temp name open_temp made for @name? */
static bool is_temp_of(const char *entry, const char *name)
{
	size_t n = strlen(name);

	if (entry[0] != '.' || strncmp(entry + 1, name, n) != 0 || entry[n + 1] != '.')
		return false;
	entry += n + 2;
	for (int i = 0; i < 6; i++)
		if (!((entry[i] >= '0' && entry[i] <= '9') || (entry[i] >= 'a' && entry[i] <= 'f')))
			return false;
	return entry[6] == '\0';
}

int fileio_clean_stale(int dirfd, const char *name)
{
	struct dirent *de;
	int removed = 0, r;
	DIR *d;

	r = fileio_dir_stream(dirfd, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d)))
		if (is_temp_of(de->d_name, name) && unlinkat(dirfd, de->d_name, 0) == 0)
			removed++;
	closedir(d);
	return removed;
}

/* Read the value of xattr @name of @fd into *@buf (grown as needed). Returns its length. */
static ssize_t get_xattr(int fd, const char *name, char **buf, size_t *size)
{
	for (;;) {
		ssize_t n;
		char *p;

		/* With size 0 fgetxattr returns the length and writes nothing: ask with a buffer.
		 */
		if (*size > 0) {
			n = fgetxattr(fd, name, *buf, *size);
			if (n >= 0)
				return n;
			if (errno != ERANGE)
				return -errno;
		}
		n = fgetxattr(fd, name, NULL, 0);
		if (n < 0)
			return -errno;
		p = realloc(*buf, n + 1);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*size = n + 1;
	}
}

/* The list of xattr names of @fd, NUL-separated, malloc'd. ENOTSUP means "none". */
static ssize_t list_xattrs(int fd, char **ret)
{
	for (;;) {
		ssize_t n = flistxattr(fd, NULL, 0);
		char *list;

		if (n < 0)
			return errno == ENOTSUP ? 0 : -errno;
		if (n == 0)
			return 0;
		list = malloc(n);
		if (!list)
			return -ENOMEM;
		n = flistxattr(fd, list, n);
		if (n >= 0) {
			*ret = list;
			return n;
		}
		free(list);
		if (errno != ERANGE)
			return -errno;
	}
}

static int copy_xattrs(int from, int to)
{
	char *list = NULL, *val = NULL;
	size_t vsize = 0;
	ssize_t n;
	int r = 0;

	n = list_xattrs(from, &list);
	if (n <= 0)
		return n;
	for (char *name = list; name < list + n; name += strlen(name) + 1) {
		ssize_t vlen = get_xattr(from, name, &val, &vsize);

		if (vlen == -ENODATA)
			continue;
		if (vlen < 0) {
			r = vlen;
			break;
		}
		if (fsetxattr(to, name, val, vlen, 0) < 0) {
			r = -errno;
			break;
		}
	}
	free(val);
	free(list);
	return r;
}

/* Is @name in the NUL-separated @list of @n bytes? */
static bool in_list(const char *list, ssize_t n, const char *name)
{
	for (const char *p = list; p < list + n; p += strlen(p) + 1)
		if (!strcmp(p, name))
			return true;
	return false;
}

/* Remove from @to every xattr that @from lacks: what a new file inherits (an access ACL from
 * the directory's default ACL) must not widen who can read it. */
static int strip_xattrs(int from, int to)
{
	char *have = NULL, *want = NULL;
	ssize_t nhave, nwant;
	int r = 0;

	nhave = list_xattrs(to, &have);
	if (nhave <= 0)
		return nhave;
	nwant = list_xattrs(from, &want);
	if (nwant < 0) {
		free(have);
		return nwant;
	}
	for (char *name = have; name < have + nhave; name += strlen(name) + 1) {
		if (in_list(want, nwant, name))
			continue;
		if (fremovexattr(to, name) < 0 && errno != ENODATA) {
			r = -errno;
			break;
		}
	}
	free(want);
	free(have);
	return r;
}

int fileio_copy_meta(int from, int to)
{
	struct stat st;
	int r;

	if (fstat(from, &st) < 0)
		return -errno;
	if (fchown(to, st.st_uid, st.st_gid) < 0)
		return -errno;
	/* After fchown, which clears set-id bits; before the ACL, which must win over the
	 * group bits fchmod writes into the ACL mask. */
	if (fchmod(to, st.st_mode & 07777) < 0)
		return -errno;
	r = copy_xattrs(from, to);
	if (r == 0)
		r = strip_xattrs(from, to);
	/* Without an access ACL the group bits are the mode's again, not an inherited mask. */
	if (r == 0 && fchmod(to, st.st_mode & 07777) < 0)
		r = -errno;
	return r;
}

int fileio_temp_write_like(int dirfd, const char *name, const void *data, size_t len, int likefd,
			   struct fileio_temp *t)
{
	int r;

	/* 0600 until the metadata is copied: the file may hold secrets (VNC passwords). */
	t->fd = open_temp(dirfd, name, 0600, t->name, sizeof(t->name));
	if (t->fd < 0)
		return t->fd;
	r = write_all(t->fd, data, len);
	if (r == 0)
		r = fileio_copy_meta(likefd, t->fd);
	if (r < 0) {
		fileio_temp_abort(dirfd, t);
		return r;
	}
	/* Only a hint, errors included: the fsync of the commit is what counts. */
	(void)sync_file_range(t->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	return 0;
}

int fileio_temp_commit(int dirfd, const char *name, struct fileio_temp *t)
{
	int r = 0;

	if (fsync(t->fd) < 0)
		r = -errno;
	if (close(t->fd) < 0 && r == 0)
		r = -errno;
	t->fd = -1;
	if (r == 0 && renameat(dirfd, t->name, dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, t->name, 0);
	return r;
}

void fileio_temp_abort(int dirfd, struct fileio_temp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	unlinkat(dirfd, t->name, 0);
}

int fileio_replace_like(int dirfd, const char *name, const void *data, size_t len, int likefd,
			bool sync_dir)
{
	struct fileio_temp t;
	int r;

	r = fileio_temp_write_like(dirfd, name, data, len, likefd, &t);
	if (r == 0)
		r = fileio_temp_commit(dirfd, name, &t);
	if (r == 0 && sync_dir && fsync(dirfd) < 0)
		r = -errno;
	return r;
}

int fileio_join_path(char *buf, size_t size, const char *root, const char *rel)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (snprintf(buf, size, "%.*s%s%s", (int)n, root, root[n - 1] == '/' ? "" : "/", rel) >=
	    (int)size)
		return -ENAMETOOLONG;
	return 0;
}
