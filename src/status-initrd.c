// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt status: is the vendor module in the initramfs of the root's kernel? A hostonly image
 * that carries it loads it inside the initramfs, with the options the image holds. Listing the
 * image with lsinitramfs takes seconds (a shell loop around cpio); this reads the cpio "newc"
 * headers as a stream instead — the uncompressed early part (microcode) directly, a compressed
 * main part through the decompressor (zstd, gzip, xz, lz4, bzip2 -dc) — and stops at the first
 * hit. Anything it cannot read is "unknown" with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "status.h"

/* No real initramfs holds more; a bigger stream is not one we can judge cheaply. */
#define SCAN_MAX ((unsigned long long)2 << 30)

struct stream {
	int fd;
	char buf[65536];
	size_t pos, len;
	unsigned long long off; /* bytes consumed so far */
};

static int fill(struct stream *s)
{
	ssize_t n;

	if (s->pos < s->len)
		return 1;
	do
		n = read(s->fd, s->buf, sizeof(s->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	s->pos = 0;
	s->len = (size_t)n;
	return n > 0;
}

/* Copy @n bytes into @dst (NULL: skip them). 1 done, 0 end of stream first, <0 error. */
static int take(struct stream *s, char *dst, unsigned long long n)
{
	while (n > 0) {
		int r = fill(s);
		size_t k;

		if (r <= 0)
			return r;
		k = s->len - s->pos < n ? s->len - s->pos : (size_t)n;
		if (dst) {
			memcpy(dst, s->buf + s->pos, k);
			dst += k;
		}
		s->pos += k;
		s->off += k;
		n -= k;
	}
	return 1;
}

static unsigned long hexfield(const char *h, int i)
{
	char f[9];

	memcpy(f, h + 6 + 8 * i, 8);
	f[8] = '\0';
	return strtoul(f, NULL, 16);
}

/* Does @name (a path in the image) name @module's .ko file, compressed or not? */
static bool is_module_file(const char *name, const char *module)
{
	const char *b = strrchr(name, '/');
	size_t n = strlen(module);

	b = b ? b + 1 : name;
	for (size_t i = 0; i < n; i++)
		if ((b[i] == '-' ? '_' : b[i]) != module[i])
			return false;
	return !strncmp(b + n, ".ko", 3);
}

enum scan_end { SCAN_FOUND, SCAN_END, SCAN_NEXT, SCAN_BAD };

/* Read archives from @s until the stream ends (SCAN_END), a hit (SCAN_FOUND), a segment that is
 * not cpio (SCAN_NEXT, @s->off at its start), or an error (SCAN_BAD, @why set). */
static enum scan_end scan(struct stream *s, const char *module, char *why, size_t wsize)
{
	char h[110], name[4096];

	for (;;) {
		unsigned long namesize, filesize;
		int r;

		/* Zero padding between archives. */
		for (;;) {
			r = fill(s);
			if (r <= 0)
				return r == 0 ? SCAN_END : SCAN_BAD;
			if (s->buf[s->pos] != '\0')
				break;
			s->pos++;
			s->off++;
		}
		if (s->len - s->pos < 6 || memcmp(s->buf + s->pos, "0707", 4))
			return SCAN_NEXT;
		if (take(s, h, sizeof(h)) <= 0 || memcmp(h, "07070", 5)) {
			snprintf(why, wsize, "a truncated or unknown cpio header");
			return SCAN_BAD;
		}
		namesize = hexfield(h, 11);
		filesize = hexfield(h, 6);
		if (namesize == 0 || namesize > sizeof(name) || s->off > SCAN_MAX) {
			snprintf(why, wsize, "a cpio entry this reader does not accept");
			return SCAN_BAD;
		}
		if (take(s, name, namesize) <= 0 ||
		    take(s, NULL, (4 - (110 + namesize) % 4) % 4) < 0)
			return SCAN_BAD;
		name[namesize - 1] = '\0';
		if (is_module_file(name, module))
			return SCAN_FOUND;
		if (strcmp(name, "TRAILER!!!") &&
		    (take(s, NULL, filesize) <= 0 || take(s, NULL, (4 - filesize % 4) % 4) < 0)) {
			snprintf(why, wsize, "truncated cpio data");
			return SCAN_BAD;
		}
	}
}

static const char *decompressor(const unsigned char *m, size_t n)
{
	static const struct {
		const char *tool;
		unsigned char magic[4];
		size_t len;
	} known[] = {
	    {"zstd", {0x28, 0xb5, 0x2f, 0xfd}, 4}, {"gzip", {0x1f, 0x8b}, 2},
	    {"xz", {0xfd, '7', 'z', 'X'}, 4},	   {"lz4", {0x02, 0x21, 0x4c, 0x18}, 4},
	    {"bzip2", {'B', 'Z', 'h'}, 3},
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (n >= known[i].len && !memcmp(m, known[i].magic, known[i].len))
			return known[i].tool;
	return NULL;
}

/* The decompressor reading the image from @off, its output on the returned fd. */
static int spawn(const char *tool, int imgfd, unsigned long long off, pid_t *pid)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (*pid == 0) {
		if (lseek(imgfd, (off_t)off, SEEK_SET) < 0 || dup2(imgfd, STDIN_FILENO) < 0 ||
		    dup2(p[1], STDOUT_FILENO) < 0 || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execlp(tool, tool, "-dc", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	return p[0];
}

static void scan_image(int imgfd, struct status_module *m)
{
	struct stream *s = calloc(1, sizeof(*s));
	const char *tool;
	enum scan_end e;
	pid_t pid = -1;
	int st;

	if (!s) {
		snprintf(m->initrd_why, sizeof(m->initrd_why), "out of memory");
		return;
	}
	s->fd = imgfd;
	e = scan(s, m->name, m->initrd_why, sizeof(m->initrd_why));
	if (e == SCAN_NEXT) {
		tool = decompressor((unsigned char *)s->buf + s->pos, s->len - s->pos);
		if (!tool) {
			snprintf(
			    m->initrd_why, sizeof(m->initrd_why),
			    "a part at byte %llu is neither cpio nor compressed in a known way",
			    s->off);
		} else {
			unsigned long long off = s->off;
			int fd = spawn(tool, imgfd, off, &pid);

			memset(s, 0, sizeof(*s));
			s->fd = fd;
			e = fd < 0 ? SCAN_BAD
				   : scan(s, m->name, m->initrd_why, sizeof(m->initrd_why));
			if (fd >= 0)
				close(fd);
			if (pid > 0) {
				if (e == SCAN_FOUND)
					kill(pid, SIGTERM);
				while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
					;
				if (e != SCAN_FOUND && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
					snprintf(m->initrd_why, sizeof(m->initrd_why),
						 "'%s -dc' could not read the compressed part%s",
						 tool,
						 WIFEXITED(st) && WEXITSTATUS(st) == 127
						     ? " (not installed?)"
						     : "");
					e = SCAN_BAD;
				}
			}
			if (e == SCAN_NEXT)
				snprintf(m->initrd_why, sizeof(m->initrd_why),
					 "a second compressed part: not read");
		}
	}
	if (e == SCAN_FOUND || e == SCAN_END)
		m->initrd = e == SCAN_FOUND;
	else if (!m->initrd_why[0])
		snprintf(m->initrd_why, sizeof(m->initrd_why), "cannot read it");
	free(s);
}

void status_read_initrd(int rootfd, struct status_report *r)
{
	static const char *const images[] = {"boot/initrd.img-%s", "boot/initramfs-%s.img"};
	struct status_module *m = &r->mod;
	char release[128], rel[300];
	int fd = -ENOENT;
	struct stat st;

	m->initrd = -1;
	if (!m->name)
		return;
	status_release(rootfd, r->root, release, sizeof(release));
	if (!release[0]) {
		snprintf(m->initrd_why, sizeof(m->initrd_why),
			 "the kernel release is unknown (no /proc/sys/kernel/osrelease, not one "
			 "/lib/modules entry)");
		return;
	}
	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]) && fd == -ENOENT; i++) {
		snprintf(rel, sizeof(rel), images[i], release);
		fd = status_open(rootfd, rel, 0);
	}
	if (fd == -ENOENT) {
		snprintf(m->initrd_why, sizeof(m->initrd_why),
			 "no /boot/initrd.img-%s or /boot/initramfs-%s.img", release, release);
		return;
	}
	if (fd < 0) {
		snprintf(m->initrd_why, sizeof(m->initrd_why), "/%s: %s", rel, strerror(-fd));
		return;
	}
	fileio_join_path(m->initrd_image, sizeof(m->initrd_image), "/", rel);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(m->initrd_why, sizeof(m->initrd_why), "%s: not a regular file",
			 m->initrd_image);
		close(fd);
		return;
	}
	/* O_NONBLOCK was for the open only: a FIFO here is refused, a file read normally. */
	fcntl(fd, F_SETFL, 0);
	scan_image(fd, m);
	close(fd);
}
