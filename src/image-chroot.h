/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/*
 * The rewrite run inside an image: a child process in a mount namespace of its own, with a
 * tmpfs over the image's /run (the rewrite's lock and pid-file checks land there, not in the
 * image) and chrooted into the image, so the kernel resolves every path of the rewrite —
 * symlinks included — inside the image.
 */

/* Run rewrite_main(@argc, @argv) so, in the image mounted at @mnt (a path in this process's
 * private mount namespace; @name for messages). With @ret_output the child's standard output
 * is collected there (malloc'd, NUL-terminated). *@child holds the child's pid while it runs,
 * for a signal handler to forward to. Returns the rewrite's exit status, -EINTR when the child
 * was killed by a signal, or -errno when it could not be run (all logged). */
int imgchroot_rewrite(const char *mnt, const char *name, int argc, char **argv, char **ret_output,
		      volatile pid_t *child);
