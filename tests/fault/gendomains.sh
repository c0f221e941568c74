#!/bin/sh
# gendomains.sh DIR COUNT [changing]: write COUNT libvirt domain files of about 6 KB into DIR, the way
# libvirt 9.0 stores what virt-install 4.1 defines (header comment, single quotes, two-space
# indent), from five templates that differ in the <cpu> and the devices:
#   i % 10 in 0-3: custom model with features   (the rewrite adds the vendor feature)
#   i % 10 in 4-5: no <cpu> at all               (the rewrite adds a <cpu>)
#   i % 10 == 6:   host-model, Windows guest     (the rewrite adds the vendor feature)
#   i % 10 == 7:   host-passthrough, no graphics (already fine)
#   i % 10 in 8-9: custom model, vmx and svm already required (already fine)
# With "changing", only the kinds that need the edit (i % 7 in 0-6): every file changes.
# Names are vm00000.xml …; one awk process writes them all.
set -eu
[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: $0 DIR COUNT [changing]" >&2; exit 2; }
kinds=10
[ "${3:-}" != changing ] || kinds=7
mkdir -p "$1"
cd "$1"
exec awk -v count="$2" -v kinds="$kinds" '
function hex(n, w) { return sprintf("%0" w "x", n) }
function cpu(t) {
	if (t <= 3)
		return "  <cpu mode=\x27custom\x27 match=\x27exact\x27 check=\x27partial\x27>\n" \
		       "    <model fallback=\x27allow\x27>Skylake-Client-IBRS</model>\n" \
		       "    <vendor>Intel</vendor>\n" \
		       "    <topology sockets=\x271\x27 dies=\x271\x27 cores=\x272\x27 threads=\x272\x27/>\n" \
		       "    <feature policy=\x27require\x27 name=\x27ssbd\x27/>\n" \
		       "    <feature policy=\x27require\x27 name=\x27md-clear\x27/>\n" \
		       "    <feature policy=\x27disable\x27 name=\x27hle\x27/>\n" \
		       "    <feature policy=\x27disable\x27 name=\x27rtm\x27/>\n" \
		       "  </cpu>\n"
	if (t <= 5)
		return ""
	if (t == 6)
		return "  <cpu mode=\x27host-model\x27 check=\x27partial\x27>\n" \
		       "    <topology sockets=\x271\x27 dies=\x271\x27 cores=\x274\x27 threads=\x271\x27/>\n" \
		       "  </cpu>\n"
	if (t == 7)
		return "  <cpu mode=\x27host-passthrough\x27 check=\x27none\x27 migratable=\x27on\x27/>\n"
	return "  <cpu mode=\x27custom\x27 match=\x27exact\x27 check=\x27none\x27>\n" \
	       "    <model fallback=\x27forbid\x27>EPYC-Rome</model>\n" \
	       "    <feature policy=\x27require\x27 name=\x27vmx\x27/>\n" \
	       "    <feature policy=\x27require\x27 name=\x27svm\x27/>\n" \
	       "  </cpu>\n"
}
function features(t) {
	if (t != 6)
		return "  <features>\n    <acpi/>\n    <apic/>\n    <vmport state=\x27off\x27/>\n  </features>\n"
	return "  <features>\n    <acpi/>\n    <apic/>\n    <hyperv mode=\x27custom\x27>\n" \
	       "      <relaxed state=\x27on\x27/>\n      <vapic state=\x27on\x27/>\n" \
	       "      <spinlocks state=\x27on\x27 retries=\x278191\x27/>\n" \
	       "      <vpindex state=\x27on\x27/>\n      <synic state=\x27on\x27/>\n" \
	       "      <stimer state=\x27on\x27/>\n    </hyperv>\n    <vmport state=\x27off\x27/>\n" \
	       "  </features>\n"
}
function root_ports(   s, i) {
	s = ""
	for (i = 1; i <= 8; i++)
		s = s "    <controller type=\x27pci\x27 index=\x27" i "\x27 model=\x27pcie-root-port\x27>\n" \
		      "      <model name=\x27pcie-root-port\x27/>\n" \
		      "      <target chassis=\x27" i "\x27 port=\x270x" hex(15 + i, 1) "\x27/>\n" \
		      "      <address type=\x27pci\x27 domain=\x270x0000\x27 bus=\x270x00\x27 slot=\x270x02\x27 function=\x270x" (i - 1) "\x27" (i == 1 ? " multifunction=\x27on\x27" : "") "/>\n" \
		      "    </controller>\n"
	return s
}
function graphics(t) {
	if (t == 7)
		return ""
	return "    <input type=\x27tablet\x27 bus=\x27usb\x27>\n      <address type=\x27usb\x27 bus=\x270\x27 port=\x271\x27/>\n    </input>\n" \
	       "    <graphics type=\x27spice\x27 autoport=\x27yes\x27>\n      <listen type=\x27address\x27/>\n      <image compression=\x27off\x27/>\n    </graphics>\n" \
	       "    <sound model=\x27ich9\x27>\n      <address type=\x27pci\x27 domain=\x270x0000\x27 bus=\x270x00\x27 slot=\x270x1b\x27 function=\x270x0\x27/>\n    </sound>\n" \
	       "    <audio id=\x271\x27 type=\x27spice\x27/>\n" \
	       "    <video>\n      <model type=\x27qxl\x27 ram=\x2765536\x27 vram=\x2765536\x27 vgamem=\x2716384\x27 heads=\x271\x27 primary=\x27yes\x27/>\n" \
	       "      <address type=\x27pci\x27 domain=\x270x0000\x27 bus=\x270x00\x27 slot=\x270x01\x27 function=\x270x0\x27/>\n    </video>\n" \
	       "    <redirdev bus=\x27usb\x27 type=\x27spicevmc\x27>\n      <address type=\x27usb\x27 bus=\x270\x27 port=\x272\x27/>\n    </redirdev>\n" \
	       "    <redirdev bus=\x27usb\x27 type=\x27spicevmc\x27>\n      <address type=\x27usb\x27 bus=\x270\x27 port=\x273\x27/>\n    </redirdev>\n"
}
BEGIN {
	ports = root_ports()
	for (i = 0; i < count; i++) {
		t = i % kinds
		name = sprintf("vm%05d", i)
		file = name ".xml"
		os = t == 6 ? "http://microsoft.com/win/10" : "http://debian.org/debian/12"
		printf "<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n" \
		       "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n" \
		       "  virsh edit %s\nor other application using the libvirt API.\n-->\n\n", name > file
		printf "<domain type=\x27kvm\x27>\n  <name>%s</name>\n  <uuid>%s-%s-4%s-8%s-%s</uuid>\n", \
		       name, hex(i, 8), hex(i % 65536, 4), hex(i % 4096, 3), hex(i % 4096, 3), hex(i * 7919, 12) > file
		printf "  <metadata>\n    <libosinfo:libosinfo xmlns:libosinfo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\">\n" \
		       "      <libosinfo:os id=\"%s\"/>\n    </libosinfo:libosinfo>\n  </metadata>\n", os > file
		printf "  <memory unit=\x27KiB\x27>4194304</memory>\n  <currentMemory unit=\x27KiB\x27>4194304</currentMemory>\n" \
		       "  <vcpu placement=\x27static\x27>4</vcpu>\n  <os>\n" \
		       "    <type arch=\x27x86_64\x27 machine=\x27pc-q35-7.2\x27>hvm</type>\n    <boot dev=\x27hd\x27/>\n  </os>\n" > file
		printf "%s%s", features(t), cpu(t) > file
		printf "  <clock offset=\x27%s\x27>\n    <timer name=\x27rtc\x27 tickpolicy=\x27catchup\x27/>\n" \
		       "    <timer name=\x27pit\x27 tickpolicy=\x27delay\x27/>\n    <timer name=\x27hpet\x27 present=\x27no\x27/>\n  </clock>\n", \
		       t == 6 ? "localtime" : "utc" > file
		printf "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n  <on_crash>destroy</on_crash>\n" \
		       "  <pm>\n    <suspend-to-mem enabled=\x27no\x27/>\n    <suspend-to-disk enabled=\x27no\x27/>\n  </pm>\n" > file
		printf "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n" \
		       "    <disk type=\x27file\x27 device=\x27disk\x27>\n      <driver name=\x27qemu\x27 type=\x27qcow2\x27 discard=\x27unmap\x27/>\n" \
		       "      <source file=\x27/var/lib/libvirt/images/%s.qcow2\x27/>\n      <target dev=\x27vda\x27 bus=\x27virtio\x27/>\n" \
		       "      <address type=\x27pci\x27 domain=\x270x0000\x27 bus=\x270x04\x27 slot=\x270x00\x27 function=\x270x0\x27/>\n    </disk>\n", name > file
		printf "    <disk type=\x27file\x27 device=\x27cdrom\x27>\n      <driver name=\x27qemu\x27 type=\x27raw\x27/>\n" \
		       "      <target dev=\x27sda\x27 bus=\x27sata\x27/>\n      <readonly/>\n" \
		       "      <address type=\x27drive\x27 controller=\x270\x27 bus=\x270\x27 target=\x270\x27 unit=\x270\x27/>\n    </disk>\n" > file
		printf "    <controller type=\x27usb\x27 index=\x270\x27 model=\x27qemu-xhci\x27 ports=\x2715\x27>\n" \
		       "      <address type=\x27pci\x27 domain=\x270x0000\x27 bus=\x270x02\x27 slot=\x270x00\x27 function=\x270x0\x27/>\n    </controller>\n" \
		       "    <controller type=\x27pci\x27 index=\x270\x27 model=\x27pcie-root\x27/>\n%s", ports > file
		printf "    <controller type=\x27sata\x27 index=\x270\x27>\n" \
		       "      <address type=\x27pci\x27 domain=\x270x0000\x27 bus=\x270x00\x27 slot=\x270x1f\x27 function=\x270x2\x27/>\n    </controller>\n" \
		       "    <controller type=\x27virtio-serial\x27 index=\x270\x27>\n" \
		       "      <address type=\x27pci\x27 domain=\x270x0000\x27 bus=\x270x03\x27 slot=\x270x00\x27 function=\x270x0\x27/>\n    </controller>\n" > file
		printf "    <interface type=\x27network\x27>\n      <mac address=\x2752:54:00:%s:%s:%s\x27/>\n" \
		       "      <source network=\x27default\x27/>\n      <model type=\x27virtio\x27/>\n" \
		       "      <address type=\x27pci\x27 domain=\x270x0000\x27 bus=\x270x01\x27 slot=\x270x00\x27 function=\x270x0\x27/>\n    </interface>\n", \
		       hex(int(i / 65536) % 256, 2), hex(int(i / 256) % 256, 2), hex(i % 256, 2) > file
		printf "    <serial type=\x27pty\x27>\n      <target type=\x27isa-serial\x27 port=\x270\x27>\n        <model name=\x27isa-serial\x27/>\n      </target>\n    </serial>\n" \
		       "    <console type=\x27pty\x27>\n      <target type=\x27serial\x27 port=\x270\x27/>\n    </console>\n" \
		       "    <channel type=\x27unix\x27>\n      <target type=\x27virtio\x27 name=\x27org.qemu.guest_agent.0\x27/>\n" \
		       "      <address type=\x27virtio-serial\x27 controller=\x270\x27 bus=\x270\x27 port=\x271\x27/>\n    </channel>\n" > file
		printf "%s    <input type=\x27mouse\x27 bus=\x27ps2\x27/>\n    <input type=\x27keyboard\x27 bus=\x27ps2\x27/>\n", graphics(t) > file
		printf "    <memballoon model=\x27virtio\x27>\n" \
		       "      <address type=\x27pci\x27 domain=\x270x0000\x27 bus=\x270x05\x27 slot=\x270x00\x27 function=\x270x0\x27/>\n    </memballoon>\n" \
		       "    <rng model=\x27virtio\x27>\n      <backend model=\x27random\x27>/dev/urandom</backend>\n" \
		       "      <address type=\x27pci\x27 domain=\x270x0000\x27 bus=\x270x06\x27 slot=\x270x00\x27 function=\x270x0\x27/>\n    </rng>\n" \
		       "  </devices>\n</domain>\n" > file
		close(file)
	}
}' </dev/null
