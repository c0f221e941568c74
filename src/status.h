/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "guests.h"
#include "hostcpu.h"
#include "kvmmod.h"
#include "state.h"

/*
 * The report of `nestvirt status`: what the readers (status-host.c, status-modsrc.c,
 * status-request.c, status-initrd.c) found below the root, what status-judge.c concludes, and
 * what the printers (status-text.c, status-json.c, status-textfile.c) show. Every fact that
 * could not be read is unknown (-1) with the reason in a text field, never guessed.
 */

#define STATUS_WHY  640
#define STATUS_PATH 512

/* The classes of `nestvirt status --check`, with their exit codes (docs/status.md). */
enum status_class {
	STATUS_OK = 0,
	STATUS_NOT_REQUESTED = 10,
	STATUS_UNSUPPORTED = 11,
	STATUS_BUILTIN = 12,
	STATUS_PENDING_REBOOT = 13,
	STATUS_CONFLICT = 14,
	STATUS_GUESTS = 15,
	STATUS_FIRSTBOOT_FAILED = 16,
	STATUS_HELPER = 17,
	STATUS_UNKNOWN = 18,
};

struct status_host {
	int cpuinfo_err; /* negative errno of reading proc/cpuinfo, 0 when read */
	char vendor[32];
	enum kvm_module module;
	int virt_flag;	/* vmx/svm: 1, 0, -1 unknown */
	int slat;	/* ept/npt: 1, 0, -1 unknown */
	int hypervisor; /* "hypervisor" flag: this host is a guest */
	/* /dev/kvm: 1 a character device, 0 absent, -1 unknown (dev_kvm_err) */
	int dev_kvm;
	char dev_kvm_err[STATUS_WHY];
	char dev_kvm_group[64]; /* its group's name, "" when unknown */
	int kvm_group_rw;	/* the group is "kvm" and has read and write: 1/0, -1 unknown */
	unsigned dev_kvm_mode;
};

enum status_src_kind {
	SRC_MODPROBE, /* a modprobe.d file */
	SRC_SNIPPET,  /* our /run/modprobe.d/zz-nestvirt.conf */
	SRC_CMDLINE,  /* MODULE.nested= on the kernel command line */
};

/* One nested= that reaches the module at its next load, in libkmod's order. */
struct status_src {
	enum status_src_kind kind;
	char file[STATUS_PATH]; /* "/etc/modprobe.d/kvm.conf" (as on the host), "" for cmdline */
	unsigned line;		/* from 1; 0 for cmdline */
	char text[64];		/* the value as written */
	int value;		/* 1, 0, or < -1: the kernel rejects it */
};

#define STATUS_MAX_SRCS 32

struct status_module {
	const char *name; /* kvm_intel, kvm_amd; NULL when the vendor is unknown */
	struct kvmmod_state live;
	char holders[STATUS_WHY]; /* sys/module/M/holders entries, ", "-separated */
	bool snippet;		  /* our snippet is read */
	/* a file of the snippet's name in an earlier dir masks it: that dir, "" when not */
	char snippet_masked_by[40];
	/* every nested= of the next load, in the order the kernel applies them */
	struct status_src src[STATUS_MAX_SRCS];
	unsigned nsrc;
	unsigned nsrc_dropped; /* more than STATUS_MAX_SRCS: the last ones are kept */
	int next;    /* the next load's value: 1/0; -1 the kernel default; <-1 load fails */
	int decider; /* index of the deciding (or first rejected) source, -1 default */
	char conf_err[STATUS_WHY]; /* a modprobe.d entry that could not be read: next unknown */
	/* in the initramfs: 1 yes, 0 no, -1 unknown (initrd_why) */
	int initrd;
	char initrd_image[STATUS_PATH];
	char initrd_why[STATUS_WHY];
};

enum status_state_kind {
	STATE_FILE_ABSENT,
	STATE_FILE_OK,
	STATE_FILE_UNREADABLE, /* exists but cannot be read: too large, a FIFO, EACCES ... */
	STATE_FILE_INVALID,    /* read, but not what the boot helper writes */
};

