// SPDX-License-Identifier: LGPL-2.1-or-later
/* Which <metadata> namespaces belong to a management layer, and the setting each names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "managed.h"

static const char *layer(const char *uri)
{
	const struct managed_layer *l = managed_match(uri);

	return l ? l->name : NULL;
}

static void test_nova_is_known_by_both_versions_of_its_namespace(void **state)
{
	(void)state;
	assert_string_equal(layer("http://openstack.org/xmlns/libvirt/nova/1.0"), "OpenStack nova");
	assert_string_equal(layer("http://openstack.org/xmlns/libvirt/nova/1.1"), "OpenStack nova");
}

static void test_ovirt_is_known_by_the_vm_and_tune_namespaces(void **state)
{
	(void)state;
	assert_string_equal(layer("http://ovirt.org/vm/1.0"), "oVirt (vdsm)");
	assert_string_equal(layer("http://ovirt.org/vm/tune/1.0"), "oVirt (vdsm)");
}

static void test_kubevirt_and_opennebula_are_known(void **state)
{
	(void)state;
	assert_string_equal(layer("http://kubevirt.io"), "KubeVirt");
	assert_string_equal(layer("http://kubevirt.io/v2"), "KubeVirt");
	assert_string_equal(layer("http://opennebula.org/xmlns/libvirt/1.0"), "OpenNebula");
}

static void test_other_namespaces_are_no_layer(void **state)
{
	(void)state;
	assert_null(layer("http://libosinfo.org/xmlns/libvirt/domain/1.0"));
	assert_null(layer("http://kubevirt.iox"));
	assert_null(layer("http://openstack.org/xmlns/libvirt/novax/1.0"));
	assert_null(layer("http://openstack.org/xmlns/libvirt/nova"));
	assert_null(layer(""));
	assert_null(layer(NULL));
}

static void test_the_setting_names_the_layers_knob_and_the_flag(void **state)
{
	char buf[512];

	(void)state;
	managed_setting(managed_match("http://openstack.org/xmlns/libvirt/nova/1.1"), "svm", buf,
			sizeof(buf));
	assert_non_null(strstr(buf, "nova.conf [libvirt] cpu_mode = host-passthrough"));
	assert_non_null(strstr(buf, "cpu_model_extra_flags = svm"));
	managed_setting(managed_match("http://kubevirt.io"), "vmx", buf, sizeof(buf));
	assert_non_null(strstr(buf, "features: [{name: vmx, policy: require}]"));
	managed_setting(managed_match("http://ovirt.org/vm/1.0"), NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "Pass-Through Host CPU"));
	assert_non_null(strstr(buf, "vmx/svm"));
}

static void test_every_layer_has_a_name_uri_and_knob(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; managed_layer_at(i); i++) {
		const struct managed_layer *l = managed_layer_at(i);

		assert_true(strlen(l->name) > 0);
		assert_ptr_equal(managed_match(l->uri), l);
		assert_true(strlen(l->knob) > 0);
	}
	assert_int_equal(i, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nova_is_known_by_both_versions_of_its_namespace),
	    cmocka_unit_test(test_ovirt_is_known_by_the_vm_and_tune_namespaces),
	    cmocka_unit_test(test_kubevirt_and_opennebula_are_known),
	    cmocka_unit_test(test_other_namespaces_are_no_layer),
	    cmocka_unit_test(test_the_setting_names_the_layers_knob_and_the_flag),
	    cmocka_unit_test(test_every_layer_has_a_name_uri_and_knob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
