#!/bin/bash
# nestvirt's boot path in real boots: Debian's kernel, an initramfs from the real dracut with the
# nestvirt module from this working tree, a real Debian root with nestvirt installed, QEMU/TCG.
# The guest reports its own /sys/module/kvm_*/parameters/nested. Prints TAP.
#   tests/vm/boot-tests.sh [CASE...]      (no CASE: all)
# Env: NESTVIRT_VM_JOBS parallel boots (default 2), NESTVIRT_VM_OUT keep artefacts there.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

jobs=${NESTVIRT_VM_JOBS:-2}
out=${NESTVIRT_VM_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/nvvm-boot.XXXXXX")}
mkdir -p "$out"

# name|initrd|image|cpu|boot args|checks (nvvm_check specs, space-separated; + stands for a space)
amd_on="snippet=options+kvm_amd+nested=1 state=request=1 state=module=kvm_amd"
cases=(
	"a-distro-nested0-no-nestvirt|sd|nested0|EPYC||module=kvm_amd nested=0 !state !snippet !dmesg"
	"b-distro-nested0-nestvirt1|sd|nested0|EPYC|nestvirt=1|nested=1 $amd_on state=action=snippet dmesg~nestvirt:+nestvirt=1:+kvm_amd+will+load+with+nested=1"
	"c-default-nestvirt0|sd|plain|EPYC|nestvirt=0|nested=0 snippet=options+kvm_amd+nested=0 state=request=0"
	"d-last-wins-1-then-0|sd|plain|EPYC|nestvirt=1 nestvirt=0|nested=0 state=request=0"
	"e-loaded-in-initramfs-reloaded|sdpre|nested0|EPYC|nestvirt=1|preload=nvtest-preload:+loaded+kvm_amd+nested=0 nested=1 state=action=reloaded state=nested_before=0 state=nested_after=1 state=reload_attempts=1 uevent~add+kvm_amd+nested=1"
	"f-shell-initrd-nestvirt1|sh|nested0|EPYC|nestvirt=1|nested=1 $amd_on"
	"g-shell-initrd-reload|shpre|nested0|EPYC|nestvirt=1|nested=1 state=action=reloaded"
	"h-udev-rule-reloads-after-switch-root|sd|nested0|EPYC|nestvirt=1 nvtest.udev-reload|nested=1 udev_reload_nested=1 udev_reload_state=action=reloaded udev_reload_state=reload_attempts=1"
	"i-admin-cmdline-wins|sd|plain|EPYC|kvm_amd.nested=0 nestvirt=1|nested=0 state=action=admin-override !snippet dmesg~wins+over+nestvirt=1"
	"j-intel-config|sd|nested0|Skylake-Client|nestvirt=1|vendor=GenuineIntel module=none state=module=kvm_intel snippet=options+kvm_intel+nested=1 showdeps_kvm_intel=nested=0+nested=1 state=virt_flag=0"
)

plan=()
for c in "${cases[@]}"; do
	nvvm_selected "${c%%|*}" "$@" && plan+=("$c")
done
[ ${#plan[@]} -gt 0 ] || { echo "no such case: $*" >&2; exit 2; }
echo "1..$((${#plan[@]} + 2))"
t_all=$(nvvm_now)

# nestvirt as users install it: its packages, nestvirt and nestvirt-dracut, with dpkg -i in a
# root that has dracut (NESTVIRT_VM_INSTALL=make: a staged make install). The stage holds the
# packages' files for the initramfs built here.
stage=$out/stage
rc=0
nvvm_stage_nestvirt "$src" "$stage" >"$out/install.log" 2>&1 || rc=1
mkdir -p "$out/ov-nested0/etc/modprobe.d" "$out/ov-probes/etc/nvtest/report.d"
printf '# As a distribution or an old admin policy might ship it.\noptions kvm_amd nested=0\noptions kvm_intel nested=0\n' \
	>"$out/ov-nested0/etc/modprobe.d/kvm-nested0.conf"
cp "$here"/probes/* "$out/ov-probes/etc/nvtest/report.d/"
need=" $(printf '%s\n' "${plan[@]}" | cut -d'|' -f2,3 | tr '|\n' '  ')"
t0=$(nvvm_now)
common=(--overlay "$stage" --overlay "$out/ov-probes")
[ ${#NVVM_DEBS[@]} -eq 0 ] || common+=(--packages "dracut,libxml2")
case $need in *" plain "*) nvvm_mkimage "$out/plain.img" "${common[@]}" || rc=1 ;; esac
case $need in *" nested0 "*) nvvm_mkimage "$out/nested0.img" "${common[@]}" --overlay "$out/ov-nested0" || rc=1 ;; esac
echo "# root images: $(nvvm_elapsed "$t0") s"
nvvm_tap "$rc" "nestvirt installs into a Debian root image"

t0=$(nvvm_now)
rc=0
nv=(--moddir "$stage/usr/lib/dracut/modules.d/90nestvirt" --destdir "$stage")
case $need in *" sd "*) nvvm_mkinitrd "$out/sd.initrd" --flavour systemd "${nv[@]}" || rc=1 ;; esac
case $need in *" sh "*) nvvm_mkinitrd "$out/sh.initrd" --flavour shell "${nv[@]}" || rc=1 ;; esac
case $need in *" sdpre "*) nvvm_mkinitrd "$out/sdpre.initrd" --flavour systemd --preload "${nv[@]}" || rc=1 ;; esac
case $need in *" shpre "*) nvvm_mkinitrd "$out/shpre.initrd" --flavour shell --preload "${nv[@]}" || rc=1 ;; esac
echo "# initramfs builds: $(nvvm_elapsed "$t0") s"
nvvm_tap "$rc" "dracut builds initramfs images with the nestvirt module (systemd and shell init)"

nvvm_boot_cases "$out" "${plan[@]}"
for c in "${plan[@]}"; do
	IFS='|' read -r name _ _ cpu append _ <<<"$c"
	nvvm_case_ok "$out" "$c" "failed_units=" "done"
	nvvm_tap $? "$name (cpu $cpu${append:+, $append})"
done

nvvm_finish "$out" "$t_all"