enum status_stamp_kind {
	STAMP_ABSENT,
	STAMP_DONE,
	STAMP_FAILED, /* a stamp with result other than 0 */
	STAMP_UNREADABLE,
};

struct status_request {
	/* proc/cmdline */
	int cmdline_err;		  /* negative errno, 0 when read */
	int cmdline;			  /* nestvirt= there: 1, 0, -1 absent */
	char cmdline_refused[STATUS_WHY]; /* the last refused nestvirt token, "" none */
	char admin_nested[16];		  /* MODULE.nested= for the vendor module, "" none */
	/* etc/nestvirt/persistent */
	int persistent_err; /* 0 read, -ENOENT absent, other negative errno */
	int persistent;	    /* 1, 0, -1 absent or not understood */
	unsigned persistent_bad_line;
	/* the request that counts, and where it came from: "cmdline", "persistent", "state"
	 * (the command line could not be read) or "" */
	int request;
	const char *source;
	/* one-boot overrides from the command line */
	char cpu[256], domains[256], exclude[256];
	int firstboot;
	/* run/nestvirt/state */
	enum status_state_kind state_kind;
	char state_err[STATUS_WHY];
	struct nv_state st;
	/* var/lib/nestvirt/firstboot.done */
	enum status_stamp_kind stamp;
	char stamp_done[40];
	int stamp_result;
	char stamp_err[STATUS_WHY];
};

struct status_problem {
	enum status_class cls;
	char what[STATUS_WHY * 2];
	char todo[STATUS_WHY * 2]; /* the "do:" line */
};

#define STATUS_MAX_PROBLEMS 12

struct status_report {
	const char *root; /* as given; "/" for the host */
	struct status_host host;
	struct status_module mod;
	struct status_request req;
	struct guests_report *guests; /* NULL when not scanned (out of memory) */
	char guests_dir[STATUS_PATH];
	int want;      /* the requested value: 1, 0, -1 none or unknown */
	int effective; /* the value guests get at their next start: 1, 0, -1 unknown */
	bool pending_reboot;
	struct status_problem problems[STATUS_MAX_PROBLEMS];
	unsigned nproblems;
	char notes[4][STATUS_WHY * 2];
	unsigned nnotes;
	enum status_class cls; /* the first problem's, STATUS_OK when none */
	char verdict[STATUS_WHY * 2];
};

/* The name of a class in the JSON and the textfile: "ok", "not-requested", ... */
const char *status_class_name(enum status_class c);

/* Readers: each fills its part of @r from the tree below @rootfd; never fail. */
void status_read_host(int rootfd, struct status_report *r);
void status_read_request(int rootfd, struct status_report *r);
void status_read_module(int rootfd, struct status_report *r);
void status_read_initrd(int rootfd, struct status_report *r);

/* Decide the problems, the class and the verdict. Pure. */
void status_judge(struct status_report *r);

/* The forms. */
void status_write_text(const struct status_report *r, FILE *out, bool colour);
void status_write_json(const struct status_report *r, FILE *out);
/* The node_exporter textfile text into a malloc'd buffer; NULL on out of memory. */
char *status_format_textfile(const struct status_report *r, long long now, size_t *len);

/* Open @path below @rootfd, symlinks resolved inside the root, never blocking on a FIFO;
 * @flags are added to O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC. Returns the fd or -errno. */
int status_open(int rootfd, const char *path, int flags);

/* The kernel release whose modules count below the root: proc/sys/kernel/osrelease, the
 * running kernel's for "/", the only lib/modules/ entry; "" when it cannot be told. */
void status_release(int rootfd, const char *root, char *buf, size_t size);

/* Read a small file below @rootfd that must be a regular file (a FIFO or a device in its
 * place is refused with -EINVAL, never waited on); more than @cap bytes give -EFBIG. */
int status_read_file(int rootfd, const char *path, size_t cap, char **buf, size_t *len);

/* A human description of a negative errno from status_read_file. */
const char *status_strerror(int err);
