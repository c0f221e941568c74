#!/bin/sh
# nestvirt status on hostile and broken host trees: every gap is "unknown" with the reason,
# never guessed, never a hang, never a crash; the JSON stays valid and the textfile passes
# promtool. Each case is one of the bugs issue 7 lists (they fail on the status before it).
# `timeout` only guards against a hang; nothing here is timed.
. "$(dirname "$0")/lib.sh"
plan 27

H=$SRCDIR/tests/data/hosts
# fixture NAME SITUATION: a writable copy of a fixture host.
fixture() {
	cp -a "$H/$2" "$TMP/$1"
	echo "$TMP/$1"
}
st() { timeout 20 "$NESTVIRT" status --root "$@" 2>/dev/null; }
# jq-like: the value of a Python expression on the JSON document of status --root $1.
jget() {
	timeout 20 "$NESTVIRT" status --root "$1" --json 2>/dev/null |
		python3 -c 'import json,sys; d=json.loads(sys.stdin.buffer.read().decode("utf-8")); print(eval(sys.argv[1]))' "$2"
}
valid() {
	timeout 20 "$NESTVIRT" status --root "$1" --json 2>/dev/null >"$TMP/v.json"
	python3 -c '
import json, sys, jsonschema
doc = json.loads(open(sys.argv[2], "rb").read().decode("utf-8"))
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(doc)' \
		"$SRCDIR/docs/status.schema.json" "$TMP/v.json"
}

# A FIFO in place of the state, proc/cmdline, a sysfs attribute, a modprobe.d file.
r=$(fixture fifo-state intel-ok)
rm "$r/run/nestvirt/state" && mkfifo "$r/run/nestvirt/state"
out=$(st "$r")
check "FIFO as the state: no hang" test $? -ne 124
check "... the state is unknown with the reason, not 'did not run'" \
	contains "$out" "boot helper: unknown: /run/nestvirt/state: not a regular file"
r=$(fixture fifo-cmdline intel-ok)
rm "$r/proc/cmdline" && mkfifo "$r/proc/cmdline"
check "FIFO as proc/cmdline: the request is the boot helper's record of it" \
	eq "1 state" "$(jget "$r" '"%s %s" % (d["request"]["nestvirt"], d["request"]["source"])')"
rm "$r/run/nestvirt/state"
"$NESTVIRT" status --root "$r" --check >/dev/null 2>&1
check "FIFO as proc/cmdline and no state: --check says cannot tell (18)" eq 18 "$?"
r=$(fixture fifo-sysfs intel-ok)
rm "$r/sys/module/kvm_intel/parameters/nested" && mkfifo "$r/sys/module/kvm_intel/parameters/nested"
check "FIFO as sysfs parameters/nested: the live value is unknown (18), no hang" \
	eq "unknown None" "$(jget "$r" '"%s %s" % (d["class"], d["module"]["live_nested"])')"
r=$(fixture fifo-modprobe amd-not-loaded)
mkfifo "$r/etc/modprobe.d/site.conf"
check "FIFO in modprobe.d: the next load is unknown, naming the file" \
	eq "/etc/modprobe.d/site.conf: not a regular file" "$(jget "$r" 'd["module"]["next_load"]["error"]')"

# The state too large, a directory, garbage.
r=$(fixture big-state intel-ok)
python3 -c 'import sys; sys.stdout.write("message=%s\n" % ("x" * 100000))' >>"$r/run/nestvirt/state"
out=$(st "$r")
check "a state too large is unknown (too large), not 'did not run'" \
	contains "$out" "boot helper: unknown: /run/nestvirt/state: too large"
rm "$r/run/nestvirt/state" && mkdir "$r/run/nestvirt/state"
check "a directory as the state is unknown, not 'did not run'" \
	eq "unreadable" "$(jget "$r" 'd["request"]["boot_helper"]["state"]')"
