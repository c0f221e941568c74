#!/bin/sh
# bench/firstboot.sh: the first boot's own overhead and the cost of a boot with nothing to do.
#  1. `nestvirt firstboot` over 10,000 stored domains (~6 KB each, every one needing the edit),
#     as nestvirt-firstboot.service runs it (state, config, stamp), against the same files
#     rewritten by the bare `nestvirt rewrite` with the same settings. Target: <= 1.1x.
#  2. A boot with nothing to do (stamp present, or no request): systemd skips the unit by its
#     ConditionPathExists= lines, two stat(2) calls in PID 1, no process. Shown as instructions
#     (callgrind) of systemd's own evaluation of those conditions (`systemd-analyze condition`,
#     a whole process) against what a process that checks the stamp itself would cost
#     (`nestvirt firstboot` with the stamp present), and /bin/true as the floor of any process.
#
# Environment: NESTVIRT_BUILD (default ./build), BENCH_DIR (default /var/tmp: a real disk, since
# fsync is most of the cost), BENCH_FILES (10000), BENCH_REPS (3, the median is used).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
B=${NESTVIRT_BUILD:-$here/../build}
NV=$B/nestvirt
FLOOR=$B/bench/rwfloor
GEN=$here/../tests/fault/gendomains.sh
N=${BENCH_FILES:-10000}
REPS=${BENCH_REPS:-3}
if ! [ -x "$NV" ] || ! [ -x "$FLOOR" ]; then
	echo "bench: build first (make bench)" >&2
	exit 2
fi

W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/nestvirt-fbbench.XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 130' HUP INT PIPE TERM
Q=etc/libvirt/qemu

# The host as the first boot sees it: the helper's state for nestvirt=1 on an Intel host.
p=$W/pristine
mkdir -p "$p/$Q" "$p/run/nestvirt" "$p/proc"
printf 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx\n\n' >"$p/proc/cpuinfo"
printf '%s\n' request=1 module=kvm_intel vendor=GenuineIntel virt_flag=1 hypervisor=0 \
	admin_nested= action=snippet nested_before=-1 nested_after=-1 reload_attempts=0 \
	'message=kvm_intel will load with nested=1' source=cmdline cpu= domains= exclude= \
	firstboot=1 >"$p/run/nestvirt/state"
