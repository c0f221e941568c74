#!/bin/sh
# nestvirt image killed at points spread over a run (--enable --now-rewrite): the fault shim
# stops the process at its Nth write/fsync/close/rename/…, then the test sends SIGKILL. After
# each kill no loop device is attached to the image, no mount is visible, the filesystem checks
# clean after its journal replay, and every file of the image is its old or its new version.
# SIGTERM and SIGINT at two points: the run cleans up itself, the filesystem is left clean.
# shellcheck disable=SC2016
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib-image.sh
. "$(dirname "$0")/lib-image.sh"
need_loop
SHIM=$NESTVIRT_BUILD/fault/faultshim.so
if [ ! -e "$SHIM" ]; then
	plan 1
	skip "kill points" "no $SHIM (make check builds it)"
	exit 0
fi

T=$TMP
tree "$T/tree"
ext4 "$T/orig.img" 32 "$T/tree"
cp "$T/orig.img" "$T/want.img"
"$NESTVIRT" image --image "$T/want.img" --enable --now-rewrite --vendor amd >/dev/null 2>&1
NAMES="web.xml build.xml scratch-1.xml legacy.xml emulated.xml"

# stopped PID: PID or one of its children is stopped (state T).
stopped() {
	for p in "$1" $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = T ] && return 0
	done
	return 1
}

# run_until N: start the run stopped at the Nth counted call; true with its pid in $pid once
# stopped, false when the run ended first.
run_until() {
	cp "$T/orig.img" "$T/img"
	LD_PRELOAD=$SHIM NESTVIRT_FAULT_STOP_AT=$1 "$NESTVIRT" image --image "$T/img" --enable \
		--now-rewrite --vendor amd >"$T/out" 2>"$T/err" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		stopped "$pid" && return 0
		sleep 0.05
	done
	wait "$pid"
	return 1
}

# old_or_new: every file the run writes is the original's or the finished run's version,
# after e2fsck replayed the journal on a copy. Prints each violation.
old_or_new() {
	cp "$T/img" "$T/fsck.img"
	e2fsck -fy "$T/fsck.img" >"$T/fsck.out" 2>&1
	[ $? -lt 4 ] || echo "e2fsck: $(tail -n 3 "$T/fsck.out")"
	for f in $NAMES; do
		got=$(rd "$T/fsck.img" 0 "$Q/$f" | sha256sum)
		[ "$got" = "$(rd "$T/orig.img" 0 "$Q/$f" | sha256sum)" ] ||
			[ "$got" = "$(rd "$T/want.img" 0 "$Q/$f" | sha256sum)" ] || echo "$f: neither old nor new"
	done
	p=$(rd "$T/fsck.img" 0 etc/nestvirt/persistent)
	[ -z "$p" ] || [ "$(printf '%s\n' "$p" | grep -v '^#')" = nestvirt=1 ] ||
		echo "persistent: half written: $p"
}

# rerun_finishes: a rerun on the killed image ends with exactly the finished run's files and no
# temporary file of the killed one.
rerun_finishes() {
	"$NESTVIRT" image --image "$T/img" --enable --now-rewrite --vendor amd >/dev/null 2>&1 || return 1
	for f in $NAMES; do
		eq "$(rd "$T/want.img" 0 "$Q/$f")" "$(rd "$T/img" 0 "$Q/$f")" || return 1
	done
	lacks "$(ls_dir "$T/img" 0 etc/nestvirt; ls_dir "$T/img" 0 $Q)" '^\..*\.[0-9a-f]{6}$'
}

points=
n=1
while [ $n -lt 100000 ]; do
	run_until $n || break
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	points="$points $n"
	check "SIGKILL at call $n: no loop device or mount left" no_leftovers "$T/img"
	check "SIGKILL at call $n: every file old or new, fsck clean" eq "" "$(old_or_new)"
	check "SIGKILL at call $n: a rerun finishes the job, no temporary file left" rerun_finishes
	n=$((n * 2))
done
diag "killed at calls:$points (the run makes fewer than $n counted calls)"
check "at least five kill points" test "$(echo "$points" | wc -w)" -ge 5

for sig in 15 2; do
	for n in 9 27; do
		if ! run_until $n; then
			skip "signal $sig at call $n" "the run ended before call $n"
			continue
		fi
		kill -"$sig" "$pid"
		# shellcheck disable=SC2046 # one pid per word
		kill -CONT "$pid" $(cat "/proc/$pid/task/$pid/children" 2>/dev/null)
		wait "$pid"
		st=$?
		check "signal $sig at call $n: exit 128+signal, cleaned up" \
			sh -c '[ "$1" -eq "$2" ] && grep -q "interrupted by signal\|was killed by signal" "$3"' \
			sh "$st" $((128 + sig)) "$T/err"
		check "... no loop device or mount left" no_leftovers "$T/img"
		check "... the filesystem was unmounted clean (e2fsck -fn)" \
			sh -c 'e2fsck -fn "$1" >/dev/null 2>&1' sh "$T/img"
		check "... every file old or new" eq "" "$(old_or_new)"
	done
done

# The plan is known at the end: the number of kill points depends on the run's calls.
echo "1..$_tap_n"
finish