r=$(fixture garbage-state amd-not-loaded)
printf '\001\002garbage\nnot a state\n' >"$r/run/nestvirt/state"
check "garbage state with nestvirt=1: requested 1, not 'nothing requested'" \
	eq "1 invalid" "$(jget "$r" '"%s %s" % (d["requested"], d["request"]["boot_helper"]["state"])')"
check "... and the state named as not the helper's" \
	contains "$(st "$r")" "not a state the boot helper wrote (a line that is not key=value)"

# The snippet gone and no other nested=: never "nested=-1" (the kernel's default is 1).
r=$(fixture no-snippet amd-not-loaded)
rm "$r/run/modprobe.d/zz-nestvirt.conf" "$r/etc/modprobe.d/kvm-amd.conf"
out=$(st "$r")
check "a missing snippet never prints nested=-1; the next load gets the default 1" \
	eq "" "$(printf '%s\n' "$out" | grep -e '-1' -e 'NOT OK')"
sed -i 's/nestvirt=1/nestvirt=0/' "$r/proc/cmdline" "$r/run/nestvirt/state"
sed -i 's/^request=1/request=0/' "$r/run/nestvirt/state"
check "... with nestvirt=0 it says the snippet is missing" \
	contains "$(st "$r")" "NOT OK: the boot helper recorded 'snippet' but /run/modprobe.d/zz-nestvirt.conf is missing (removed since?): kvm_amd's next load gets nested=1"

# Bytes above 0x7F: a vendor string, a Latin-1 byte in modprobe.d (name, comment, value).
r=$(fixture bytes amd-not-loaded)
sed -i "s/^vendor_id.*/vendor_id\t: Authentic$(printf '\377')AMD/" "$r/proc/cpuinfo"
printf 'options kvm_amd nested=0 # caf\351\noptions kvm_amd nested=\351\n' >"$r/etc/modprobe.d/caf$(printf '\351').conf"
check "bytes above 0x7F: --json is valid UTF-8 JSON and valid against the schema" valid "$r"
check "... the vendor string is kept (one U+FFFD for the byte)" \
	eq "Authentic\ufffdAMD" "$(jget "$r" 'd["host"]["vendor"].encode("unicode_escape").decode()')"
mkdir "$TMP/prom"
"$NESTVIRT" status --root "$r" --textfile "$TMP/prom" 2>/dev/null
check "... --textfile passes promtool check metrics" promtool check metrics <"$TMP/prom/nestvirt.prom"
check "... the human text shows the bytes escaped" contains "$(st "$r")" 'Authentic\xffAMD'
r=$(fixture bytes-value amd-not-loaded)
printf 'options kvm_amd nested=\351\n' >"$r/etc/modprobe.d/kvm.conf"
check "... a Latin-1 nested= value: the load fails, named with its file and line" \
	eq "True /etc/modprobe.d/kvm.conf 1" \
	"$(jget "$r" '"%s %s %s" % (d["module"]["next_load"]["fails"], *(lambda s: (s["file"], s["line"]))(d["module"]["sources"][d["module"]["next_load"]["decided_by"]]))')"

# Garbage in sysfs and a missing cpuinfo.
r=$(fixture garbage-sysfs intel-ok)
echo maybe >"$r/sys/module/kvm_intel/parameters/nested"
"$NESTVIRT" status --root "$r" --check >/dev/null 2>&1
check "garbage as the live nested value: cannot tell (18)" eq 18 "$?"
r=$(fixture no-cpuinfo intel-ok)
rm "$r/proc/cpuinfo"
check "no proc/cpuinfo: unknown with the reason" \
	contains "$(st "$r")" "cpu:         unknown: /proc/cpuinfo: No such file or directory"
check "... and its JSON is valid" valid "$r"

