// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modconf.h"

#include <errno.h>
#include <stdio.h>

int modconf_format(char *buf, size_t size, const char *module, int want)
{
	int n = snprintf(
	    buf, size,
	    "# Written by nestvirt-early at boot from nestvirt=%d on the kernel command line.\n"
	    "# It lives in /run only: remove nestvirt= from the command line to drop it.\n"
	    "options %s nested=%d\n",
	    want, module, want);

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}
