/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Is libvirt running? Asked without connecting to any socket: the sockets are activated by
 * systemd, so a connection would start the very daemon we wait for. A live daemon holds an
 * fcntl lock on its pid file; F_GETLK sees it (from another process) without taking it.
 */

struct daemon_running {
	const char *name;    /* "libvirtd" or "virtqemud" */
	const char *pidfile; /* relative to the root: "run/libvirtd.pid" */
	pid_t pid;	     /* the lock holder, as the kernel reports it */
};

/* Check the pid files of libvirtd and virtqemud below @rootfd. Returns 1 with @who filled when
 * one is locked, 0 when none is (a missing pid file is a stopped daemon), negative errno when
 * a pid file exists but cannot be checked (@who names it, pid 0). */
int daemon_find_running(int rootfd, struct daemon_running *who);

/* Is the lock on pid file @path below @rootfd held? 1 yes (*@pid = holder), 0 no or absent. */
int daemon_pidfile_locked(int rootfd, const char *path, pid_t *pid);

/*
 * Holding the daemons off for a whole run: nestvirt takes the same fcntl write lock on each
 * pid file that a starting libvirtd/virtqemud takes (virPidFileAcquirePath: F_SETLK on the
 * file's first byte), creating the file if absent. A daemon that starts meanwhile fails to
 * acquire its pid file and exits, instead of loading files that are being replaced.
 */
#define DAEMON_MAX_HELD 4

struct daemon_hold {
	int fd[DAEMON_MAX_HELD];
	char path[DAEMON_MAX_HELD][128]; /* below the root */
	bool created[DAEMON_MAX_HELD];	 /* made by us: removed again at release */
	size_t n;
};

/* Lock pid file @path below @rootfd (its directory must exist) and add it to @h. Returns 0,
 * 1 when a daemon holds it (@who->pid set), negative errno otherwise. */
int daemon_hold_pidfile(int rootfd, const char *path, struct daemon_hold *h, pid_t *pid);

/* Lock the system daemons' pid files (run/libvirtd.pid, run/virtqemud.pid); with @session_uid
 * other than (uid_t)-1 also that user's session daemons' (run/user/UID/libvirt/…pid, when
 * that directory exists). Returns 0 with all held, 1 with @who naming a running daemon, or
 * negative errno with @who naming the pid file that could not be locked. */
int daemon_hold_all(int rootfd, uid_t session_uid, struct daemon_hold *h,
		    struct daemon_running *who, char *whopath, size_t whopathlen);

/* Are the locks of @h still on the files their paths name (nobody replaced a pid file)? */
bool daemon_hold_valid(int rootfd, const struct daemon_hold *h);

/* Release @h, removing the pid files it created. */
void daemon_release(int rootfd, struct daemon_hold *h);

/* Does libvirt consider domain @name running: run/libvirt/qemu/NAME.xml exists below @rootfd. */
bool daemon_domain_running(int rootfd, const char *name);

/* Has domain @name a managed-save image: var/lib/libvirt/qemu/save/NAME.save below @rootfd. */
bool daemon_domain_saved(int rootfd, const char *name);
