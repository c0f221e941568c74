#!/bin/sh
# The nested= values nestvirt status finds (with file and line) are the ones kmod gives the
# module, in kmod's order: kmod's own modprobe (--show-depends prints the insmod line) is the
# oracle, reading the same modprobe.d dirs, with the tree's own command line bind-mounted over
# /proc/cmdline in a private mount namespace (libkmod reads that path itself).
. "$(dirname "$0")/lib.sh"

for d in /lib/modules/*; do kver=${d##*/}; done
if [ ! -d "/lib/modules/$kver/kernel/arch/x86/kvm" ] || ! unshare -m true 2>/dev/null; then
	plan 1
	skip "kmod's modprobe as the oracle" "no kvm modules for $kver or no unshare -m"
	exit 0
fi
plan 7

# kmod ROOT MODULE: the nested= values kmod's modprobe passes, space-separated, unquoted as
# the kernel's parser unquotes them.
kmod() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c 'mount --bind "$1/proc/cmdline" /proc/cmdline &&
		modprobe -S "$2" --show-depends -C "$1/etc/modprobe.d" -C "$1/run/modprobe.d" \
			-C "$1/usr/local/lib/modprobe.d" -C "$1/lib/modprobe.d" "$3"' \
		sh "$1" "$kver" "$2" 2>/dev/null |
		grep "/$(echo "$2" | tr _ -)\.ko" | tail -n 1 | tr ' ' '\n' | sed -n 's/^nested=//p' |
		sed 's/^"\(.*\)"$/\1/' | tr '\n' ' ' | sed 's/ $//'
}
# ours ROOT: the same from nestvirt status --json.
ours() {
	"$NESTVIRT" status --root "$1" --json 2>/dev/null | python3 -c '
import json, sys
print(" ".join(s["text"] for s in json.load(sys.stdin)["module"]["sources"]))'
}
# where ROOT: file:line of each source.
where() {
	"$NESTVIRT" status --root "$1" --json 2>/dev/null | python3 -c '
import json, sys
print(" ".join("%s:%s" % (s["file"], s["line"]) for s in json.load(sys.stdin)["module"]["sources"]))'
}

for s in amd-nested-off conflict-modprobe pending-reboot; do
	r=$SRCDIR/tests/data/hosts/$s
	check "$s: the nested= values and their order are kmod's" eq "$(kmod "$r" kvm_amd)" "$(ours "$r")"
done

# Every rule at once: dirs sorted together by name, the first dir wins a name, *.alias read,
# hidden files and other suffixes skipped, a /dev/null link masks, '\' continuations, '-' for
# '_' in the module name, comments, quotes, and MODULE.nested= on the tree's command line.
r=$TMP/rules
host "$r" "BOOT_IMAGE=/vmlinuz nestvirt=1 kvm-amd.nested=1" amd-epyc-7302.txt
mkdir -p "$r/lib/modprobe.d" "$r/usr/local/lib/modprobe.d" "$r/run/modprobe.d"
printf 'options kvm_amd nested=0\n' >"$r/etc/modprobe.d/a.conf"
printf 'options kvm_amd nested=1\n' >"$r/lib/modprobe.d/a.conf"
printf '# x\n  options kvm-amd npt=1 \\\n  nested=0\n' >"$r/lib/modprobe.d/b.conf"
printf 'options kvm_amd nested="1"\n' >"$r/usr/local/lib/modprobe.d/c.alias"
printf 'options kvm_amd nested=0\n' >"$r/run/modprobe.d/.hidden.conf"
printf 'options kvm_amd nested=0\n' >"$r/run/modprobe.d/d.conf.bak"
printf 'options kvm_intel nested=0\n#options kvm_amd nested=0\n' >"$r/run/modprobe.d/e.conf"
printf 'options kvm_amd nested=0\n' >"$r/lib/modprobe.d/f.conf"
ln -s /dev/null "$r/etc/modprobe.d/f.conf"
"$EARLY" --root "$r" 2>/dev/null
check "every libkmod rule at once: the values and their order are kmod's" \
	eq "$(kmod "$r" kvm_amd)" "$(ours "$r")"
check "... with the file and line of each" \
	eq "/etc/modprobe.d/a.conf:1 /lib/modprobe.d/b.conf:2 /usr/local/lib/modprobe.d/c.alias:1 /run/modprobe.d/zz-nestvirt.conf:3 None:None" \
	"$(where "$r")"
check "... the command line's kvm-amd.nested=1 decides, last" \
	eq "cmdline 1" "$("$NESTVIRT" status --root "$r" --json | python3 -c '
import json, sys
m = json.load(sys.stdin)["module"]
s = m["sources"][m["next_load"]["decided_by"]]
print(s["kind"], s["nested"])')"
r=$TMP/intel
host "$r" "nestvirt=0 kvm_intel.nested=Y" intel-xeon-gold-6230.txt
printf 'options kvm_intel nested=1\n' >"$r/etc/modprobe.d/qemu-system-x86.conf"
"$EARLY" --root "$r" 2>/dev/null
check "kvm_intel with an admin's Y on the command line: kmod's values" \
	eq "$(kmod "$r" kvm_intel)" "$(ours "$r")"
finish
