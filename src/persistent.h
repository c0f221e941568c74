/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Writing the persistent setting /etc/nestvirt/persistent, which the boot helper reads at every
 * boot when the kernel command line has no nestvirt= (cmdline_parse_persistent reads it). One
 * writer for `nestvirt enable|disable --persistent` on a host and `nestvirt image` in an image.
 */

#define PERSISTENT_DIR	"etc/nestvirt"
#define PERSISTENT_NAME "persistent"
#define PERSISTENT_PATH PERSISTENT_DIR "/" PERSISTENT_NAME

/* Record nestvirt=@value in PERSISTENT_PATH below @rootfd, atomically (temp + fsync + rename),
 * creating the directories; no symlink is followed in any component. @root names the tree in
 * messages, @by is the command line named in the file's comment ("nestvirt enable
 * --persistent"). Errors are logged ("the setting is unchanged") and returned. */
int persistent_write(int rootfd, const char *root, int value, const char *by);
