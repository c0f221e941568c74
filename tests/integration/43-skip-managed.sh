#!/bin/sh
# Domains another management layer owns (OpenStack nova, oVirt, KubeVirt, OpenNebula: known by
# the namespace of their <metadata> element) are skipped by `nestvirt rewrite` and by the first
# boot, with the layer and its own setting as the reason; --include-managed (rewrite) and
# include_managed = yes (nestvirt.conf) edit them too. Other metadata (libosinfo) changes nothing.
set -u
# shellcheck source=tests/fault/lib.sh
. "$(dirname "$0")/../fault/lib.sh"
scratch

Q=etc/libvirt/qemu
# meta NAME URI ELEMENT: a KVM domain with a custom model and <metadata><ELEMENT xmlns=URI/>.
meta() {
	domain "$1" kvm x86_64 "$CPU_MODEL" |
		sed "s|^  <memory |  <metadata>\n    <$3 xmlns=\"$2\"><x/></$3>\n  </metadata>\n  <memory |"
}

tree() {
	rm -rf "$1"
	make_clean_tree "$1"
	d=$1/$Q
	meta nova-1 http://openstack.org/xmlns/libvirt/nova/1.1 instance >"$d/nova-1.xml"
	meta nova-old http://openstack.org/xmlns/libvirt/nova/1.0 instance >"$d/nova-old.xml"
	meta ovirt-1 http://ovirt.org/vm/1.0 vm >"$d/ovirt-1.xml"
	meta vmi-1 http://kubevirt.io kubevirt >"$d/vmi-1.xml"
	meta one-1 http://opennebula.org/xmlns/libvirt/1.0 vm >"$d/one-1.xml"
	meta osinfo http://libosinfo.org/xmlns/libvirt/domain/1.0 libosinfo >"$d/osinfo.xml"
	meta notnova http://openstack.org/xmlns/libvirt/novax/1.0 instance >"$d/notnova.xml"
	chmod 600 "$d"/*.xml
}

R=$T/root
tree "$R"
cp -a "$R/$Q" "$T/before"

"$NV" rewrite --root "$R" >"$T/out" 2>&1
check "rewrite with managed domains present: exit 0 (skipped is not failed)" test $? -eq 0
check "... a nova 1.1 domain is skipped, naming nova and its nova.conf setting" grep -q \
	"nova-1.xml: skipped: managed by OpenStack nova, which regenerates this file: use nova.conf \[libvirt\] cpu_mode / cpu_model_extra_flags (--include-managed overrides)" "$T/out"
check "... a nova 1.0 domain too" grep -q "nova-old.xml: skipped: managed by OpenStack nova" "$T/out"
check "... an oVirt domain, naming the engine's setting" grep -q \
	"ovirt-1.xml: skipped: managed by oVirt (vdsm), which regenerates this file: use the VM's \"Pass-Through Host CPU\"" "$T/out"
check "... a KubeVirt domain, naming the VirtualMachine's cpu" grep -q \
	"vmi-1.xml: skipped: managed by KubeVirt, which regenerates this file: use the VirtualMachine's spec.template.spec.domain.cpu" "$T/out"
check "... an OpenNebula domain" grep -q "one-1.xml: skipped: managed by OpenNebula" "$T/out"
for n in nova-1 nova-old ovirt-1 vmi-1 one-1; do
	check "... $n.xml is byte for byte unchanged" cmp -s "$T/before/$n.xml" "$R/$Q/$n.xml"
done
check "... libosinfo metadata is no layer: osinfo.xml is changed" grep -q "osinfo.xml: changed" "$T/out"
check "... nor is a namespace that only starts like nova's" grep -q "notnova.xml: changed" "$T/out"

"$NV" rewrite --root "$R" --json >"$T/json" 2>&1
check "--json: the skip and its reason in the document" \
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["files"] if x["domain"] == "vmi-1"][0]
sys.exit(not (f["result"] == "skipped" and "KubeVirt" in f["reason"]))' "$T/json"

"$NV" rewrite --root "$R" --include-managed >"$T/out" 2>&1
check "--include-managed: exit 0" test $? -eq 0
check "... the nova domain is changed" grep -q "nova-1.xml: changed" "$T/out"
check "... and gets the feature" grep -q "<feature policy='require' name='vmx'/>" "$R/$Q/nova-1.xml"
check "... the KubeVirt domain too" grep -q "vmi-1.xml: changed" "$T/out"

# The first boot: the state nestvirt-early writes for nestvirt=1 on an Intel host.
state() {
	mkdir -p "$1/run/nestvirt"
	printf '%s\n' request=1 module=kvm_intel vendor=GenuineIntel virt_flag=1 hypervisor=0 \
		admin_nested= action=snippet nested_before=-1 nested_after=-1 reload_attempts=0 \
		'message=kvm_intel will load with nested=1' source=cmdline cpu= domains= exclude= \
		firstboot=1 >"$1/run/nestvirt/state"
}
tree "$R"
state "$R"
"$NV" firstboot --root "$R" >"$T/out" 2>&1
check "first boot with managed domains: exit 0" test $? -eq 0
check "... the stamp is written (skipping them is not a failure)" test -f "$R/var/lib/nestvirt/firstboot.done"
check "... the nova domain is skipped with the reason" grep -q \
	"nova-1.xml: skipped: managed by OpenStack nova" "$T/out"
check "... and left unchanged" cmp -s "$T/before/nova-1.xml" "$R/$Q/nova-1.xml"
check "... the other domains are rewritten" grep -q "web.xml: changed" "$T/out"

tree "$R"
state "$R"
mkdir -p "$R/etc/nestvirt"
printf 'include_managed = yes\n' >"$R/etc/nestvirt/nestvirt.conf"
"$NV" firstboot --root "$R" >"$T/out" 2>&1
check "include_managed = yes: the first boot exits 0" test $? -eq 0
check "... and rewrites the nova domain" grep -q "<feature policy='require' name='vmx'/>" "$R/$Q/nova-1.xml"
check "... the stamp records the option in the rewrite command" \
	grep -q "^rewrite=nestvirt rewrite .*--include-managed" "$R/var/lib/nestvirt/firstboot.done"

tree "$R"
state "$R"
mkdir -p "$R/etc/nestvirt"
printf 'include_managed = maybe\n' >"$R/etc/nestvirt/nestvirt.conf"
"$NV" firstboot --root "$R" >"$T/out" 2>&1
check "include_managed = maybe: the first boot fails (exit 1), naming the line" test $? -eq 1
check "... the message names the file, line and value" grep -q \
	"nestvirt.conf:1: include_managed = maybe: not a boolean" "$T/out"
check "... nothing is changed" cmp -s "$T/before/web.xml" "$R/$Q/web.xml"

done_testing
