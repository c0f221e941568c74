#!/bin/sh
# nestvirt demo on a bundled sample host (tests/data/hosts/amd-nested-off): an AMD host whose
# admin once shipped "options kvm_amd nested=0", booted with nestvirt=1, with five stored
# libvirt domains (tests/data/firstboot). Shows status before, runs the boot helper exactly as
# the initramfs does, then the first-boot rewrite exactly as nestvirt-firstboot.service does
# before libvirt starts (with a short diff), then status after. Everything is re-rooted into a
# copy of the sample, so nothing on this machine changes and no module is touched.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh build
make -s all >/dev/null

sample=tests/data/hosts/amd-nested-off
root=$(mktemp -d /tmp/nestvirt-demo.XXXXXX)
trap 'rm -rf "$root"' EXIT
cp -a "$sample/." "$root/"
mkdir -p "$root/etc/libvirt/qemu" "$root/etc/nestvirt"
cp -p tests/data/firstboot/qemu/*.xml "$root/etc/libvirt/qemu/"
cp tests/data/firstboot/nestvirt.conf "$root/etc/nestvirt/nestvirt.conf"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "The sample host: $sample"
echo "kernel command line: $(cat "$root/proc/cmdline")"
echo "CPU: $(grep -m1 '^model name' "$root/proc/cpuinfo" | cut -d: -f2-)"
echo "/etc/modprobe.d/kvm-amd.conf:"; sed 's/^/    /' "$root/etc/modprobe.d/kvm-amd.conf"
echo "/etc/libvirt/qemu: $(cd "$root/etc/libvirt/qemu" && echo *.xml)"
echo "/etc/nestvirt/nestvirt.conf:"; sed 's/^/    /' "$root/etc/nestvirt/nestvirt.conf"

step "nestvirt status (before the boot helper ran)"
build/nestvirt status --root "$root" || true

step "nestvirt-early --root $root   (what the dracut hook runs at boot)"
build/nestvirt-early --root "$root"
echo "/run/modprobe.d/zz-nestvirt.conf:"; sed 's/^/    /' "$root/run/modprobe.d/zz-nestvirt.conf"
echo "/run/nestvirt/state:"; sed 's/^/    /' "$root/run/nestvirt/state"

step "kmod's own modprobe, reading the sample's modprobe.d dirs"
modprobe -C "$root/etc/modprobe.d" -C "$root/run/modprobe.d" -c 2>/dev/null | grep '^options kvm_amd' ||
	echo "(modprobe not installed)"

step "nestvirt firstboot --root $root   (what nestvirt-firstboot.service runs before libvirtd)"
build/nestvirt firstboot --root "$root"
echo "web.xml, as libvirtd will load it:"
(cd "$root/etc/libvirt/qemu" && diff -u --label a/web.xml --label b/web.xml web.xml.nestvirt-orig web.xml | sed 's/^/    /') || true
echo "/var/lib/nestvirt/firstboot.done:"; grep -v '^#' "$root/var/lib/nestvirt/firstboot.done" | sed 's/^/    /'

step "The next boot: the unit's condition sees the stamp, so systemd starts no process"
if systemd-analyze condition "ConditionPathExists=!$root/var/lib/nestvirt/firstboot.done" >/dev/null 2>&1; then
	echo "(unexpected: the condition passed)"
else
	echo "systemd-analyze condition 'ConditionPathExists=!/var/lib/nestvirt/firstboot.done': fails -> skipped"
fi
echo "and the command itself, run by hand, does nothing:"
build/nestvirt firstboot --root "$root"

step "nestvirt status (after): exit 0 means nesting is as requested"
build/nestvirt status --root "$root"
