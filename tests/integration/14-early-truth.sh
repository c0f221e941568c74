#!/bin/sh
# The boot helper tells the truth (issue 9, items 11-14) and reads the request from the command
# line's nestvirt.* options and the persistent setting (issue 6), as a program on host trees.
. "$(dirname "$0")/lib.sh"
plan 19

kver=$(uname -r)
state() { cat "$1/run/nestvirt/state" 2>/dev/null; }

r=$TMP/intel-yes
host "$r" "kvm_intel.nested=yes nestvirt=1" intel-xeon-gold-6230.txt
"$EARLY" --root "$r" 2>/dev/null
check "kvm_intel.nested=yes agrees with nestvirt=1 (kstrtobool)" contains "$(state "$r")" "action=snippet"

r=$TMP/amd-on
host "$r" "kvm_amd.nested=on nestvirt=1" amd-epyc-7302.txt
out=$("$EARLY" --root "$r" 2>&1)
check "kvm_amd.nested=on: exit 1, not a valid int" \
	eq "1 yes" "$? $(contains "$out" "kvm_amd.nested=on on the kernel command line is not a valid int" && echo yes)"
check "kvm_amd.nested=on: recorded as admin-invalid" contains "$(state "$r")" "action=admin-invalid"
check "kvm_amd.nested=on: nestvirt status says the load will fail" \
	contains "$("$NESTVIRT" status --root "$r")" "kvm_amd.nested=on on the kernel command line is not a valid int: the kernel rejects it and kvm_amd fails to load"

r=$TMP/amd-on-modprobe
host "$r" "nestvirt=1" amd-epyc-7302.txt
printf 'options kvm_amd nested=on\n' >"$r/etc/modprobe.d/kvm.conf"
"$EARLY" --root "$r" 2>/dev/null
check "nestvirt status: 'nested=on' for kvm_amd in modprobe.d fails the load, even before ours" \
	contains "$("$NESTVIRT" status --root "$r")" "NOT OK: /etc/modprobe.d/kvm.conf:1: nested=on is not a valid int: the kernel rejects it and kvm_amd fails to load"

r=$TMP/newline
host "$r" "$(printf '"kvm_amd.nested=1\naction=reloaded" "nestvirt.cpu=x\nrequest=0" nestvirt=1')" amd-epyc-7302.txt
out=$("$EARLY" --root "$r" 2>&1)
check "a quoted newline forges no line of the state file" lacks "$(state "$r")" "^(action=reload|request=0)"
check "a quoted newline forges no line of the log" lacks "$out" "^[^n]|^n[^e]"
check "the override with a newline is refused, naming it" \
	contains "$out" "ignoring 'nestvirt.cpu=x\\x0arequest=0' on the kernel command line"

r=$TMP/stale
host "$r" "nestvirt=1" amd-epyc-7302.txt
mkdir -p "$r/run/modprobe.d"
echo keep >"$r/run/modprobe.d/.zz-nestvirt.conf.keep"
echo temp >"$r/run/modprobe.d/.zz-nestvirt.conf.00beef"
"$EARLY" --root "$r" 2>/dev/null
check "stale cleanup removes .NAME.XXXXXX and keeps other names" \
	eq ".zz-nestvirt.conf.keep zz-nestvirt.conf" "$(cd "$r/run/modprobe.d" && echo .z* z*)"

r=$TMP/open-dir
host "$r" "nestvirt=1" amd-epyc-7302.txt
mkdir -p "$r/run/modprobe.d" && chmod 0777 "$r/run/modprobe.d"
out=$("$EARLY" --root "$r" 2>&1)
check "a /run/modprobe.d writable by others is refused, named" \
	eq "1 yes" "$? $(contains "$out" "/run/modprobe.d is writable by group or others (mode 0777)" && echo yes)"

