// SPDX-License-Identifier: LGPL-2.1-or-later
/* guests_scan over fake roots: running and saved state, the first boot's selection, files
 * that are no domain, a missing directory; and the report in both forms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "guests.h"
#include "testroot.h"

#define Q "etc/libvirt/qemu/"
#define DOMAIN(cpu)                                                                                \
	"<domain type='kvm'><name>x</name><os><type arch='x86_64'>hvm</type></os>" cpu "</"        \
	"domain>\n"
#define EPYC "<cpu mode='custom'><model>EPYC</model></cpu>"
#define SVM  "<cpu mode='custom'><model>EPYC</model><feature policy='require' name='svm'/></cpu>"

static const struct guests_host amd_on = {KVM_MODULE_AMD, 1, 1};

static struct testroot root;
static struct guests_report *rep;
static char *text, *json;

static void scan(void)
{
	size_t len;
	FILE *m;

	guests_report_free(rep);
	free(text);
	free(json);
	assert_int_equal(guests_scan(root.fd, "etc/libvirt/qemu", &amd_on, &rep), 0);
	m = open_memstream(&text, &len);
	guests_write_text(rep, m);
	fclose(m);
	m = open_memstream(&json, &len);
	guests_write_json(rep, m);
	fclose(m);
}

static int setup(void **state)
{
	(void)state;
	testroot_init(&root);
	rep = NULL;
	text = json = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	guests_report_free(rep);
	free(text);
	free(json);
	testroot_cleanup(&root);
	return 0;
}

static void test_each_domain_gets_a_line_and_each_problem_a_do_line(void **state)
{
	(void)state;
	testroot_write(&root, Q "web.xml", DOMAIN(SVM));
	testroot_write(&root, Q "db.xml", DOMAIN(EPYC));
	scan();
	assert_int_equal(guests_count(rep), 2);
	assert_int_equal(guests_problems(rep), 1);
	assert_non_null(strstr(text, "guests:      /etc/libvirt/qemu: 2 domains, 1 will not see "
				     "svm until rewritten\n"));
	assert_non_null(strstr(text, "\n  db: sees svm: NO; custom model 'EPYC' without svm"));
	assert_non_null(strstr(text, "\n    do: nestvirt rewrite --domain db\n"));
	assert_non_null(strstr(text, "\n  web: sees svm: yes; <cpu> has svm with policy 'require' "
				     "and nesting is on\n"));
	assert_non_null(strstr(json, "{\"dir\": \"/etc/libvirt/qemu\", \"error\": null, \"count\": "
				     "2, \"problems\": 1, \"domains\": ["));
	assert_non_null(strstr(json,
			       "{\"name\": \"db\", \"file\": \"db.xml\", \"cpu\": \"custom\", "
			       "\"feature_policy\": null, \"sees\": \"no\", \"start\": \"ok\", "
			       "\"running\": false, \"managed_save\": false, \"managed_by\": "
			       "null, \"reason\": "));
}

static void test_running_is_the_status_file_or_the_pid_file_and_saved_the_image(void **state)
{
	(void)state;
	testroot_write(&root, Q "a.xml", DOMAIN(SVM));
	testroot_write(&root, Q "b.xml", DOMAIN(SVM));
	testroot_write(&root, Q "c.xml", DOMAIN(SVM));
	testroot_write(&root, "run/libvirt/qemu/a.xml", "<domstatus/>");
	testroot_write(&root, "run/libvirt/qemu/b.pid", "1234");
	testroot_write(&root, "var/lib/libvirt/qemu/save/c.save", "image");
	scan();
	assert_non_null(strstr(json,
			       "\"name\": \"a\", \"file\": \"a.xml\", \"cpu\": \"feature\", "
			       "\"feature_policy\": \"require\", \"sees\": \"yes\", \"start\": "
			       "\"ok\", \"running\": true, \"managed_save\": false"));
	assert_non_null(strstr(json,
			       "\"name\": \"b\", \"file\": \"b.xml\", \"cpu\": \"feature\", "
			       "\"feature_policy\": \"require\", \"sees\": \"yes\", \"start\": "
			       "\"ok\", \"running\": true"));
	assert_non_null(strstr(json, "\"start\": \"ok\", \"running\": false, \"managed_save\": "
				     "true"));
}

static void test_a_run_dir_that_is_a_file_makes_running_unknown(void **state)
{
	(void)state;
	testroot_write(&root, Q "a.xml", DOMAIN(SVM));
	testroot_write(&root, "run/libvirt/qemu", "not a dir");
	scan();
	assert_non_null(strstr(json, "\"running\": null, \"managed_save\": false"));
}

static void test_domains_the_first_boot_excludes_are_no_problem(void **state)
{
	(void)state;
	testroot_write(&root, Q "scratch-1.xml", DOMAIN(EPYC));
	testroot_write(&root, Q "web.xml", DOMAIN(EPYC));
	testroot_write(&root, "etc/nestvirt/nestvirt.conf", "exclude = scratch-*\n");
	scan();
	assert_int_equal(guests_problems(rep), 1);
	assert_non_null(strstr(text, "; not selected for the first boot (nestvirt.conf "
				     "domains/exclude)\n"));
}

static void test_this_boots_domains_override_replaces_the_files(void **state)
{
	(void)state;
	testroot_write(&root, Q "web.xml", DOMAIN(EPYC));
	testroot_write(&root, Q "db.xml", DOMAIN(EPYC));
	testroot_write(&root, "etc/nestvirt/nestvirt.conf", "domains = web\n");
	testroot_write(&root, "run/nestvirt/state", "request=1\ndomains=db\n");
	scan();
	assert_int_equal(guests_problems(rep), 1);
	assert_non_null(strstr(text, "\n    do: nestvirt rewrite --domain db\n"));
}

static void test_managed_domains_are_reported_with_the_layers_setting(void **state)
{
	(void)state;
	testroot_write(&root, Q "instance-1.xml",
		       "<domain type='kvm'><name>i</name><metadata><nova:instance "
		       "xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'/></metadata>"
		       "<os><type arch='x86_64'>hvm</type></os></domain>");
	scan();
	assert_int_equal(guests_problems(rep), 0);
	assert_non_null(strstr(json, "\"managed_by\": \"OpenStack nova\""));
	assert_non_null(strstr(json, "\"action\": \"nova.conf [libvirt] cpu_mode = "
				     "host-passthrough"));
	assert_non_null(strstr(text, "managed by OpenStack nova, which regenerates this file"));
}

static void test_files_that_are_no_domain_are_unknown_with_the_reason(void **state)
{
	char path[512];

	(void)state;
	testroot_write(&root, Q "web.xml", DOMAIN(SVM));
	testroot_write(&root, Q "net.xml", "<network><name>n</name></network>");
	testroot_write(&root, Q "broken.xml", "<domain type='kvm'><name>");
	testroot_write(&root, Q "empty.xml", "");
	snprintf(path, sizeof(path), "%s/" Q "link.xml", root.path);
	assert_int_equal(symlink("web.xml", path), 0);
	snprintf(path, sizeof(path), "%s/" Q "fifo.xml", root.path);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/" Q "dir.xml", root.path);
	assert_int_equal(mkdir(path, 0755), 0);
	scan();
	assert_int_equal(guests_count(rep), 7);
	assert_int_equal(guests_problems(rep), 0);
	assert_non_null(
	    strstr(text, "\n  link: sees svm: unknown; not read: is a symbolic link\n"));
	assert_non_null(strstr(text, "\n  fifo: sees svm: unknown; not read: is a FIFO\n"));
	assert_non_null(strstr(text, "\n  dir: sees svm: unknown; not read: is a directory\n"));
	assert_non_null(strstr(text, "\n  net: sees svm: unknown; libvirt does not load it: the "
				     "root element is not <domain>\n"));
	assert_non_null(strstr(text, "\n  broken: sees svm: unknown; libvirt does not load it: "
				     "not well-formed XML (line 1"));
	assert_non_null(strstr(text, "\n  empty: sees svm: unknown; libvirt does not load it: "
				     "empty\n"));
	assert_non_null(strstr(json, "\"file\": \"fifo.xml\", \"cpu\": \"unparseable\", "
				     "\"feature_policy\": null, \"sees\": \"unknown\", \"start\": "
				     "\"unknown\""));
}

static void test_a_missing_directory_is_an_error_in_the_report(void **state)
{
	(void)state;
	scan();
	assert_int_equal(guests_count(rep), 0);
	assert_string_equal(json, "{\"dir\": \"/etc/libvirt/qemu\", \"error\": \"does not exist "
				  "(libvirt's QEMU driver is not set up)\", \"count\": 0, "
				  "\"problems\": 0, \"domains\": []}");
	assert_string_equal(text, "guests:      /etc/libvirt/qemu: does not exist (libvirt's QEMU "
				  "driver is not set up)\n");
}

static void test_a_symlinked_directory_is_not_followed(void **state)
{
	char path[512];

	(void)state;
	testroot_write(&root, "srv/qemu/web.xml", DOMAIN(SVM));
	testroot_mkdirs(&root, "etc/libvirt");
	snprintf(path, sizeof(path), "%s/etc/libvirt/qemu", root.path);
	assert_int_equal(symlink("../../srv/qemu", path), 0);
	scan();
	assert_int_equal(guests_count(rep), 0);
	assert_non_null(strstr(json, "\"error\": \"is not a directory (or is a symbolic link, not "
				     "followed)\""));
}

static void test_an_empty_directory_says_so(void **state)
{
	(void)state;
	testroot_mkdirs(&root, "etc/libvirt/qemu/autostart");
	scan();
	assert_string_equal(text, "guests:      /etc/libvirt/qemu: no stored domains\n");
	assert_string_equal(json, "{\"dir\": \"/etc/libvirt/qemu\", \"error\": null, \"count\": 0, "
				  "\"problems\": 0, \"domains\": []}");
}

static void test_names_with_control_and_high_bytes_stay_one_line_and_valid_json(void **state)
{
	(void)state;
	testroot_write(&root, Q "a\nb\xff.xml", DOMAIN(EPYC));
	scan();
	assert_non_null(strstr(text, "\n  a\\nb\xff: sees svm: NO;"));
	assert_non_null(strstr(json, "\"name\": \"a\\nb\\ufffd\", \"file\": \"a\\nb\\ufffd.xml\""));
	assert_non_null(strstr(text, "    do: nestvirt rewrite --domain 'a\\nb\xff'\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_each_domain_gets_a_line_and_each_problem_a_do_line,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_running_is_the_status_file_or_the_pid_file_and_saved_the_image, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_a_run_dir_that_is_a_file_makes_running_unknown,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_domains_the_first_boot_excludes_are_no_problem,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_this_boots_domains_override_replaces_the_files,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_managed_domains_are_reported_with_the_layers_setting, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_files_that_are_no_domain_are_unknown_with_the_reason, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_missing_directory_is_an_error_in_the_report,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_symlinked_directory_is_not_followed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_an_empty_directory_says_so, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_names_with_control_and_high_bytes_stay_one_line_and_valid_json, setup,
		teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
