#!/bin/sh
# nestvirt demo on a bundled sample host (tests/data/hosts/amd-nested-off): an AMD host whose
# admin once shipped "options kvm_amd nested=0", booted with nestvirt=1. Shows status before,
# runs the boot helper exactly as the initramfs does (re-rooted into a copy of the sample, so
# nothing on this machine changes and no module is touched), then status after.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh build
make -s all >/dev/null

sample=tests/data/hosts/amd-nested-off
root=$(mktemp -d /tmp/nestvirt-demo.XXXXXX)
trap 'rm -rf "$root"' EXIT
cp -a "$sample/." "$root/"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "The sample host: $sample"
echo "kernel command line: $(cat "$root/proc/cmdline")"
echo "CPU: $(grep -m1 '^model name' "$root/proc/cpuinfo" | cut -d: -f2-)"
echo "/etc/modprobe.d/kvm-amd.conf:"; sed 's/^/    /' "$root/etc/modprobe.d/kvm-amd.conf"

step "nestvirt status (before the boot helper ran)"
build/nestvirt status --root "$root" || true

step "nestvirt-early --root $root   (what the dracut hook runs at boot)"
build/nestvirt-early --root "$root"
echo "/run/modprobe.d/zz-nestvirt.conf:"; sed 's/^/    /' "$root/run/modprobe.d/zz-nestvirt.conf"
echo "/run/nestvirt/state:"; sed 's/^/    /' "$root/run/nestvirt/state"

step "kmod's own modprobe, reading the sample's modprobe.d dirs"
modprobe -C "$root/etc/modprobe.d" -C "$root/run/modprobe.d" -c 2>/dev/null | grep '^options kvm_amd' ||
	echo "(modprobe not installed)"

step "nestvirt status (after): exit 0 means nesting is as requested"
build/nestvirt status --root "$root"
