// SPDX-License-Identifier: LGPL-2.1-or-later
#include "hostcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *vendor;
	enum kvm_module module;
} vendors[] = {
    {"GenuineIntel", KVM_MODULE_INTEL}, {"CentaurHauls", KVM_MODULE_INTEL},
    {"Shanghai", KVM_MODULE_INTEL}, /* Zhaoxin: vendor_id is "  Shanghai  " */
    {"AuthenticAMD", KVM_MODULE_AMD},	{"HygonGenuine", KVM_MODULE_AMD},
};

const char *kvm_module_name(enum kvm_module m)
{
	return m == KVM_MODULE_INTEL ? "kvm_intel" : m == KVM_MODULE_AMD ? "kvm_amd" : "none";
}

const char *kvm_module_flag(enum kvm_module m)
{
	return m == KVM_MODULE_INTEL ? "vmx" : m == KVM_MODULE_AMD ? "svm" : "none";
}

/* The value of a "key<TAB>: value" line if @line (of @len bytes) has key @key, else NULL. */
static const char *field_value(const char *line, size_t len, const char *key, size_t *vlen)
{
	size_t klen = strlen(key), i;

	if (len < klen || memcmp(line, key, klen) != 0)
		return NULL;
	for (i = klen; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i >= len || line[i] != ':')
		return NULL;
	i++;
	*vlen = len - i;
	return line + i;
}

static void trim(const char **p, size_t *len)
{
	while (*len > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 &&
	       ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t' || (*p)[*len - 1] == '\r'))
		(*len)--;
}

static bool has_word(const char *p, size_t len, const char *word)
{
	size_t wlen = strlen(word);

	for (size_t i = 0; i + wlen <= len; i++) {
		if ((i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t') && !memcmp(p + i, word, wlen) &&
		    (i + wlen == len || p[i + wlen] == ' ' || p[i + wlen] == '\t'))
			return true;
	}
	return false;
}

static void note_vendor(const char *v, size_t vlen, struct hostcpu *cpu)
{
	trim(&v, &vlen);
	snprintf(cpu->vendor, sizeof(cpu->vendor), "%.*s", (int)vlen, v);
	for (size_t i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++)
		if (strlen(vendors[i].vendor) == vlen && !memcmp(vendors[i].vendor, v, vlen))
			cpu->module = vendors[i].module;
}

int hostcpu_parse(const char *buf, size_t len, struct hostcpu *cpu)
{
	bool seen_vendor = false, seen_flags = false;
	const char *p = buf, *end = buf + len;

	memset(cpu, 0, sizeof(*cpu));
	cpu->module = KVM_MODULE_NONE;
	while (p < end && !(seen_vendor && seen_flags)) {
		const char *nl = memchr(p, '\n', end - p);
		size_t llen = (nl ? nl : end) - p, vlen;
		const char *v;

		/* A blank line ends the first processor's block: the others repeat it. */
		if (llen == 0 && (seen_vendor || seen_flags))
			break;
		if (!seen_vendor && (v = field_value(p, llen, "vendor_id", &vlen))) {
			note_vendor(v, vlen, cpu);
			seen_vendor = true;
		} else if (!seen_flags && (v = field_value(p, llen, "flags", &vlen))) {
			cpu->virt_flag = has_word(v, vlen, "vmx") || has_word(v, vlen, "svm");
			cpu->slat = has_word(v, vlen, "ept") || has_word(v, vlen, "npt");
			cpu->hypervisor = has_word(v, vlen, "hypervisor");
			seen_flags = true;
		}
		p += llen + 1;
	}
	if (!seen_vendor)
		return -ENOENT;
	return 0;
}

static int read_head(int fd, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;

	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += n;
	}
	*ret_len = len;
	return 0;
}

int hostcpu_read(int rootfd, struct hostcpu *cpu)
{
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd, r;

	memset(cpu, 0, sizeof(*cpu));
	cpu->module = KVM_MODULE_NONE;
	/* O_NONBLOCK: a FIFO in its place must not hang the boot; fstat then refuses it. */
	fd = openat(rootfd, "proc/cpuinfo", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (r < 0) {
		close(fd);
		return r;
	}
	buf = malloc(HOSTCPU_READ_MAX);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	r = read_head(fd, buf, HOSTCPU_READ_MAX, &len);
	close(fd);
	if (r == 0)
		r = hostcpu_parse(buf, len, cpu) == -ENOENT ? -ENODATA : 0;
	free(buf);
	return r;
}
