// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The management layers that own libvirt domains, by the namespace of their <metadata>
 * element. The URIs are the ones each project writes:
 *   nova     nova/virt/libvirt/config.py NOVA_NS "http://openstack.org/xmlns/libvirt/nova/1.0"
 *            (1.1 in later releases): <nova:instance xmlns:nova="…">
 *   vdsm     lib/vdsm/virt/xmlconstants.py METADATA_VM_VDSM_URI "http://ovirt.org/vm/1.0",
 *            METADATA_VM_TUNE_URI "http://ovirt.org/vm/tune/1.0"
 *   KubeVirt pkg/virt-launcher/virtwrap/api/schema.go `xml:"http://kubevirt.io kubevirt"`
 *   OpenNebula src/vmm/LibVirtDriverKVM.cc <one:vm
 * xmlns:one="http://opennebula.org/xmlns/libvirt/1.0">
 */
#include "managed.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum layer_id { L_NOVA, L_OVIRT, L_KUBEVIRT, L_OPENNEBULA, L_COUNT };

static const struct managed_layer layers[L_COUNT] = {
    [L_NOVA] = {"OpenStack nova", "http://openstack.org/xmlns/libvirt/nova/",
		"nova.conf [libvirt] cpu_mode / cpu_model_extra_flags"},
    [L_OVIRT] = {"oVirt (vdsm)", "http://ovirt.org/vm/",
		 "the VM's \"Pass-Through Host CPU\" in the oVirt engine"},
    [L_KUBEVIRT] = {"KubeVirt", "http://kubevirt.io",
		    "the VirtualMachine's spec.template.spec.domain.cpu"},
    [L_OPENNEBULA] = {"OpenNebula", "http://opennebula.org/xmlns/libvirt/",
		      "the VM template's CPU_MODEL"},
};

/* @uri is @stem itself or below it: "stem/…" ("stem" ending in '/' already takes any tail). */
static bool uri_under(const char *uri, const char *stem)
{
	size_t n = strlen(stem);

	if (strncmp(uri, stem, n))
		return false;
	return stem[n - 1] == '/' || uri[n] == '\0' || uri[n] == '/';
}

const struct managed_layer *managed_match(const char *uri)
{
	if (!uri)
		return NULL;
	for (size_t i = 0; i < L_COUNT; i++)
		if (uri_under(uri, layers[i].uri))
			return &layers[i];
	return NULL;
}

const struct managed_layer *managed_layer_at(size_t i)
{
	return i < L_COUNT ? &layers[i] : NULL;
}

void managed_setting(const struct managed_layer *l, const char *flag, char *buf, size_t size)
{
	const char *f = flag && strcmp(flag, "none") ? flag : "vmx/svm";

	switch (l - layers) {
	case L_NOVA:
		snprintf(
		    buf, size,
		    "nova.conf [libvirt] cpu_mode = host-passthrough, or cpu_mode = custom with "
		    "cpu_models and cpu_model_extra_flags = %s; restart nova-compute, then hard "
		    "reboot the instance (openstack server reboot --hard)",
		    f);
		break;
	case L_OVIRT:
		snprintf(buf, size,
			 "in the oVirt engine: the VM's Host tab \"Pass-Through Host CPU\" (or a "
			 "cluster CPU type with %s), then power the VM off and on; vdsm writes the "
			 "domain at each start",
			 f);
		break;
	case L_KUBEVIRT:
		snprintf(
		    buf, size,
		    "the VirtualMachine's spec.template.spec.domain.cpu: model: host-passthrough, "
		    "or features: [{name: %s, policy: require}]; then restart the VM (virtctl "
		    "restart)",
		    f);
		break;
	case L_OPENNEBULA:
		snprintf(
		    buf, size,
		    "the VM template's CPU_MODEL = [ MODEL = \"host-passthrough\" ] (or "
		    "FEATURES = \"%s\"), or the default in /etc/one/vmm_exec/vmm_exec_kvm.conf; "
		    "then undeploy and resume the VM",
		    f);
		break;
	default:
		snprintf(buf, size, "the settings of %s", l->name);
	}
}
