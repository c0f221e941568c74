#!/bin/sh
# The boot helper as a program: exit codes and messages on good and bad host trees.
. "$(dirname "$0")/lib.sh"
plan 17

r=$TMP/amd
host "$r" "root=/dev/vda1 nestvirt=1" amd-epyc-7302.txt
out=$("$EARLY" --root "$r" 2>&1)
check "nestvirt=1 on AMD: exit 0" eq 0 $?
check "nestvirt=1 on AMD: snippet says 'options kvm_amd nested=1'" \
	eq "options kvm_amd nested=1" "$(grep '^options' "$r/run/modprobe.d/zz-nestvirt.conf")"
check "says what it did" contains "$out" "nestvirt: nestvirt=1: kvm_amd will load with nested=1"

r=$TMP/intel-off
host "$r" "nestvirt=0" intel-xeon-gold-6230.txt
"$EARLY" --root "$r" 2>/dev/null
check "nestvirt=0 on Intel: 'options kvm_intel nested=0', a digit" \
	eq "options kvm_intel nested=0" "$(grep '^options' "$r/run/modprobe.d/zz-nestvirt.conf")"

r=$TMP/absent
host "$r" "root=/dev/vda1 quiet nestvirt.cpu=host-passthrough" amd-epyc-7302.txt
out=$("$EARLY" --root "$r" 2>&1)
check "no nestvirt=: exit 0, silent, nothing written" \
	eq "0::" "$?:$out:$(ls "$r/run")"

r=$TMP/maybe
host "$r" "nestvirt=maybe" amd-epyc-7302.txt
out=$("$EARLY" --root "$r" 2>&1)
check "unknown value: exit 0 (treated as absent)" eq 0 $?
check "unknown value: the warning names the token" contains "$out" "ignoring 'nestvirt=maybe'"
check "unknown value: nothing written" eq "" "$(ls "$r/run")"

r=$TMP/novendor
host "$r" "nestvirt=1" no-vendor.txt
out=$("$EARLY" --root "$r" 2>&1)
check "cpuinfo without vendor line: exit 1" eq 1 $?
check "cpuinfo without vendor line: message names /proc/cpuinfo" \
	contains "$out" "/proc/cpuinfo: no vendor_id line"

r=$TMP/nocmdline
host "$r" "nestvirt=1" amd-epyc-7302.txt
rm "$r/proc/cmdline"
out=$("$EARLY" --root "$r" 2>&1)
check "unreadable /proc/cmdline: exit 1 with the path in the message" \
	eq "1 yes" "$? $(contains "$out" "Failed to read /proc/cmdline" && echo yes)"

r=$TMP/symlink
host "$r" "nestvirt=1" amd-epyc-7302.txt
mkdir "$r/elsewhere" && ln -s ../elsewhere "$r/run/modprobe.d"
out=$("$EARLY" --root "$r" 2>&1)
check "/run/modprobe.d a symlink: exit 1, named, nothing written through it" \
	eq "1 yes " "$? $(contains "$out" "/run/modprobe.d: is a symlink or a file" && echo yes) $(ls "$r/elsewhere")"

r=$TMP/readonly
host "$r" "nestvirt=1" amd-epyc-7302.txt
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	# shellcheck disable=SC2016 # expanded by the inner shell
	out=$(unshare -m sh -c 'mount -t tmpfs -o ro tmpfs "$1/run" && "$2" --root "$1"' sh "$r" "$EARLY" 2>&1)
	check "read-only /run: exit 1 with a message naming the directory" \
		eq "1 yes" "$? $(contains "$out" "/run/nestvirt: Read-only file system" && echo yes)"
else
	skip "read-only /run" "no mount namespaces here"
fi

# shellcheck disable=SC2016 # expanded by the inner shell
check "unknown option: exit 2" sh -c '"$1" --bogus 2>/dev/null; [ $? -eq 2 ]' sh "$EARLY"

r=$TMP/status
host "$r" "nestvirt=1" amd-epyc-7302.txt
printf 'options kvm_amd nested=0\n' >"$r/etc/modprobe.d/kvm.conf"
"$NESTVIRT" status --root "$r" >/dev/null
before=$?
"$EARLY" --root "$r" 2>/dev/null
"$NESTVIRT" status --root "$r" >/dev/null
check "status exits 1 before the helper ran and 0 after" eq "1 0" "$before $?"
json=$("$NESTVIRT" status --root "$r" --json)
check "status --json reports the next load's value and the verdict" \
	contains "$json" '"next_load": {"nested": 1,'

# A Latin-1 byte in modprobe.d (an old admin file) must not make the JSON invalid.
printf '# r\351sum\351\noptions kvm_amd nested=0 dummy=\351\n' >"$r/etc/modprobe.d/kvm.conf"
# shellcheck disable=SC2016 # expanded by the inner shell
check "status --json stays valid JSON with bytes above 0x7F in its input" \
	sh -c '"$1" status --root "$2" --json | python3 -c "import json,sys; json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))"' \
	sh "$NESTVIRT" "$r"
finish
