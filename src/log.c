// SPDX-License-Identifier: LGPL-2.1-or-later
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The logger's configuration, set once at start by main(). */
static int kmsg_fd = -1;
static int max_level = LOG_INFO;

void log_to_kmsg(const char *kmsg_path)
{
	int fd = open(kmsg_path, O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd >= 0)
		kmsg_fd = fd;
}

void log_set_max_level(int level)
{
	max_level = level;
}

/* Copy @msg into @out, control characters (a newline from a quoted kernel command-line value,
 * say) written as \xHH: one call, one line, nothing a reader could take for a second line. */
static size_t escape_into(char *out, size_t size, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)msg; *p && n + 5 < size; p++) {
		if (*p >= 0x20 && *p != 0x7f) {
			out[n++] = *p;
			continue;
		}
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hex[*p >> 4];
		out[n++] = hex[*p & 15];
	}
	return n;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	char msg[1024], line[1100];
	size_t len;
	int n;

	if (level > max_level)
		return;
	/* First, while errno is still the one "%m" stands for. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (kmsg_fd >= 0)
		n = snprintf(line, sizeof(line), "<%d>nestvirt: ", LOG_DAEMON | level);
	else
		n = snprintf(line, sizeof(line), "nestvirt: ");
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	n += escape_into(line + n, sizeof(line) - n - 1, msg);
	line[n++] = '\n';
	/* A lost log line must never stop the boot helper, so the result is deliberately ignored.
	 */
	if (write(kmsg_fd >= 0 ? kmsg_fd : STDERR_FILENO, line, n) < 0)
		return;
}

int log_msg_errno(int level, int err, const char *fmt, ...)
{
	va_list ap;

	/* "%m" in @fmt prints @err, as systemd's log_*_errno does; without one errno is kept. */
	if (err != 0)
		errno = abs(err);
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
	return -abs(err);
}
