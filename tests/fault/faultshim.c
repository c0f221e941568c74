// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * LD_PRELOAD shim for fault injection: counts the calls of the I/O operations a crash-safe
 * writer depends on and fails exactly one of them, so a test can fail each in turn.
 *
 *   NESTVIRT_FAULT_OPS    comma list of what is counted (default: all of write, fsync, close,
 *                         rename, link, unlink, chown, chmod, xattr)
 *   NESTVIRT_FAULT_AT     fail the Nth counted call (1-based); unset or 0: fail nothing
 *   NESTVIRT_FAULT_ERRNO  the errno of the failure (default EIO)
 *   NESTVIRT_FAULT_COUNT  file that receives the number of counted calls at exit
 *   NESTVIRT_FAULT_STOP_AT stop the process (SIGSTOP) at the Nth counted call, before it is
 *                         made: a test looks at the state in the middle of a run, then
 *                         sends SIGCONT
 *   NESTVIRT_FAULT_DENY   file name (last component): opening it fails with EACCES, the way
 *                         an unreadable file fails even for root on NFS or under an LSM
 *
 * Calls on fds 0-2 are never counted (log lines are not what is tested), and a failed close
 * still closes the fd, as Linux does.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

static unsigned long counter, fail_at, stop_at;
static int fail_errno = EIO;
static const char *ops = "write,fsync,close,rename,link,unlink,chown,chmod,xattr";

static void init(void) __attribute__((constructor));
static void init(void)
{
	const char *s;

	if ((s = getenv("NESTVIRT_FAULT_AT")))
		fail_at = strtoul(s, NULL, 10);
	if ((s = getenv("NESTVIRT_FAULT_STOP_AT")))
		stop_at = strtoul(s, NULL, 10);
	if ((s = getenv("NESTVIRT_FAULT_ERRNO")))
		fail_errno = atoi(s);
	if ((s = getenv("NESTVIRT_FAULT_OPS")) && *s)
		ops = s;
}

static void fini(void) __attribute__((destructor));
static void fini(void)
{
	const char *path = getenv("NESTVIRT_FAULT_COUNT");
	FILE *f;

	if (!path || !(f = fopen(path, "w")))
		return;
	fprintf(f, "%lu\n", counter);
	fclose(f);
}

static int counted(const char *op)
{
	size_t n = strlen(op);

	for (const char *p = ops; (p = strstr(p, op)); p += n)
		if ((p == ops || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/* True if this call is the one to fail (errno set). */
static int hit(const char *op)
{
	if (!counted(op))
		return 0;
	if (++counter == stop_at)
		raise(SIGSTOP);
	if (counter != fail_at)
		return 0;
	fprintf(stderr, "faultshim: failing %s (call #%lu) with %s\n", op, counter,
		strerror(fail_errno));
	errno = fail_errno;
	return 1;
}

#define REAL(ret, name, ...)                                                                       \
	static ret (*real)(__VA_ARGS__);                                                           \
	if (!real)                                                                                 \
	real = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, name)

ssize_t write(int fd, const void *buf, size_t n)
{
	REAL(ssize_t, "write", int, const void *, size_t);
	if (fd > 2 && hit("write"))
		return -1;
	return real(fd, buf, n);
}

int fsync(int fd)
{
	REAL(int, "fsync", int);
	if (fd > 2 && hit("fsync"))
		return -1;
	return real(fd);
}

int fdatasync(int fd)
{
	REAL(int, "fdatasync", int);
	if (fd > 2 && hit("fsync"))
		return -1;
	return real(fd);
}

int close(int fd)
{
	REAL(int, "close", int);
	if (fd > 2 && hit("close")) {
		real(fd);
		errno = fail_errno;
		return -1;
	}
	return real(fd);
}

int rename(const char *a, const char *b)
{
	REAL(int, "rename", const char *, const char *);
	if (hit("rename"))
		return -1;
	return real(a, b);
}

int renameat(int da, const char *a, int db, const char *b)
{
	REAL(int, "renameat", int, const char *, int, const char *);
	if (hit("rename"))
		return -1;
	return real(da, a, db, b);
}

int renameat2(int da, const char *a, int db, const char *b, unsigned int flags)
{
	REAL(int, "renameat2", int, const char *, int, const char *, unsigned int);
	if (hit("rename"))
		return -1;
	return real(da, a, db, b, flags);
}

int linkat(int da, const char *a, int db, const char *b, int flags)
{
	REAL(int, "linkat", int, const char *, int, const char *, int);
	if (hit("link"))
		return -1;
	return real(da, a, db, b, flags);
}

int unlinkat(int d, const char *p, int flags)
{
	REAL(int, "unlinkat", int, const char *, int);
	if (hit("unlink"))
		return -1;
	return real(d, p, flags);
}

int fchown(int fd, uid_t u, gid_t g)
{
	REAL(int, "fchown", int, uid_t, gid_t);
	if (hit("chown"))
		return -1;
	return real(fd, u, g);
}

int fchmod(int fd, mode_t m)
{
	REAL(int, "fchmod", int, mode_t);
	if (hit("chmod"))
		return -1;
	return real(fd, m);
}

int fsetxattr(int fd, const char *name, const void *v, size_t n, int flags)
{
	REAL(int, "fsetxattr", int, const char *, const void *, size_t, int);
	if (hit("xattr"))
		return -1;
	return real(fd, name, v, n, flags);
}

int fremovexattr(int fd, const char *name)
{
	REAL(int, "fremovexattr", int, const char *);
	if (hit("xattr"))
		return -1;
	return real(fd, name);
}

static int denied(const char *path)
{
	const char *deny = getenv("NESTVIRT_FAULT_DENY"), *base = strrchr(path, '/');

	return deny && !strcmp(base ? base + 1 : path, deny);
}

int openat(int d, const char *path, int flags, ...)
{
	REAL(int, "openat", int, const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		mode = va_arg(ap, mode_t);
	va_end(ap);
	if (denied(path)) {
		errno = EACCES;
		return -1;
	}
	return real(d, path, flags, mode);
}
