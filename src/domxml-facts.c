// SPDX-License-Identifier: LGPL-2.1-or-later
/* What a domain document says about its guest's CPU, read with the edit's own reader. */
#include "domxml-facts.h"

#include <stdio.h>
#include <string.h>

#include "domxml-arena.h"
#include "domxml-cpu.h"
#include "domxml-scan.h"
#include "managed.h"

const struct managed_layer *domdoc_managed(const struct domdoc *d)
{
	const struct managed_layer *l;

	for (size_t i = 0; i < d->nmeta_ns; i++)
		if ((l = managed_match(d->meta_ns[i])))
			return l;
	return NULL;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

int domxml_facts_read(const char *buf, size_t len, struct domxml_facts *f)
{
	struct arena ar = {0};
	struct domdoc d;
	int r;

	memset(f, 0, sizeof(*f));
	r = domdoc_scan(&ar, buf, len, &d);
	if (r < 0)
		goto out;
	if (d.invalid) {
		copy(f->invalid, sizeof(f->invalid), d.invalid);
		goto out;
	}
	copy(f->type, sizeof(f->type), d.type);
	copy(f->arch, sizeof(f->arch), d.arch);
	f->cpu = d.cpu.present && !cpu_empty(&d.cpu);
	copy(f->mode, sizeof(f->mode), cpu_mode(&d.cpu));
	copy(f->model, sizeof(f->model), model_name(&d.cpu));
	copy(f->check, sizeof(f->check), attr_get(&d.cpu.attrs, "check"));
	copy(f->vmx, sizeof(f->vmx), feature_policy(&d.cpu, "vmx"));
	copy(f->svm, sizeof(f->svm), feature_policy(&d.cpu, "svm"));
	f->managed = domdoc_managed(&d);
out:
	arena_free(&ar);
	return r;
}
