#!/bin/sh
# bench/status.sh: `nestvirt status --root` over 10,000 stored domain files (~6 KB, the five
# kinds of tests/fault/gendomains.sh: custom model, no <cpu>, host-model, host-passthrough,
# features required) on an Intel host with nesting on, side by side in the same run with:
#   floor   bench/rwfloor read: every file read once, whole, no parsing (the rewriter's floor
#           for reading)
#   naive   what a user would script offline: one `grep -l` per file for vmx/svm or
#           host-passthrough, plus `cat` of the sysfs and /proc files status reads
# and the same at 2,500 files, to show that the time per file and the peak RSS do not grow.
# Targets: < 1 s at 10,000 files, peak RSS <= 16 MiB and flat (10,000 vs 2,500).
#
# Environment: NESTVIRT_BUILD (default ./build), BENCH_DIR (default /var/tmp), BENCH_FILES
# (10000), BENCH_REPS (3, the median is used), BENCH_NAIVE_SAMPLE (500: the grep loop is
# measured on that many files and scaled).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
B=${NESTVIRT_BUILD:-$here/../build}
NV=$B/nestvirt
FLOOR=$B/bench/rwfloor
GEN=$here/../tests/fault/gendomains.sh
N=${BENCH_FILES:-10000}
N4=$((N / 4))
REPS=${BENCH_REPS:-3}
NS=${BENCH_NAIVE_SAMPLE:-500}
[ "$NS" -le "$N" ] || NS=$N
if ! [ -x "$NV" ] || ! [ -x "$FLOOR" ]; then
	echo "bench: build first (make bench)" >&2
	exit 2
fi

W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/nestvirt-bench-status.XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 130' HUP INT PIPE TERM
Q=etc/libvirt/qemu

# host COUNT: a fake Intel host with nesting on and COUNT stored domains in $W/host-COUNT.
host() {
	h=$W/host-$1
	mkdir -p "$h/$Q" "$h/proc" "$h/sys/module/kvm_intel/parameters" "$h/run"
	printf 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx ept\n\n' >"$h/proc/cpuinfo"
	echo "nestvirt=1" >"$h/proc/cmdline"
	echo live >"$h/sys/module/kvm_intel/initstate"
	echo 0 >"$h/sys/module/kvm_intel/refcnt"
	echo Y >"$h/sys/module/kvm_intel/parameters/nested"
	"$GEN" "$h/$Q" "$1"
}

# shellcheck source=bench/lib/measure.sh
. "$here/lib/measure.sh"

per() {
	awk -v ms="$1" -v n="$2" 'BEGIN { printf "%.4f", ms / n }'
}

# The naive check: one grep per file, then the kernel's files.
cat >"$W/naive.sh" <<'EOF2'
root=$1
shift
for f in "$@"; do
	grep -l -e "name='vmx'" -e "name='svm'" -e "host-passthrough" "$f"
done
cat "$root/sys/module/kvm_intel/parameters/nested" "$root/proc/cmdline" "$root/proc/cpuinfo"
EOF2

echo "bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start (other work on the machine skews the figures)"
host "$N"
host "$N4"
echo "bench: $N and $N4 generated domain files on $(df -T "$W" | awk 'NR == 2 { print $2 }') ($W), median of $REPS runs; page cache warm"
# Warm the page cache and check the run does the job: every domain analysed.
"$NV" status --root "$W/host-$N" --json >"$W/j" 2>/dev/null || true
count=$(tr -d '\n' <"$W/j" | sed -n 's/.*"guests": {"dir": "[^"]*", "error": null, "count": \([0-9]*\), "problems": \([0-9]*\).*/\1 \2/p')
"$FLOOR" read "$W/host-$N/$Q" >/dev/null

sv='' sv_rss='' sv_cpu='' fl='' fl_cpu='' sv4='' sv4_rss='' sv4_cpu='' fl4=''
r=1
while [ "$r" -le "$REPS" ]; do
	measure "$NV" status --root "$W/host-$N"
	sv="$sv $ms" sv_rss="$sv_rss $rss" sv_cpu="$sv_cpu $cpu"
	measure "$FLOOR" read "$W/host-$N/$Q"
	fl="$fl $ms" fl_cpu="$fl_cpu $cpu"
	measure "$NV" status --root "$W/host-$N4"
	sv4="$sv4 $ms" sv4_rss="$sv4_rss $rss" sv4_cpu="$sv4_cpu $cpu"
	measure "$FLOOR" read "$W/host-$N4/$Q"
	fl4="$fl4 $ms"
	r=$((r + 1))
