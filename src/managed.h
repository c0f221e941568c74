/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * Domains another management layer owns. OpenStack nova, oVirt's vdsm, KubeVirt and
 * OpenNebula write their own element into the domain's <metadata> and regenerate the whole
 * domain XML from their own database at the next (hard) start, so an offline edit of the
 * stored file is silently lost. They are recognised by the namespace URI of that element;
 * the CPU is then changed through the layer's own setting. Pure: strings in, strings out.
 */

struct managed_layer {
	const char *name; /* "OpenStack nova" */
	const char *uri;  /* the namespace URI, or its stem when versions differ */
	const char *knob; /* its setting in a few words: "nova.conf [libvirt] cpu_mode, …" */
};

/* The layer whose metadata namespace @uri is, or NULL for any other namespace (libosinfo,
 * an admin's own …). */
const struct managed_layer *managed_match(const char *uri);

/* The layer's own setting that gives its guests the extension @flag ("vmx"/"svm"; NULL or
 * "none" when unknown), one line for people, into @buf. */
void managed_setting(const struct managed_layer *l, const char *flag, char *buf, size_t size);

/* The layers known, for documentation and tests: @i from 0 until NULL. */
const struct managed_layer *managed_layer_at(size_t i);
