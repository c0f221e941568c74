#!/bin/sh
# nestvirt firstboot on fake host roots: the boot helper's state (written here by hand, the way
# nestvirt-early writes it) and /etc/nestvirt/nestvirt.conf decide what the first boot does to
# /etc/libvirt/qemu; the stamp is written only after every selected domain is done.
# sh -c '…' sh ARGS: the single quotes are meant, the arguments come in as $1, $2.
# shellcheck disable=SC2016
set -u
# shellcheck source=tests/fault/lib.sh
. "$(dirname "$0")/../fault/lib.sh"
scratch

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
STAMP=var/lib/nestvirt/firstboot.done
Q=etc/libvirt/qemu

# todo DESCRIPTION COMMAND...: a test point for a part another branch delivers (TAP TODO).
todo() {
	desc=$1 why=$2
	shift 2
	tap_n=$((tap_n + 1))
	if "$@"; then echo "ok $tap_n - $desc # TODO $why"; else echo "not ok $tap_n - $desc # TODO $why"; fi
}

# state ROOT [KEY=VALUE...]: /run/nestvirt/state as nestvirt-early writes it for nestvirt=1 on
# an AMD host; each KEY=VALUE replaces that key's line.
state() {
	r=$1
	shift
	mkdir -p "$r/run/nestvirt"
	printf '%s\n' request=1 module=kvm_amd vendor=AuthenticAMD virt_flag=1 hypervisor=0 \
		admin_nested= action=snippet nested_before=-1 nested_after=-1 reload_attempts=0 \
		'message=kvm_amd will load with nested=1' source=cmdline cpu= domains= exclude= \
		firstboot=1 >"$r/run/nestvirt/state"
	for kv in "$@"; do
		k=${kv%%=*}
		sed -i "s|^$k=.*|$kv|" "$r/run/nestvirt/state"
	done
}

