#!/bin/sh
# The real-root early unit, through systemd's own tools: installed by make install, verified by
# systemd-analyze, enabled into sysinit.target, and started only when there is a request.
. "$(dirname "$0")/lib.sh"
plan 9

if ! command -v systemd-analyze >/dev/null || ! command -v systemctl >/dev/null; then
	for i in 1 2 3 4 5 6 7 8 9; do skip "unit test $i" "systemd is not installed"; done
	exit 0
fi

stage=$TMP/stage
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$SRCDIR" install DESTDIR="$stage" >/dev/null
unit=$(find "$stage" -name nestvirt-early.service)
check "make install puts the unit into systemd's unit dir" \
	eq "$stage$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)/nestvirt-early.service" "$unit"

# verify runs man for Documentation=: point it at the staged pages (or skip that check).
man=yes
command -v man >/dev/null || man=no
verify() {
	MANPATH=$1/usr/share/man systemd-analyze verify --man="$man" --root="$1" nestvirt-early.service
}
out=$(verify "$stage" 2>&1)
check "systemd-analyze verify passes on the installed unit" eq "0:" "$?:$out"
cp -a "$stage" "$TMP/nohelper" && rm "$TMP/nohelper"/usr/libexec/nestvirt/nestvirt-early
out=$(verify "$TMP/nohelper" 2>&1)
check "and fails when the helper it runs is missing (the check can fail)" \
	contains "$out" "nestvirt-early is not executable"

hook=$(sed -n 's/^ *\(@LIBEXECDIR@[^ |]*.*\) ||.*/\1/p' "$SRCDIR/dracut/90nestvirt/nestvirt-cmdline.sh.in" | sed 's/@LIBEXECDIR@/\/usr\/libexec\/nestvirt/')
check "it runs the installed helper with the dracut hook's flags" \
	eq "ExecStart=$hook" "$(grep '^ExecStart=' "$unit")"

systemctl --root="$stage" enable nestvirt-early.service >/dev/null 2>&1
check "systemctl enable wants it from sysinit.target" \
	test -L "$stage/etc/systemd/system/sysinit.target.wants/nestvirt-early.service"
check "nothing requires it: a failure never holds up the boot" \
	lacks "$(grep -rh '^\(Requires\|Requisite\|BindsTo\|RequiredBy\)=' "$unit")" .

# The line systemd's condition reads: PID 1's own in a container (systemd.unit(5)).
if systemd-detect-virt -qc 2>/dev/null; then
	line=$(tr '\0' ' ' </proc/1/cmdline)
else
	line=$(cat /proc/cmdline)
fi
cond_met() { systemd-analyze condition "$@" >/dev/null 2>&1; }
cond_unmet() { ! cond_met "$@"; }
conds=$(grep '^Condition' "$unit")
# shellcheck disable=SC2086 # one argument per line of the unit
set -f && set -- $conds && set +f
if echo "$line" | grep -qw nestvirt || [ -e /etc/nestvirt/persistent ]; then
	skip "no request on this host: conditions not met" "this host has a request"
else
	check "no nestvirt on the command line and no persistent file: conditions not met" \
		cond_unmet "$@"
fi
touch "$TMP/persistent"
conds=$(echo "$conds" | sed "s|/etc/nestvirt/persistent|$TMP/persistent|")
# shellcheck disable=SC2086
set -f && set -- $conds && set +f
check "the persistent file alone meets them" cond_met "$@"
# The bare word matches "word=value" too (systemd.unit(5)): shown with a key of this host's line.
key=$(echo "$line" | tr ' ' '\n' | sed -n 's/^\([a-z_]*\)=.*/\1/p' | head -n 1)
if [ -n "$key" ]; then
	check "ConditionKernelCommandLine=|WORD matches WORD=value ('$key')" \
		cond_met "ConditionKernelCommandLine=|$key"
else
	skip "ConditionKernelCommandLine=|WORD matches WORD=value" "no key=value on this command line"
fi
finish
