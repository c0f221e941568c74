#!/bin/sh
# Fault injection: every write, fsync, close, rename, link, unlink, chown, chmod and xattr call
# of a rewrite (then of a rollback) fails in turn. After each failed run every domain file is
# byte-identical to its original or to its complete new version, with its metadata; a backup
# is always the original; no temporary file is left; a rerun finishes the job.
set -u
# shellcheck source=tests/fault/lib.sh
. "$(dirname "$0")/../fault/lib.sh"
scratch

if [ ! -r "$SHIM" ]; then
	skip "the fault shim $SHIM is not built (make check builds it)"
	done_testing
	exit
fi

Q=etc/libvirt/qemu
make_clean_tree "$T/orig"
domain mail kvm x86_64 "$CPU_MODEL" >"$T/orig/$Q/mail.xml"
chmod 640 "$T/orig/$Q/mail.xml"
chown 65534:65534 "$T/orig/$Q/mail.xml"
"$PY" -c 'import os, sys; os.setxattr(sys.argv[1], "user.origin", b"faults")' \
	"$T/orig/$Q/mail.xml" 2>/dev/null || true

metas "$T/orig/$Q" >"$T/orig.meta"

# meta NAME [FILE]: what must survive any replace, of NAME (from metas FILE).
meta() {
	grep "^$1 " "${2:-$T/meta}" | cut -d' ' -f2-
}

# The reference results, without faults.
cp -a "$T/orig" "$T/want"
"$NV" rewrite --root "$T/want" >/dev/null 2>&1
check "the reference rewrite exits 0" test $? -eq 0
cp -a "$T/want" "$T/wantrb"
"$NV" rollback --root "$T/wantrb" >/dev/null 2>&1
check "the reference rollback exits 0" test $? -eq 0

# verify_rewrite DIR STATUS OUTPUT: the invariants after a rewrite that may have failed. Prints
# what is wrong, nothing when all holds.
verify_rewrite() {
	d=$1/$Q
	metas "$d" >"$T/meta"
	for f in "$T/orig/$Q"/*.xml; do
		n=${f##*/}
		if cmp -s "$d/$n" "$f"; then
			[ "$2" -eq 0 ] && ! cmp -s "$f" "$T/want/$Q/$n" && echo "$n: exit 0 but not rewritten"
			[ "$(meta "$n")" = "$(meta "$n" "$T/orig.meta")" ] || echo "$n: metadata of the original changed"
		elif cmp -s "$d/$n" "$T/want/$Q/$n"; then
			[ "$(meta "$n")" = "$(meta "$n" "$T/orig.meta")" ] || echo "$n: new version lost metadata: $(meta "$n")"
		else
			echo "$n: neither the original nor the new version"
		fi
		if [ -e "$d/$n.nestvirt-orig" ]; then
			cmp -s "$d/$n.nestvirt-orig" "$f" || echo "$n.nestvirt-orig: not the original"
		elif ! cmp -s "$d/$n" "$f"; then
			echo "$n: changed without a backup"
		fi
	done
	extra=$(names "$d" | grep -v -e '\.xml$' -e '\.xml\.nestvirt-orig$' -e '^autostart$')
	for x in $extra; do
		# The swapped-out original whose unlink failed: allowed when the report says so.
		o=$(printf '%s' "$x" | sed -n 's/^\.\(.*\.xml\)\.[0-9a-f]\{6\}$/\1/p')
		if [ -n "$o" ] && cmp -s "$d/$x" "$T/orig/$Q/$o" && grep -q "left as $x " "$3"; then
			extra=$(printf '%s\n' "$extra" | grep -vx -- "$x")
		fi
	done
	[ -z "$extra" ] || echo "left behind: $extra"
	[ "$(names "$d" | grep -c '\.xml$')" -eq "$(names "$T/orig/$Q" | grep -c '\.xml$')" ] ||
		echo "the set of *.xml names changed"
}

# verify_final DIR: the job is done: exactly the reference result.
verify_final() {
	for f in "$T/want/$Q"/*.xml "$T/want/$Q"/*.nestvirt-orig; do
		cmp -s "$1/$Q/${f##*/}" "$f" || echo "${f##*/} differs from the reference"
	done
	[ "$(tree_state "$1")" = "$(tree_state "$T/want")" ] || echo "tree differs from the reference"
}

cp -a "$T/orig" "$T/count"
NESTVIRT_FAULT_COUNT=$T/n LD_PRELOAD=$SHIM "$NV" rewrite --root "$T/count" >/dev/null 2>&1
n=$(cat "$T/n")
check "the rewrite makes I/O calls the shim counts ($n)" test "$n" -gt 10