# fbroot ROOT: an AMD host with five stored domains, no config file, no state yet.
fbroot() {
	rm -rf "$1"
	d=$1/$Q
	mkdir -p "$d/autostart" "$1/run"
	cpuinfo "$1" amd
	cpu_map "$1"
	epyc="  <cpu mode='custom' match='exact' check='partial'>
    <model fallback='allow'>EPYC</model>
  </cpu>
"
	domain web kvm x86_64 "$epyc" >"$d/web.xml"
	domain nocpu kvm x86_64 "" >"$d/nocpu.xml"
	domain tcg qemu x86_64 "$epyc" >"$d/tcg.xml"
	domain old kvm x86_64 "  <cpu mode='custom' match='exact' check='partial'>
    <model fallback='allow'>EPYC</model>
    <feature policy='disable' name='svm'/>
  </cpu>
" >"$d/old.xml"
	domain scratch-1 kvm x86_64 "$epyc" >"$d/scratch-1.xml"
	ln -s ../web.xml "$d/autostart/web.xml"
	chmod 600 "$d"/*.xml
}

conf() {
	mkdir -p "$1/etc/nestvirt"
	cat >"$1/etc/nestvirt/nestvirt.conf"
}

fb() {
	"$NV" firstboot --root "$@" >"$T/out" 2>"$T/err"
}

has_svm() {
	grep -q "<feature policy='$2' name='svm'/>" "$1"
}

lacks_svm() {
	! grep -q svm "$1"
}

unchanged_since() {
	test "$(tree_state "$1")" = "$(cat "$2")"
}

R=$T/root

# --- nothing requested, nestvirt=0, nestvirt.firstboot=0: no change, no stamp -------------
fbroot "$R"
tree_state "$R" >"$T/pristine"
fb "$R"
check "no state (no request): exit 0" test $? -eq 0
check "... says nothing was requested" grep -q "nothing requested" "$T/err"
check "... no domain changed" unchanged_since "$R" "$T/pristine"
check "... no stamp" test ! -e "$R/$STAMP"

state "$R" request=0
fb "$R"
check "nestvirt=0: exit 0" test $? -eq 0
check "... says it changes no domain" grep -q "nestvirt=0.*no domain file is changed" "$T/err"
check "... no domain changed" unchanged_since "$R" "$T/pristine"
check "... no stamp: a later nestvirt=1 boot still rewrites" test ! -e "$R/$STAMP"

state "$R" firstboot=0
fb "$R"
check "nestvirt.firstboot=0: exit 0" test $? -eq 0
check "... no domain changed" unchanged_since "$R" "$T/pristine"
check "... no stamp" test ! -e "$R/$STAMP"

# --- nestvirt=1: the first boot ---------------------------------------------------------
state "$R"
fb "$R"
check "nestvirt=1: exit 0" test $? -eq 0
diag "$(cat "$T/out")"
check "web.xml gets svm 'require'" has_svm "$R/$Q/web.xml" require
check "nocpu.xml gets libvirt's default model with svm" has_svm "$R/$Q/nocpu.xml" require
check "tcg.xml (type qemu) is left alone" lacks_svm "$R/$Q/tcg.xml"
check "old.xml (svm disabled by the admin) keeps its 'disable'" has_svm "$R/$Q/old.xml" disable
check "the originals are kept (backup = yes by default)" test -f "$R/$Q/web.xml.nestvirt-orig"
check "the stamp is written" test -f "$R/$STAMP"
check "... saying what was done" grep -qx "mode=feature" "$R/$STAMP"
check "... with which source" grep -qx "source=cmdline" "$R/$STAMP"
check "... and the rewrite it ran" grep -q "^rewrite=nestvirt rewrite --root $R --vendor amd --mode feature" "$R/$STAMP"
check "... when" grep -Eq '^done=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$R/$STAMP"
check "the stamp is no temporary file left behind" test -z "$(find "$R/var/lib/nestvirt" -name '.*')"
tree_state "$R" >"$T/after"
cp "$R/$STAMP" "$T/stamp"

# A domain defined after a successful first boot is never touched.
domain later kvm x86_64 "" >"$R/$Q/later.xml"
tree_state "$R" >"$T/after"
fb "$R"
check "with the stamp present: exit 0" test $? -eq 0
check "... says already done" grep -q "already done" "$T/err"
check "... a domain defined since is not touched" unchanged_since "$R" "$T/after"
check "... the stamp is the same" cmp -s "$R/$STAMP" "$T/stamp"

# --- the unit's conditions, as systemd evaluates them ---------------------------------------
UNIT=$SRCDIR/systemd/nestvirt-firstboot.service.in
conds=$(grep '^Condition' "$UNIT")
check "the unit has exactly the stamp and state conditions" test "$(echo "$conds" | wc -l)" -eq 2
# cond ROOT: systemd-analyze condition on the unit's own Condition lines, re-rooted.
cond() {
	# shellcheck disable=SC2046 # one argument per condition line, none has blanks
	systemd-analyze condition $(echo "$conds" | sed "s|=\(!\{0,1\}\)/|=\1$1/|") >/dev/null 2>&1
}
skipped() {
	! cond "$1"
}
if command -v systemd-analyze >/dev/null && systemd-analyze condition 'ConditionPathExists=/' >/dev/null 2>&1; then
	check "stamp present: the unit is skipped by its condition (no process)" skipped "$R"
	mv "$R/$STAMP" "$T/stamp.moved"
	check "no stamp, state present: the unit runs" cond "$R"
	mv "$R/run/nestvirt/state" "$T/state.moved"
	check "no state (no request): the unit is skipped by its condition" skipped "$R"
	mv "$T/state.moved" "$R/run/nestvirt/state"
	mv "$T/stamp.moved" "$R/$STAMP"
else
	skip "systemd-analyze condition is not available"
	skip "systemd-analyze condition is not available"
	skip "systemd-analyze condition is not available"
fi

# --- configuration and the command line's overrides ---------------------------------------
fbroot "$R"
tree_state "$R" >"$T/pristine"
conf "$R" <<EOF
# first-boot settings
exclude = scratch-*
backup = no
EOF
state "$R"
fb "$R"
check "config exclude = scratch-*: exit 0" test $? -eq 0
check "... scratch-1.xml is not touched" lacks_svm "$R/$Q/scratch-1.xml"
check "... web.xml is rewritten" has_svm "$R/$Q/web.xml" require
check "config backup = no: no originals kept" test -z "$(find "$R/$Q" -name '*.nestvirt-orig')"
check "... the stamp records the settings" sh -c 'grep -qx "exclude=scratch-\*" "$1" && grep -qx "backup=no" "$1"' sh "$R/$STAMP"

fbroot "$R"
conf "$R" <<EOF
exclude = scratch-*
EOF
state "$R" "domains=web,scratch-*" "exclude=nocpu" "cpu=EPYC-Rome,require=svm"
fb "$R"
check "state overrides (domains, exclude, cpu): exit 0" test $? -eq 0
check "nestvirt.domains= replaces the config: scratch-1 is selected" has_svm "$R/$Q/scratch-1.xml" require
check "nestvirt.cpu= is the SPEC: web.xml gets EPYC-Rome" grep -q "<model fallback='allow'>EPYC-Rome</model>" "$R/$Q/web.xml"
check "nestvirt.exclude= leaves nocpu.xml alone" lacks_svm "$R/$Q/nocpu.xml"
check "the stamp names the overrides" grep -qx "overrides=cpu domains exclude" "$R/$STAMP"

fbroot "$R"
conf "$R" <<EOF
policy = force
EOF
state "$R"
fb "$R"
check "config policy = force: exit 0" test $? -eq 0
check "... web.xml gets svm 'force'" has_svm "$R/$Q/web.xml" force

# --- bad input: named, nothing touched, no stamp --------------------------------------------
fbroot "$R"
tree_state "$R" >"$T/pristine"
state "$R"
conf "$R" <<EOF
# a comment
backup = yes
mode = sideways
EOF
fb "$R"
check "a bad config value: non-zero exit" test $? -ne 0
check "... naming file, line and value" grep -q "$R/etc/nestvirt/nestvirt.conf:3: mode = sideways" "$T/err"
check "... no domain changed" unchanged_since "$R" "$T/pristine"
check "... no stamp" test ! -e "$R/$STAMP"

printf 'colour = blue\n' | conf "$R"
fb "$R"
check "an unknown key: non-zero exit, named with its line" sh -c '[ "$1" -ne 0 ] && grep -q "nestvirt.conf:1: unknown key .colour." "$2"' sh $? "$T/err"
head -c 300 /dev/urandom | conf "$R"
fb "$R"
check "a garbage config: non-zero exit" test $? -ne 0
check "... no domain changed, no stamp" sh -c 'test ! -e "$1" && test "$2" = "$3"' sh "$R/$STAMP" "$(tree_state "$R")" "$(cat "$T/pristine")"
rm "$R/etc/nestvirt/nestvirt.conf"

state "$R" "cpu=EPYC,frob=1"
fb "$R"
check "a bad nestvirt.cpu=: non-zero exit naming the command-line token" sh -c '[ "$1" -ne 0 ] && grep -q "nestvirt.cpu=EPYC,frob=1 on the kernel command line" "$2"' sh $? "$T/err"
state "$R" "domains=../web"
fb "$R"
check "a bad nestvirt.domains=: non-zero exit naming it" sh -c '[ "$1" -ne 0 ] && grep -q "nestvirt.domains=../web" "$2"' sh $? "$T/err"
check "... no domain changed, no stamp" sh -c 'test ! -e "$1" && test "$2" = "$3"' sh "$R/$STAMP" "$(tree_state "$R")" "$(cat "$T/pristine")"

printf 'request=1\nthis is not the state\n' >"$R/run/nestvirt/state"
fb "$R"
check "a garbage state: non-zero exit" test $? -ne 0
check "... saying it is not the helper's state" grep -q "not a key=value line" "$T/err"
head -c 200 /dev/urandom >"$R/run/nestvirt/state"
fb "$R"
check "a binary state: non-zero exit" test $? -ne 0
state "$R" request=7
fb "$R"
check "a state with request=7: non-zero exit" test $? -ne 0
state "$R" request=-1
fb "$R"
check "a state with request=-1 (no valid nestvirt=): nothing requested, exit 0" sh -c '[ "$1" -eq 0 ] && grep -q "nothing requested" "$2"' sh $? "$T/err"
state "$R"
sed -i '/^firstboot=/d; /^source=/d' "$R/run/nestvirt/state"
fb "$R"
check "a stale state (from a helper that does not record the first boot): non-zero exit" test $? -ne 0
check "... saying so" grep -q "older nestvirt-early" "$T/err"
check "bad states changed nothing, wrote no stamp" sh -c 'test ! -e "$1" && test "$2" = "$3"' sh "$R/$STAMP" "$(tree_state "$R")" "$(cat "$T/pristine")"

# --- libvirtd running, a domain that fails to parse ----------------------------------------
state "$R"
hold_lock "$R/run/libvirtd.pid"
fb "$R"
check "libvirtd running (pid file locked): non-zero exit" test $? -ne 0
check "... the rewrite says why" grep -q "libvirtd is running" "$T/err"
check "... says the next boot tries again" grep -q "no stamp written, the next boot tries again" "$T/err"
release_lock
rm -f "$R/run/libvirtd.pid"
check "... no domain changed, no stamp" sh -c 'test ! -e "$1" && test "$2" = "$3"' sh "$R/$STAMP" "$(tree_state "$R")" "$(cat "$T/pristine")"

printf "<domain type='kvm'>\n  <name>broken</name>\n  <cpu>\n</domain>\n" >"$R/$Q/broken.xml"
fb "$R"
check "a domain that fails to parse: non-zero exit" test $? -ne 0
check "... it is named as failed" grep -q "^$R/$Q/broken.xml: failed: " "$T/out"
check "... the others are still rewritten" has_svm "$R/$Q/web.xml" require
check "... no stamp: the next boot tries again" test ! -e "$R/$STAMP"
rm "$R/$Q/broken.xml"
fb "$R"
check "the next boot (domain fixed) finishes and writes the stamp" sh -c '[ "$1" -eq 0 ] && test -f "$2"' sh $? "$R/$STAMP"

# Files in the dir that are no domains are reported, not fatal (the rewriter's --skip-foreign).
fbroot "$R"
state "$R"
ln -s web.xml "$R/$Q/link.xml"
mkfifo "$R/$Q/fifo.xml"
printf "<network>\n  <name>net</name>\n</network>\n" >"$R/$Q/net.xml"
fb "$R"
st=$?
if "$NV" rewrite --help | grep -q -- --skip-foreign; then
	check "a symlink, a FIFO and a network document do not fail the first boot" test $st -eq 0
	check "... the stamp is written" test -f "$R/$STAMP"
else
	todo "a symlink, a FIFO and a network document do not fail the first boot" \
		"needs nestvirt rewrite --skip-foreign (issue 7's branch)" test $st -eq 0
	todo "... the stamp is written" "needs nestvirt rewrite --skip-foreign" test -f "$R/$STAMP"
fi
check "... the domains are rewritten all the same" has_svm "$R/$Q/web.xml" require

# --- nothing to rewrite: the decision is to stamp ---------------------------------------------
rm -rf "$R"
mkdir -p "$R"
cpuinfo "$R" amd
state "$R"
fb "$R"
check "no /etc/libvirt/qemu: exit 0" test $? -eq 0
check "... the stamp is written (domains defined later are never touched)" test -f "$R/$STAMP"
rm -f "$R/$STAMP"
mkdir -p "$R/$Q"
fb "$R"
check "an empty /etc/libvirt/qemu: exit 0 and the stamp" sh -c '[ "$1" -eq 0 ] && test -f "$2"' sh $? "$R/$STAMP"

# --- read-only /etc or /var: fails before touching anything -----------------------------------
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	fbroot "$R"
	state "$R"
	tree_state "$R" >"$T/pristine"
	mkdir -p "$R/var"
	unshare -m sh -c 'mount --bind "$1/var" "$1/var" && mount -o remount,bind,ro "$1/var" &&
		"$2" firstboot --root "$1"' sh "$R" "$NV" >"$T/out" 2>"$T/err"
	check "a read-only /var: non-zero exit" test $? -ne 0
	check "... naming the directory" grep -q "$R/var/lib/nestvirt" "$T/err"
	check "... no domain changed" unchanged_since "$R" "$T/pristine"
	unshare -m sh -c 'mount --bind "$1/etc" "$1/etc" && mount -o remount,bind,ro "$1/etc" &&
		"$2" firstboot --root "$1"' sh "$R" "$NV" >"$T/out" 2>"$T/err"
	check "a read-only /etc: non-zero exit" test $? -ne 0
	check "... naming /etc/libvirt/qemu as not writable" grep -q "$R/$Q: not writable" "$T/err"
	check "... no domain changed, no stamp" sh -c 'test ! -e "$1" && test "$2" = "$3"' sh "$R/$STAMP" "$(tree_state "$R")" "$(cat "$T/pristine")"
else
	for i in 1 2 3 4 5 6; do skip "read-only mounts: no mount namespaces here"; done
fi

"$NV" firstboot --root "$R" --bogus >/dev/null 2>&1
check "an unknown option: exit 2" test $? -eq 2
"$NV" firstboot --help | grep -q "usage: nestvirt firstboot"
check "--help prints the usage" test $? -eq 0

done_testing
