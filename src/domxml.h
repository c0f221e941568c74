/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * The <cpu> edit of one libvirt domain document, in memory: bytes in, bytes out. libxml2
 * parses the document to understand it; the output is the input with only the bytes of the
 * <cpu> element replaced (or a new <cpu> inserted), so everything else stays byte-exact.
 * No I/O here: the config-dir walk (confdir.c) reads and writes files.
 */

struct cpuspec; /* cpuspec.h: a parsed virt-install --cpu SPEC */
struct cpumap;	/* cpumap.h: libvirt's CPU map (models, features) */

enum domxml_mode {
	DOMXML_MODE_FEATURE,	      /* vendor feature with policy='require' (the default) */
	DOMXML_MODE_HOST_PASSTHROUGH, /* switch mode as virt-xml does */
	DOMXML_MODE_HOST_MODEL,
	DOMXML_MODE_DISABLE, /* vendor feature with policy='disable' */
	DOMXML_MODE_SPEC,    /* apply a --cpu SPEC (request.spec) */
};

struct domxml_request {
	enum domxml_mode mode;
	const char *vendor_feature; /* "vmx" (Intel) or "svm" (AMD) */
	const struct cpuspec *spec; /* DOMXML_MODE_SPEC only */
	const struct cpumap *map;   /* optional: names are checked against it when set */
	bool override;		    /* also change a vendor feature that is disable/forbid */
	bool skip_managed; /* skip a domain another layer owns (managed.h): it regenerates it */
};

enum domxml_status {
	DOMXML_CHANGED,	  /* result.out holds the new document */
	DOMXML_UNCHANGED, /* already as requested (e.g. host-passthrough, feature present) */
	DOMXML_SKIPPED,	  /* deliberately left alone (not kvm, not x86, disabled feature …) */
	DOMXML_INVALID,	  /* refused: not well-formed, DOCTYPE/entities, not a <domain> … */
};

struct domxml_result {
	enum domxml_status status;
	char reason[256]; /* one line for humans: why skipped/invalid/unchanged, or what changed */
	char *out;	  /* malloc'd new document when status == DOMXML_CHANGED, else NULL */
	size_t out_len;
};

/* Apply @req to the document in @buf (@len bytes, need not be NUL-terminated). Returns 0 with
 * @res filled for every outcome of the document itself, negative errno only on ENOMEM and
 * similar failures of the process. */
int domxml_apply(const char *buf, size_t len, const struct domxml_request *req,
		 struct domxml_result *res);

/* Whether every CPU model and feature name @req would write is in @req->map (always 0 without
 * a map). -ENOENT with "unknown CPU model 'x'; close matches: …" in @reason otherwise. The
 * same check runs in domxml_apply; callers may run it once up front. */
int domxml_check_names(const struct domxml_request *req, char *reason, size_t len);

/* Free what domxml_apply put in @res. */
void domxml_result_free(struct domxml_result *res);