done
# shellcheck disable=SC2086 # the series are space-separated on purpose
{
	sv=$(median $sv) sv_rss=$(median $sv_rss) sv_cpu=$(median $sv_cpu)
	fl=$(median $fl) fl_cpu=$(median $fl_cpu)
	sv4=$(median $sv4) sv4_rss=$(median $sv4_rss) sv4_cpu=$(median $sv4_cpu) fl4=$(median $fl4)
}
# shellcheck disable=SC2046 # one argument per file name (no blanks in generated names)
measure sh "$W/naive.sh" "$W/host-$N" $(find "$W/host-$N/$Q" -name '*.xml' | sort | head -n "$NS")
naive=$(awk -v ms="$ms" -v s="$NS" -v n="$N" 'BEGIN { printf "%.0f", ms * n / s }')
naive_cpu=$(awk -v ms="$cpu" -v s="$NS" -v n="$N" 'BEGIN { printf "%.0f", ms * n / s }')

echo
echo "nestvirt status: ${count:-?} (domains problems) in the JSON of the check run at $N files"
printf '%-54s %8s %8s %9s %9s\n' "" "wall ms" "cpu ms" "ms/file" "peak KiB"
printf '%-54s %8s %8s %9s %9s\n' "nestvirt status --root, $N files" "$sv" "$sv_cpu" "$(per "$sv" "$N")" "$sv_rss"
printf '%-54s %8s %8s %9s %9s\n' "floor: rwfloor read, $N files" "$fl" "$fl_cpu" "$(per "$fl" "$N")" "-"
printf '%-54s %8s %8s %9s %9s\n' "naive: grep -l per file + cat ($NS files, scaled)" "$naive" "$naive_cpu" "$(per "$naive" "$N")" "-"
printf '%-54s %8s %8s %9s %9s\n' "nestvirt status --root, $N4 files" "$sv4" "$sv4_cpu" "$(per "$sv4" "$N4")" "$sv4_rss"
printf '%-54s %8s %8s %9s %9s\n' "floor: rwfloor read, $N4 files" "$fl4" "-" "$(per "$fl4" "$N4")" "-"
echo
r1=$(ratio "$sv" "$fl")
r2=$(ratio "$naive" "$sv")
r5=$(ratio "$naive_cpu" "$sv_cpu")
r6=$(ratio "$sv_cpu" "$fl_cpu")
r3=$(ratio "$(per "$sv" "$N")" "$(per "$sv4" "$N4")")
r4=$(ratio "$sv_rss" "$sv4_rss")
printf '%-58s %8s  %s\n' "ratio / figure" "value" "target"
printf '%-58s %8s  < 1000   %s\n' "nestvirt status wall ms at $N files" "$sv" "$(verdict "$sv" "<" 1000)"
printf '%-58s %8s  < 1000   %s\n' "nestvirt status cpu ms at $N files (load-independent)" "$sv_cpu" "$(verdict "$sv_cpu" "<" 1000)"
printf '%-58s %8s  (info: parsing and prediction over reading)\n' "nestvirt status / floor" "$r1"
printf '%-58s %8s  (info: cpu)\n' "nestvirt status / floor, cpu" "$r6"
printf '%-58s %8s  (info: the naive loop answers less)\n' "naive grep loop / nestvirt status" "$r2"
printf '%-58s %8s  (info)\n' "naive grep loop / nestvirt status, cpu" "$r5"
printf '%-58s %8s  ~1.0     %s\n' "time per file at $N / at $N4 files" "$r3" "$(verdict "$r3" "<=" 1.25)"
printf '%-58s %8s  <= 16384 %s\n' "peak RSS KiB at $N files" "$sv_rss" "$(verdict "$sv_rss" "<=" 16384)"
printf '%-58s %8s  ~1.0     %s\n' "peak RSS at $N / at $N4 files" "$r4" "$(verdict "$r4" "<=" 1.1)"
