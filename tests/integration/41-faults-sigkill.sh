#!/bin/sh
# SIGKILL at points spread over a rewrite of 1,000 domain files (and over the reruns): after
# each kill every file is byte-identical to its original or its complete new version, every
# backup is the original, and a rerun finishes the job.
set -u
# shellcheck source=tests/fault/lib.sh
. "$(dirname "$0")/../fault/lib.sh"
scratch

COUNT=${NESTVIRT_SIGKILL_FILES:-1000}
ROUNDS=${NESTVIRT_SIGKILL_ROUNDS:-6}
Q=etc/libvirt/qemu
mkdir -p "$T/orig/run"
cpuinfo "$T/orig" intel
"$(dirname "$0")/../fault/gendomains.sh" "$T/orig/$Q" "$COUNT"
chmod 600 "$T/orig/$Q"/*.xml
(cd "$T/orig/$Q" && sha256sum -- *.xml) >"$T/orig.sums"

now_ms() {
	date +%s%3N
}

cp -a "$T/orig" "$T/want"
t0=$(now_ms)
"$NV" rewrite --root "$T/want" >/dev/null 2>&1
st=$?
ms=$(($(now_ms) - t0))
check "the reference rewrite of $COUNT files exits 0 (${ms} ms)" test $st -eq 0
(cd "$T/want/$Q" && sha256sum -- *.xml) >"$T/want.sums"
sort -k2 "$T/orig.sums" >"$T/o" && sort -k2 "$T/want.sums" >"$T/w"
changed=$(paste "$T/o" "$T/w" | awk '$1 != $3' | wc -l)
check "the reference rewrite changes most files ($changed of $COUNT)" test "$changed" -ge $((COUNT / 2))

# verify DIR: prints every violation of "old or new" (files), "original" (backups), "no stray
# *.xml", nothing when all holds.
verify() {
	(cd "$1/$Q" && sha256sum -- *.xml *.nestvirt-orig 2>/dev/null) | awk -v o="$T/orig.sums" -v w="$T/want.sums" '
		BEGIN {
			while ((getline l < o) > 0) { split(l, a, "  "); orig[a[2]] = a[1]; n++ }
			while ((getline l < w) > 0) { split(l, a, "  "); want[a[2]] = a[1] }
		}
		{
			h = $1; f = substr($0, length(h) + 3)
			if (f ~ /\.nestvirt-orig$/) {
				b = substr(f, 1, length(f) - 14)
				if (orig[b] != h) print f ": backup is not the original"
				next
			}
			seen++
			if (!(f in orig)) print f ": a new *.xml name"
			else if (h != orig[f] && h != want[f]) print f ": neither old nor new"
			else if (h == want[f] && h != orig[f]) done++
		}
		END {
			if (seen != n) print "expected " n " *.xml files, found " seen
			printf "%d", done + 0 > "/dev/stderr"
		}'
}

# kill_at DIR MS: start a rewrite of DIR, SIGKILL it after MS milliseconds.
kill_at() {
	"$NV" rewrite --root "$1" >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v ms="$2" 'BEGIN { printf "%.3f", ms / 1000 }')"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
}

seed=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
diag "random seed $seed; reference run ${ms} ms"
r=1
while [ $r -le "$ROUNDS" ]; do
	rm -rf "$T/r" && cp -a "$T/orig" "$T/r"
	# Kill points spread over the run, jittered: round r kills at about r/(ROUNDS+1) of it.
	at=$(awk -v s="$seed" -v r=$r -v n="$ROUNDS" -v ms=$ms 'BEGIN { srand(s + r);
		printf "%d", ms * (r + rand() - 0.5) / (n + 1) }')
	kill_at "$T/r" "$at"
	bad=$(verify "$T/r" 2>"$T/progress")
	check "round $r: killed at ${at} ms ($(cat "$T/progress") files done): every file old or new" test -z "$bad"
	[ -z "$bad" ] || diag "$bad"
	# Kill the rerun too, then let a second rerun finish.
	kill_at "$T/r" $((at / 2))
	bad=$(verify "$T/r" 2>"$T/progress")
	check "round $r: rerun killed at $((at / 2)) ms ($(cat "$T/progress") done): every file old or new" test -z "$bad"
	"$NV" rewrite --root "$T/r" >"$T/out" 2>&1
	st=$?
	check "round $r: a rerun finishes the job (exit 0)" test $st -eq 0
	(cd "$T/r/$Q" && sha256sum -- *.xml) >"$T/now.sums"
	check "round $r: every file is its new version" cmp -s "$T/now.sums" "$T/want.sums"
	check "round $r: every changed file has its original as backup" \
		test "$(names "$T/r/$Q" | grep -c 'nestvirt-orig$')" -eq "$changed"
	check "round $r: no temporary file is left" test -z "$(names "$T/r/$Q" | grep '^\.')"
	r=$((r + 1))
done

done_testing