"$GEN" "$p/$Q" "$N" changing
chmod 600 "$p/$Q"/*.xml

fresh() {
	rm -rf "$RUN"
	cp -a "$p" "$RUN"
	sync
}

# measure CMD...: sets ms (wall) from rwfloor's getrusage runner; the command must exit 0.
measure() {
	"$FLOOR" run "$W/m" "$@" >/dev/null 2>"$W/err"
	read -r ms _rss st _cpu <"$W/m"
	[ "$st" -eq 0 ] || { echo "bench: '$*' failed with status $st" >&2; cat "$W/err" >&2; exit 1; }
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'
}

# series LABEL: REPS interleaved runs of both in $RUN; prints the medians and the ratio.
series() {
	fb_ms='' rw_ms=''
	r=1
	while [ "$r" -le "$REPS" ]; do
		fresh
		measure "$NV" firstboot --root "$RUN"
		[ -f "$RUN/var/lib/nestvirt/firstboot.done" ] || { echo "bench: no stamp" >&2; exit 1; }
		fb_ms="$fb_ms $ms"
		fresh
		measure "$NV" rewrite --root "$RUN" --vendor intel --mode feature
		rw_ms="$rw_ms $ms"
		r=$((r + 1))
	done
	# shellcheck disable=SC2086 # the series are space-separated on purpose
	fb=$(median $fb_ms) rw=$(median $rw_ms)
	q=$(ratio "$fb" "$rw")
	verdict=$(awk -v q="$q" 'BEGIN { print (q <= 1.1 ? "meets" : "MISSES") }')
	echo "   $1 (runs:$fb_ms ms | bare rewrite:$rw_ms ms)"
	printf '     nestvirt firstboot  %8s ms  (%s files/s)\n' "$fb" "$(awk -v n="$N" -v ms="$fb" 'BEGIN { printf "%.0f", n * 1000 / ms }')"
	printf '     nestvirt rewrite    %8s ms\n' "$rw"
	echo "     ratio firstboot/rewrite: ${q}x (target <= 1.1x: $verdict)"
}

echo "bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start (other work on the machine skews the figures)"
echo "bench: $N generated domain files, median of $REPS runs, interleaved"
echo
echo "1. first-boot rewrite of $N domains, the unit's way vs the bare rewriter"
RUN=$W/run
series "on $(df -T "$W" | awk 'NR == 2 { print $2 }') ($W): fsync is most of it"
if [ "$(df -T /dev/shm 2>/dev/null | awk 'NR == 2 { print $2 }')" = tmpfs ]; then
	RUN=$(mktemp -d /dev/shm/nestvirt-fbbench.XXXXXX)
	trap 'rm -rf "$W" "$RUN"' EXIT
	series "on tmpfs ($RUN): fsync is free, the CPU work alone"
	rm -rf "$RUN"
fi
RUN=$W/run
# The wall figures swing with the machine's load; instruction counts do not. Both commands
# under callgrind on a smaller tree (tmpfs when there is one: the count is the same).
if command -v valgrind >/dev/null; then
	NI=${BENCH_INSTR_FILES:-1000}
	ip=$W/instr
	mkdir -p "$ip"
	cp -a "$p/proc" "$p/run" "$ip/"
	"$GEN" "$ip/$Q" "$NI" changing
	chmod 600 "$ip/$Q"/*.xml
	icount() {
		rm -rf "$W/i"
		cp -a "$ip" "$W/i"
		valgrind --tool=callgrind --callgrind-out-file="$W/cgi" "$@" >/dev/null 2>"$W/cgi.err" ||
			{ echo "bench: '$*' failed under valgrind" >&2; cat "$W/cgi.err" >&2; exit 1; }
		awk '/^summary:/ { print $2 }' "$W/cgi"
	}
	ifb=$(icount "$NV" firstboot --root "$W/i")
	irw=$(icount "$NV" rewrite --root "$W/i" --vendor intel --mode feature)
	echo "   instructions (callgrind) over $NI domains: firstboot $ifb, bare rewrite $irw:" \
		"ratio $(ratio "$ifb" "$irw")x (target <= 1.1x)"
fi
echo
echo "2. a boot with nothing to do"
# The last run of the disk series left the rewritten files: this run finds them fine, stamps.
"$NV" firstboot --root "$W/run" >/dev/null 2>&1
[ -f "$W/run/var/lib/nestvirt/firstboot.done" ] || { echo "bench: no stamp" >&2; exit 1; }
stamp=$W/run/var/lib/nestvirt/firstboot.done
conds="ConditionPathExists=!$stamp ConditionPathExists=$W/run/run/nestvirt/state"
# shellcheck disable=SC2086 # two condition words
if systemd-analyze condition $conds >/dev/null 2>&1; then
	echo "bench: the unit's conditions passed with the stamp present" >&2
	exit 1
fi
echo "   the unit's conditions with the stamp present: fail, so systemd starts no process"
if command -v valgrind >/dev/null; then
	instr() {
		valgrind --tool=callgrind --callgrind-out-file="$W/cg" "$@" >/dev/null 2>"$W/cg.err" || true
		awk '/^summary:/ { print $2 }' "$W/cg"
	}
	# shellcheck disable=SC2086
	sa=$(instr systemd-analyze condition $conds)
	nvd=$(instr "$NV" firstboot --root "$W/run")
	mv "$W/run/run/nestvirt/state" "$W/state"
	mv "$stamp" "$W/stamp"
	nvn=$(instr "$NV" firstboot --root "$W/run")
	mv "$W/state" "$W/run/run/nestvirt/state"
	mv "$W/stamp" "$stamp"
	tr=$(instr /bin/true)
	echo "   instructions (callgrind, whole process incl. the dynamic loader):"
	printf '     %-58s %12s\n' "systemd-analyze condition (systemd's own evaluation)" "$sa" \
		"nestvirt firstboot, stamp present (no condition)" "$nvd" \
		"nestvirt firstboot, no request (no condition)" "$nvn" \
		"/bin/true (any process at all)" "$tr"
	echo "   in PID 1 a skipped unit costs its two stat(2) calls; without the conditions every"
	echo "   boot would pay a fork+exec of nestvirt: $(ratio "$nvd" "$tr")x /bin/true's instructions"
else
	echo "   (valgrind not installed: no instruction counts)"
fi
if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 10 --runs 100 --export-json "$W/h.json" \
		-n "nestvirt firstboot, stamp present" "$NV firstboot --root $W/run" \
		-n "/bin/true" "/bin/true" >/dev/null 2>&1
	awk -v RS='"command"' 'NR > 1 { match($0, /"mean": *[0-9.e-]+/); m = substr($0, RSTART, RLENGTH);
		sub(/.*: */, "", m); split($0, a, "\""); printf "   wall, mean of 100 runs: %-36s %7.3f ms\n", a[2], m * 1000 }' "$W/h.json"
fi
