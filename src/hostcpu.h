/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The host CPU as /proc/cpuinfo describes it, and the KVM vendor module it needs. */

enum kvm_module {
	KVM_MODULE_NONE = -1,
	KVM_MODULE_INTEL = 0, /* kvm_intel: "nested" is a bool (sysfs Y/N) */
	KVM_MODULE_AMD = 1,   /* kvm_amd: "nested" is an int (sysfs 1/0), rejects "Y" */
	KVM_MODULE_COUNT = 2,
};

struct hostcpu {
	char vendor[32];	/* vendor_id with surrounding blanks removed */
	enum kvm_module module; /* KVM_MODULE_NONE for a vendor KVM has no module for */
	bool virt_flag;		/* vmx (Intel) or svm (AMD) in flags */
	bool slat;		/* ept (Intel) or npt (AMD) in flags: second-level paging */
	bool hypervisor;	/* "hypervisor" in flags: we run inside a VM */
};

/* Bytes of /proc/cpuinfo read: the first processor block is all that counts, and big hosts
 * print megabytes after it. */
#define HOSTCPU_READ_MAX (64 * 1024)

/* Read proc/cpuinfo below @rootfd (its first HOSTCPU_READ_MAX bytes) and parse it. Never
 * blocks: opened non-blocking and read only when it is a regular file (as /proc files are).
 * -errno of the open or read, -EINVAL when it is not a regular file, -ENODATA when it has no
 * vendor_id line. */
int hostcpu_read(int rootfd, struct hostcpu *cpu);

/* Parse the first processor block of a cpuinfo text. -ENOENT when it has no vendor_id line. */
int hostcpu_parse(const char *buf, size_t len, struct hostcpu *cpu);

/* "kvm_intel", "kvm_amd", or "none". */
const char *kvm_module_name(enum kvm_module m);

/* "vmx", "svm", or "none": the CPU flag that the module needs and nested guests see. */
const char *kvm_module_flag(enum kvm_module m);
