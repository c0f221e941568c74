#!/bin/bash
# Proves the VM harness itself, without nestvirt: real dracut initramfs (both flavours), real
# Debian root, kvm_amd loaded by udev under -cpu EPYC. Prints TAP.
#   tests/vm/selftest.sh [CASE...]       (no CASE: all of them)
# Env: NESTVIRT_VM_JOBS parallel boots (default 2), NESTVIRT_VM_OUT keep artefacts there
# (default: a temporary dir, removed when everything passed), plus lib.sh's variables.
set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

jobs=${NESTVIRT_VM_JOBS:-2}
out=${NESTVIRT_VM_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/nvvm-selftest.XXXXXX")}
mkdir -p "$out"

# name|initrd|image|cpu|extra boot args|checks (space-separated nvvm_check specs; + = space)
cases=(
	"systemd-default-nested|sd|plain|EPYC||module=kvm_amd nested=1 modprobe_c= uevent~add+kvm_amd+nested=1 !preload"
	"systemd-modprobe-nested0|sd|nested0|EPYC||module=kvm_amd nested=0 modprobe_c=options+kvm_amd+nested=0"
	"shell-default-nested|sh|plain|EPYC||module=kvm_amd nested=1 modprobe_c="
	"shell-modprobe-nested0|sh|nested0|EPYC||module=kvm_amd nested=0 modprobe_c=options+kvm_amd+nested=0"
	"systemd-intel-model|sd|intel|Skylake-Client||vendor=GenuineIntel cpu_virt=none module=none modprobe_c=options+kvm_intel+nested=0;options+kvm_amd+nested=0"
	"systemd-preload-coldplug|sdpre|plain|EPYC||preload=nvtest-preload:+loaded+kvm_amd+nested=0 nested=0 uevent=add+kvm_amd+nested=0+synth=0"
	"shell-preload-coldplug|shpre|plain|EPYC||preload=nvtest-preload:+loaded+kvm_amd+nested=0 nested=0 uevent=add+kvm_amd+nested=0+synth=0"
)

t_all=$(nvvm_now)
plan=()
for c in "${cases[@]}"; do
	nvvm_selected "${c%%|*}" "$@" && plan+=("$c")
done
[ ${#plan[@]} -gt 0 ] || { echo "no such case: $*" >&2; exit 2; }
echo "1..$((${#plan[@]} + 3))"

# Build what the selected cases use.
need=" $(printf '%s\n' "${plan[@]}" | cut -d'|' -f2,3 | tr '|\n' '  ')"
t0=$(nvvm_now)
rc=0
mkdir -p "$out/ov-nested0/etc/modprobe.d" "$out/ov-intel/etc/modprobe.d"
echo 'options kvm_amd nested=0' >"$out/ov-nested0/etc/modprobe.d/kvm-nested0.conf"
printf 'options kvm_intel nested=0\noptions kvm_amd nested=0\n' >"$out/ov-intel/etc/modprobe.d/kvm-nested0.conf"
nvvm_rootfs_tarball >/dev/null || rc=1
echo "# rootfs tarball: $(nvvm_elapsed "$t0") s"
t0=$(nvvm_now)
case $need in *" plain "*) nvvm_mkimage "$out/plain.img" || rc=1 ;; esac
case $need in *" nested0 "*) nvvm_mkimage "$out/nested0.img" --overlay "$out/ov-nested0" || rc=1 ;; esac
case $need in *" intel "*) nvvm_mkimage "$out/intel.img" --overlay "$out/ov-intel" || rc=1 ;; esac
echo "# root images: $(nvvm_elapsed "$t0") s"
nvvm_tap "$rc" "root images build from the cached debootstrap tree"
t0=$(nvvm_now)
rc=0
case $need in *" sd "*) nvvm_mkinitrd "$out/sd.initrd" --flavour systemd || rc=1 ;; esac
case $need in *" sh "*) nvvm_mkinitrd "$out/sh.initrd" --flavour shell || rc=1 ;; esac
case $need in *" sdpre "*) nvvm_mkinitrd "$out/sdpre.initrd" --flavour systemd --preload || rc=1 ;; esac
case $need in *" shpre "*) nvvm_mkinitrd "$out/shpre.initrd" --flavour shell --preload || rc=1 ;; esac
echo "# initramfs builds: $(nvvm_elapsed "$t0") s"
nvvm_tap "$rc" "initramfs images build with a private dracut base dir"

# A boot that cannot finish within its time limit is a failure, not a hang.
rc=0
first=${plan[0]}
IFS='|' read -r _ initrd image _ <<<"$first"
nvvm_boot "$out/timeout-case" --initrd "$out/$initrd.initrd" --image "$out/$image.img" \
	--timeout 5 2>"$out/timeout-case.log" && rc=1
grep -q 'timed out' "$out/timeout-case.log" || rc=1
nvvm_tap "$rc" "a boot over its time limit is reported as a failure"

# The boots, NESTVIRT_VM_JOBS at a time.
nvvm_boot_cases "$out" "${plan[@]}"
for c in "${plan[@]}"; do
	IFS='|' read -r name _ _ cpu append _ <<<"$c"
	nvvm_case_ok "$out" "$c" "done"
	nvvm_tap $? "$name (cpu $cpu${append:+, $append})"
done

nvvm_finish "$out" "$t_all"