# --root never reads the running host's /proc/cmdline (libkmod would: kvm_amd.nested=0 there).
r=$(fixture leak amd-not-loaded)
printf 'BOOT_IMAGE=/vmlinuz kvm_amd.nested=0 kvm_intel.nested=0 nestvirt=0\n' >"$TMP/host-cmdline"
if unshare -m true 2>/dev/null; then
	# shellcheck disable=SC2016 # expanded by the inner shell
	out=$(unshare -m sh -c 'mount --bind "$1" /proc/cmdline && "$2" status --root "$3" --json' \
		sh "$TMP/host-cmdline" "$NESTVIRT" "$r" 2>/dev/null)
	check "--root: the running host's kvm_amd.nested=0 on its /proc/cmdline does not leak in" \
		eq "ok 1 modprobe.d,snippet" "$(printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["class"], d["requested"], ",".join(s["kind"] for s in d["module"]["sources"]))')"
else
	skip "--root: no leak of the host's /proc/cmdline" "unshare -m not permitted"
fi

# /dev/kvm: the device usable by the group kvm, and a file in its place.
r=$(fixture devkvm l1-svm)
mkdir -p "$r/dev"
if mknod "$r/dev/kvm" c 10 232 2>/dev/null; then
	chgrp 104 "$r/dev/kvm" && chmod 0660 "$r/dev/kvm"
	check "/dev/kvm (10:232, group kvm, 0660): usable by the group kvm" \
		eq "True 0660 kvm True" "$(jget "$r" '"%s %s %s %s" % tuple(d["host"]["dev_kvm"][k] for k in ("present", "mode", "group", "kvm_group_rw"))')"
	chmod 0600 "$r/dev/kvm"
	check "... 0600: not usable by the group, a note says so" \
		contains "$(st "$r")" "/dev/kvm is not read-write for the group kvm (group kvm, mode 0600)"
	rm "$r/dev/kvm"
else
	skip "/dev/kvm usable by the group kvm" "mknod not permitted"
	skip "/dev/kvm 0600" "mknod not permitted"
fi
: >"$r/dev/kvm"
check "a regular file as /dev/kvm is not taken for the device" \
	contains "$(st "$r")" "/dev/kvm:    unknown: /dev/kvm is not the KVM character device (10:232)"

# The initramfs: read through its cpio, the compressed part too.
r=$(fixture initrd amd-not-loaded)
rel=$(cat "$r/proc/sys/kernel/osrelease")
mkdir -p "$TMP/img/lib/modules/$rel/kernel/arch/x86/kvm" "$TMP/early/kernel/x86/microcode"
: >"$TMP/img/lib/modules/$rel/kernel/arch/x86/kvm/kvm-amd.ko"
: >"$TMP/early/kernel/x86/microcode/AuthenticAMD.bin"
(cd "$TMP/early" && find . | cpio -o -H newc --quiet) >"$r/boot-early.cpio" 2>/dev/null
(cd "$TMP/img" && find . | cpio -o -H newc --quiet | zstd -q -c) >"$r/boot-main.zst"
mkdir -p "$r/boot"
cat "$r/boot-early.cpio" "$r/boot-main.zst" >"$r/boot/initrd.img-$rel"
check "initramfs: microcode cpio + zstd part holding kvm-amd.ko: in the initramfs" \
	eq "True /boot/initrd.img-$rel" "$(jget "$r" '"%s %s" % (d["module"]["initramfs"]["contains"], d["module"]["initramfs"]["image"])')"
cp "$r/boot-early.cpio" "$r/boot/initrd.img-$rel"
check "initramfs: without the module: not in it" \
	eq "False" "$(jget "$r" 'd["module"]["initramfs"]["contains"]')"
head -c 4096 /dev/urandom | tr '\000' '\001' >"$r/boot/initrd.img-$rel"
check "initramfs: garbage: unknown, with the reason" \
	eq "None True" "$(jget "$r" '"%s %s" % (d["module"]["initramfs"]["contains"], "cpio" in d["module"]["initramfs"]["reason"] or "compressed" in d["module"]["initramfs"]["reason"])')"
finish
