// SPDX-License-Identifier: LGPL-2.1-or-later
/* The cpuinfo parser never crashes; a vendor it maps always names a module it knows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostcpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hostcpu cpu;

	if (hostcpu_parse((const char *)data, size, &cpu) < 0)
		return 0;
	if (!memchr(cpu.vendor, '\0', sizeof(cpu.vendor)))
		abort();
	if (cpu.module != KVM_MODULE_NONE && cpu.module != KVM_MODULE_INTEL &&
	    cpu.module != KVM_MODULE_AMD)
		abort();
	return 0;
}
