#!/bin/sh
# Our snippet wins over distro and admin modprobe.d files, as resolved by the real libkmod:
# kmod's own modprobe (--show-depends prints the insmod line with the options in the order the
# kernel gets them; the kernel keeps the last value) and nestvirt status (which reads modprobe.d
# by libkmod's rules; tests/integration/70-status-libkmod.sh holds it against kmod).
. "$(dirname "$0")/lib.sh"
plan 7

for d in /lib/modules/*; do kver=${d##*/}; done

# insmod_options ROOT MODULE: the options kmod's modprobe passes, reading ROOT's modprobe.d dirs
# in libkmod's order.
insmod_options() {
	modprobe -S "$kver" --show-depends \
		-C "$1/etc/modprobe.d" -C "$1/run/modprobe.d" \
		-C "$1/usr/local/lib/modprobe.d" -C "$1/lib/modprobe.d" "$2" 2>/dev/null |
		grep "/$(echo "$2" | tr _ -)\.ko" | sed 's/^insmod [^ ]* *//; s/ *$//' |
		tail -n 1
}

r=$TMP/distro
host "$r" "nestvirt=1" amd-epyc-7302.txt
mkdir -p "$r/lib/modprobe.d" "$r/usr/local/lib/modprobe.d"
printf 'options kvm_amd nested=0\n' >"$r/etc/modprobe.d/kvm.conf"
printf 'options kvm_amd nested=0\n' >"$r/etc/modprobe.d/99-local.conf"
printf 'options kvm_amd nested=0\n' >"$r/lib/modprobe.d/zz-distro.conf"
printf 'options kvm_amd nested=0\n' >"$r/usr/local/lib/modprobe.d/kvm-amd.conf"
"$EARLY" --root "$r" 2>/dev/null

if [ -d "/lib/modules/$kver/kernel/arch/x86/kvm" ]; then
	opts=$(insmod_options "$r" kvm_amd)
	check "kmod's modprobe: ours comes last after four nested=0 files" \
		eq "nested=0 nested=0 nested=0 nested=0 nested=1" "$opts"
else
	skip "kmod's modprobe resolution" "no kernel modules installed for $kver"
fi
json=$("$NESTVIRT" status --root "$r" --json)
check "nestvirt status (libkmod's rules): same order" \
	eq "0 0 0 0 1" "$(printf '%s' "$json" | python3 -c 'import json,sys; print(" ".join(s["text"] for s in json.load(sys.stdin)["module"]["sources"]))')"
check "nestvirt status: next load nested=1" contains "$json" '"next_load": {"nested": 1,'

r=$TMP/off
host "$r" "nestvirt=0" intel-xeon-gold-6230.txt
mkdir -p "$r/lib/modprobe.d"
# Ubuntu's qemu-system-x86 ships this very line.
printf 'options kvm_intel nested=1\n' >"$r/lib/modprobe.d/qemu-system-x86.conf"
"$EARLY" --root "$r" 2>/dev/null
if [ -d "/lib/modules/$kver/kernel/arch/x86/kvm" ]; then
	check "nestvirt=0 beats a shipped 'nested=1' (kmod's modprobe)" \
		eq "nested=1 nested=0" "$(insmod_options "$r" kvm_intel)"
else
	skip "kmod's modprobe resolution" "no kernel modules installed for $kver"
fi
check "nestvirt=0 beats a shipped 'nested=1' (nestvirt status)" \
	contains "$("$NESTVIRT" status --root "$r" --json)" '"next_load": {"nested": 0,'

r=$TMP/same-name
host "$r" "nestvirt=1" amd-epyc-7302.txt
printf 'options kvm_amd nested=0\n' >"$r/etc/modprobe.d/zz-nestvirt.conf"
"$EARLY" --root "$r" 2>/dev/null
# libkmod: of two files with one name, the first dir (/etc) wins. An admin can mask us.
check "an /etc file named zz-nestvirt.conf masks ours (libkmod's rule)" \
	contains "$("$NESTVIRT" status --root "$r" --json)" '"masked_by": "/etc/modprobe.d"'
check "and status says so" \
	contains "$("$NESTVIRT" status --root "$r")" "NOT OK: /etc/modprobe.d/zz-nestvirt.conf has the name of nestvirt's snippet and masks /run/modprobe.d/zz-nestvirt.conf"
finish
