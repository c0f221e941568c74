/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
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

/* Does libvirt consider domain @name running: run/libvirt/qemu/NAME.xml exists below @rootfd. */
bool daemon_domain_running(int rootfd, const char *name);

/* Has domain @name a managed-save image: var/lib/libvirt/qemu/save/NAME.save below @rootfd. */
bool daemon_domain_saved(int rootfd, const char *name);
