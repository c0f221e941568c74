// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rwfloor: the floor `nestvirt rewrite` is measured against, and a runner that measures.
 *
 *   rwfloor copy [--batch N] [--backup] DIR
 *       For every regular *.xml in DIR: read it and replace it with the same bytes the way
 *       nestvirt replaces a file, in batches of N (default 1): write each file of the batch to
 *       a temporary ".NAME.XXXXXX" (owner/group/mode/xattrs copied, writeback started), then
 *       fsync and rename each, then fsync DIR. With --backup, first hard-link
 *       NAME.xml.floor-orig for the batch and fsync DIR, as nestvirt does with its backups.
 *       No parsing, no edit: what the disk costs.
 *   rwfloor read DIR
 *       Read every *.xml in DIR once, whole (open, fstat, read, close), in directory order; no
 *       parsing: the floor of `nestvirt status` over the same files (bench/status.sh).
 *   rwfloor run STATS CMD [ARG]...
 *       Run CMD, write "wall_ms maxrss_kib exit_status cpu_ms" (getrusage of the child: cpu is
 *       user + system time) to file STATS.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what, const char *name)
{
	fprintf(stderr, "rwfloor: %s%s%s: %s\n", name ? name : "", name ? ": " : "", what,
		strerror(errno));
	exit(1);
}

static char *read_all(int fd, size_t size, size_t *len)
{
	char *buf = malloc(size + 1);
	ssize_t n;

	*len = 0;
	while (buf && (n = read(fd, buf + *len, size + 1 - *len)) > 0) {
		*len += n;
		if (*len == size + 1) {
			size *= 2;
			buf = realloc(buf, size + 1);
		}
	}
	return buf;
}

static void copy_meta(int from, int to, const struct stat *st)
{
	char list[4096], val[4096];
	ssize_t n;

	if (fchown(to, st->st_uid, st->st_gid) < 0 || fchmod(to, st->st_mode & 07777) < 0)
		die("chown/chmod", NULL);
	n = flistxattr(from, list, sizeof(list));
	for (char *p = list; n > 0 && p < list + n; p += strlen(p) + 1) {
		ssize_t v = fgetxattr(from, p, val, sizeof(val));

		if (v >= 0 && fsetxattr(to, p, val, v, 0) < 0)
			die("fsetxattr", p);
	}
}

/* A file of the batch: written to its temporary name, not yet committed. */
struct staged {
	int fd;
	char tmp[300];
};

/* Read @name and write the same bytes to a temporary file with its metadata, writeback
 * started: what nestvirt's confdir_stage does minus the edit. */
static void stage(int dirfd, const char *name, struct staged *s)
{
	struct stat st;
	size_t len;
	char *buf;
	int fd;

	s->fd = -1;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		die("open", name);
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	buf = read_all(fd, st.st_size, &len);
	if (!buf)
		die("read", name);
	snprintf(s->tmp, sizeof(s->tmp), ".%s.%06lx", name, (unsigned long)random() & 0xffffff);
	s->fd = openat(dirfd, s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->fd < 0 || write(s->fd, buf, len) != (ssize_t)len)
		die("write", s->tmp);
	copy_meta(fd, s->fd, &st);
	sync_file_range(s->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	free(buf);
	close(fd);
}

static void commit(int dirfd, const char *name, struct staged *s)
{
	if (s->fd < 0)
		return;
	if (fsync(s->fd) < 0 || close(s->fd) < 0 || renameat(dirfd, s->tmp, dirfd, name) < 0)
		die("fsync/close/rename", s->tmp);
}

static int is_xml(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && !strcmp(name + n - 4, ".xml");
}

static int copy_main(int argc, char **argv)
{
	int batch = 1, backup = 0, dirfd, i = 2;
	struct staged *staged;
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	for (; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--batch") && i + 1 < argc - 1)
			batch = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--backup"))
			backup = 1;
	}
	dirfd = open(argv[argc - 1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fdopendir(dup(dirfd));
	if (dirfd < 0 || !d)
		die("open", argv[argc - 1]);
	while ((de = readdir(d)))
		if (is_xml(de->d_name)) {
			names = realloc(names, (n + 1) * sizeof(*names));
			names[n++] = strdup(de->d_name);
		}
	closedir(d);
	staged = calloc(batch, sizeof(*staged));
	if (!staged)
		die("calloc", NULL);
	for (size_t k = 0; k < n; k += batch) {
		size_t end = k + batch < n ? k + batch : n;

		if (backup) {
			for (size_t j = k; j < end; j++) {
				char bak[300];

				snprintf(bak, sizeof(bak), "%s.floor-orig", names[j]);
				if (linkat(dirfd, names[j], dirfd, bak, 0) < 0 && errno != EEXIST)
					die("link", bak);
			}
			if (fsync(dirfd) < 0)
				die("fsync", argv[argc - 1]);
		}
		for (size_t j = k; j < end; j++)
			stage(dirfd, names[j], &staged[j - k]);
		for (size_t j = k; j < end; j++)
			commit(dirfd, names[j], &staged[j - k]);
		if (fsync(dirfd) < 0)
			die("fsync", argv[argc - 1]);
	}
	return 0;
}

static int read_main(const char *dir)
{
	unsigned long long total = 0;
	struct dirent *de;
	int dirfd;
	DIR *d;

	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fdopendir(dup(dirfd));
	if (dirfd < 0 || !d)
		die("open", dir);
	while ((de = readdir(d))) {
		struct stat st;
		size_t len;
		char *buf;
		int fd;

		if (!is_xml(de->d_name))
			continue;
		fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			die("open", de->d_name);
		buf = read_all(fd, st.st_size > 0 ? (size_t)st.st_size : 4096, &len);
		if (!buf)
			die("read", de->d_name);
		total += len;
		free(buf);
		close(fd);
	}
	closedir(d);
	printf("%llu\n", total);
	return 0;
}

static int run_main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int status;
	FILE *out;
	pid_t pid;

	if (argc < 4)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		die("wait4", argv[3]);
	clock_gettime(CLOCK_MONOTONIC, &b);
	out = fopen(argv[2], "w");
	if (!out)
		die("open", argv[2]);
	fprintf(out, "%ld %ld %d %ld\n",
		(long)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000),
		ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		(long)((ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000));
	return fclose(out) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "copy"))
		return copy_main(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "read"))
		return read_main(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "run"))
		return run_main(argc, argv);
	fprintf(stderr, "usage: rwfloor copy [--batch N] [--backup] DIR | rwfloor read DIR |\n"
			"       rwfloor run STATS CMD [ARG]...\n");
	return 2;
}