i=1
while [ "$i" -le "$n" ]; do
	rm -rf "$T/r" && cp -a "$T/orig" "$T/r"
	NESTVIRT_FAULT_AT=$i LD_PRELOAD=$SHIM "$NV" rewrite --root "$T/r" >"$T/out" 2>"$T/err"
	st=$?
	op=$(sed -n 's/^faultshim: failing \([a-z]*\) .*/\1/p' "$T/err")
	bad=$(verify_rewrite "$T/r" $st "$T/out")
	[ $st -le 1 ] || bad="$bad exit status $st"
	"$NV" rewrite --root "$T/r" >"$T/out2" 2>&1
	st2=$?
	bad2=$(verify_final "$T/r")
	[ $st2 -eq 0 ] || bad2="$bad2 rerun exit status $st2"
	if [ -z "$bad$bad2" ]; then
		ok "rewrite, failing call $i/$n ($op): exit $st, every file old or new, the rerun finishes"
	else
		not_ok "rewrite, failing call $i/$n ($op)"
		diag "$bad" "$bad2" "$(cat "$T/out" "$T/err")"
	fi
	i=$((i + 1))
done

# verify_rollback DIR: after a rollback that may have failed: each file is the new version
# with its backup still there, or the original without (or with an identical) backup.
verify_rollback() {
	d=$1/$Q
	metas "$d" >"$T/meta"
	for f in "$T/orig/$Q"/*.xml; do
		n=${f##*/}
		if cmp -s "$d/$n" "$f"; then
			[ "$(meta "$n")" = "$(meta "$n" "$T/orig.meta")" ] || echo "$n: restored without its metadata"
			[ ! -e "$d/$n.nestvirt-orig" ] || cmp -s "$d/$n.nestvirt-orig" "$f" ||
				echo "$n.nestvirt-orig: not the original"
		elif cmp -s "$d/$n" "$T/want/$Q/$n"; then
			cmp -s "$d/$n.nestvirt-orig" "$f" || echo "$n: new version, but the backup is gone"
		else
			echo "$n: neither the original nor the new version"
		fi
	done
	extra=$(names "$d" | grep -v -e '\.xml$' -e '\.xml\.nestvirt-orig$' -e '^autostart$')
	[ -z "$extra" ] || echo "left behind: $extra"
}

NESTVIRT_FAULT_COUNT=$T/n LD_PRELOAD=$SHIM "$NV" rollback --root "$T/count" >/dev/null 2>&1
n=$(cat "$T/n")
check "the rollback makes I/O calls the shim counts ($n)" test "$n" -gt 3
i=1
while [ "$i" -le "$n" ]; do
	rm -rf "$T/r" && cp -a "$T/want" "$T/r"
	NESTVIRT_FAULT_AT=$i LD_PRELOAD=$SHIM "$NV" rollback --root "$T/r" >"$T/out" 2>"$T/err"
	st=$?
	op=$(sed -n 's/^faultshim: failing \([a-z]*\) .*/\1/p' "$T/err")
	bad=$(verify_rollback "$T/r")
	[ $st -le 1 ] || bad="$bad exit status $st"
	"$NV" rollback --root "$T/r" >"$T/out2" 2>&1
	st2=$?
	[ "$(tree_state "$T/r")" = "$(tree_state "$T/wantrb")" ] || bad="$bad; the rerun did not restore all"
	[ $st2 -eq 0 ] || bad="$bad rerun exit status $st2"
	if [ -z "$bad" ]; then
		ok "rollback, failing call $i/$n ($op): exit $st, nothing lost, the rerun finishes"
	else
		not_ok "rollback, failing call $i/$n ($op)"
		diag "$bad" "$(cat "$T/out" "$T/err" "$T/out2")"
	fi
	i=$((i + 1))
done

# ENOSPC on the data write of each changed file: the usual real-world failure.
rm -rf "$T/r" && cp -a "$T/orig" "$T/r"
NESTVIRT_FAULT_OPS=write NESTVIRT_FAULT_AT=1 NESTVIRT_FAULT_ERRNO=28 LD_PRELOAD=$SHIM \
	"$NV" rewrite --root "$T/r" >"$T/out" 2>&1
st=$?
check "a full disk fails the file (exit 1)" test $st -eq 1
check "... naming the reason" grep -q "No space left on device, left unchanged" "$T/out"
check "... and every file is old or new" test -z "$(verify_rewrite "$T/r" $st "$T/out")"

done_testing
