// SPDX-License-Identifier: LGPL-2.1-or-later
#include "persistent.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

int persistent_write(int rootfd, const char *root, int value, const char *by)
{
	char path[PATH_MAX], when[32], text[512];
	time_t now = time(NULL);
	struct tm tm;
	int dirfd, n, r;

	fileio_join_path(path, sizeof(path), root, PERSISTENT_PATH);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(text, sizeof(text),
		     "# Written by '%s' on %s.\n"
		     "# Read by nestvirt-early at every boot: the boot behaves as if nestvirt=%d\n"
		     "# were on the kernel command line. A nestvirt= on the command line wins.\n"
		     "nestvirt=%d\n",
		     by, when, value, value);
	if (n < 0 || (size_t)n >= sizeof(text))
		return log_error_errno(ENAMETOOLONG, "%s: text too long", path);
	r = fileio_open_dir(rootfd, PERSISTENT_DIR, true, &dirfd);
	if (r < 0)
		return log_error_errno(r, "%s: cannot create or open the directory: %m", path);
	r = fileio_replace(dirfd, PERSISTENT_NAME, text, n, 0644);
	close(dirfd);
	if (r < 0)
		return log_error_errno(r, "%s: cannot write: %m; the setting is unchanged", path);
	return 0;
}