r=$TMP/umask
host "$r" "nestvirt=1" amd-epyc-7302.txt
(umask 002 && "$EARLY" --root "$r" 2>/dev/null)
check "under umask 002 the directories it creates pass its own check" \
	eq "0 755 755" "$? $(stat -c %a "$r/run/modprobe.d" "$r/run/nestvirt" | tr '\n' ' ' | sed 's/ $//')"

r=$TMP/coming
host "$r" "nestvirt=1" intel-xeon-gold-6230.txt
mkdir -p "$r/sys/module/kvm_intel/parameters" && echo N >"$r/sys/module/kvm_intel/parameters/nested"
"$EARLY" --root "$r" 2>/dev/null
check "a module dir without initstate, not in modules.builtin, is loading, not built in" \
	contains "$(state "$r")" "action=loading"
mkdir -p "$r/lib/modules/$kver"
echo kernel/arch/x86/kvm/kvm-intel.ko >"$r/lib/modules/$kver/modules.builtin"
"$EARLY" --root "$r" 2>/dev/null
check "the same, listed in modules.builtin, is built in" contains "$(state "$r")" "action=builtin"

r=$TMP/empty-refcnt
host "$r" "nestvirt=1" amd-epyc-7302.txt
mkdir -p "$r/sys/module/kvm_amd/parameters"
echo live >"$r/sys/module/kvm_amd/initstate" && : >"$r/sys/module/kvm_amd/refcnt"
echo 0 >"$r/sys/module/kvm_amd/parameters/nested"
"$EARLY" --root "$r" 2>/dev/null
check "an empty refcnt is unknown, not 0: no reload" contains "$(state "$r")" "action=pending-reboot"

r=$TMP/unreadable
host "$r" "nestvirt=1" amd-epyc-7302.txt
mkdir -p "$r/sys/module/kvm_amd/parameters" "$r/sys/module/kvm_amd/initstate"
echo 0 >"$r/sys/module/kvm_amd/parameters/nested"
out=$("$EARLY" --root "$r" 2>&1)
check "an unreadable initstate is unknown, not built in: exit 1, action=unknown" \
	eq "1 action=unknown" "$? $(state "$r" | grep '^action=')"

r=$TMP/persistent
host "$r" "root=/dev/vda1 nestvirt.domains=web*" amd-epyc-7302.txt
mkdir -p "$r/etc/nestvirt" && printf '# nestvirt enable --persistent\nnestvirt=1\n' >"$r/etc/nestvirt/persistent"
out=$("$EARLY" --root "$r" 2>&1)
check "the persistent setting applies without nestvirt= on the command line" \
	eq "options kvm_amd nested=1" "$(grep '^options' "$r/run/modprobe.d/zz-nestvirt.conf")"
check "and is recorded with its source and the overrides" \
	eq "source=persistent domains=web*" "$(state "$r" | grep -E '^(source|domains)=' | tr '\n' ' ' | sed 's/ $//')"

r=$TMP/garbage
host "$r" "quiet" amd-epyc-7302.txt
mkdir -p "$r/etc/nestvirt" && printf 'nestvirt=1\nnestvirt=perhaps\n' >"$r/etc/nestvirt/persistent"
out=$("$EARLY" --root "$r" 2>&1)
check "a garbage persistent file: warning with file, line and value; nothing written" \
	eq "yes " "$(contains "$out" "/etc/nestvirt/persistent:2: 'nestvirt=perhaps'" && echo yes) $(ls "$r/run")"

r=$TMP/twice
host "$r" "nestvirt=1" amd-epyc-7302.txt
"$EARLY" --root "$r" 2>/dev/null
before=$(stat -c %i "$r/run/nestvirt/state" "$r/run/modprobe.d/zz-nestvirt.conf")
out=$("$EARLY" --root "$r" 2>&1)
check "a second run of the same boot writes nothing and says nothing" \
	eq "$before:" "$(stat -c %i "$r/run/nestvirt/state" "$r/run/modprobe.d/zz-nestvirt.conf"):$out"
finish
