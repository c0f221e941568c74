#!/bin/sh
# bench/rewrite.sh: `nestvirt rewrite` over 10,000 generated domain files (~6 KB, five
# templates, every one needing the edit), side by side in the same run with:
#   floor     bench/rwfloor: read each file, replace it with the same bytes, same fsyncs
#   xmlstarlet the same edit, one `xmlstarlet ed -L` process per file (a sample, scaled)
#   virt-xml  `virt-xml --edit --cpu require=vmx` per file (a 100-file sample, scaled)
# and the same at 2,500 files to show the time per file and the peak RSS do not grow. The
# disk figures depend on what an fsync costs on that disk; the same runs on tmpfs (where fsync
# is free) show the part that is the rewriter's own work.
# Targets: <= 1.5x the floor, >= 10x faster than xmlstarlet, >= 100x faster than virt-xml,
# peak RSS <= 16 MiB, linear in the file count.
#
# Environment: NESTVIRT_BUILD (default ./build), BENCH_DIR (default /var/tmp: a real disk,
# since fsync is most of the cost), BENCH_FILES (10000), BENCH_REPS (3, the median is used),
# BENCH_XMLSTARLET_SAMPLE (1000), BENCH_VIRTXML_SAMPLE (100).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
B=${NESTVIRT_BUILD:-$here/../build}
NV=$B/nestvirt
FLOOR=$B/bench/rwfloor
GEN=$here/../tests/fault/gendomains.sh
N=${BENCH_FILES:-10000}
N4=$((N / 4))
REPS=${BENCH_REPS:-3}
XS=${BENCH_XMLSTARLET_SAMPLE:-1000}
VS=${BENCH_VIRTXML_SAMPLE:-100}
if ! [ -x "$NV" ] || ! [ -x "$FLOOR" ]; then
	echo "bench: build first (make bench)" >&2
	exit 2
fi

W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/nestvirt-bench.XXXXXX")
D=
trap 'rm -rf "$W"; [ -z "$D" ] || rm -rf "$D"' EXIT
trap 'exit 130' HUP INT PIPE TERM
Q=etc/libvirt/qemu

# pristine COUNT: a fake root with COUNT files in $W/pristine-COUNT.
pristine() {
	p=$W/pristine-$1
	mkdir -p "$p/$Q" "$p/run" "$p/proc"
	printf 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx\n\n' >"$p/proc/cpuinfo"
	"$GEN" "$p/$Q" "$1" changing
	chmod 600 "$p/$Q"/*.xml
}

# fresh COUNT: a copy of the pristine tree to spend on one run, synced so that earlier
# writeback does not land in the next measurement.
fresh() {
	rm -rf "$W/run"
	cp -a "$W/pristine-$1" "$W/run"
	sync
}

# shellcheck source=bench/lib/measure.sh
. "$here/lib/measure.sh"

echo "bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start (other work on the machine skews the figures)"
echo "bench: $N and $N4 generated domain files on $(df -T "$W" | awk 'NR == 2 { print $2 }') ($W), median of $REPS runs; page cache warm"
pristine "$N"
pristine "$N4"
echo "bench: file size $(wc -c <"$W/pristine-$N/$Q/vm00000.xml")-$(wc -c <"$W/pristine-$N/$Q/vm00004.xml") bytes"

# One series per configuration, interleaved so that drift of the machine hits all alike.
nv_ms='' nv_rss='' nvnb_ms='' fl_ms='' flb_ms='' fl1_ms='' nv4_ms='' nv4_rss='' fl4_ms=''
r=1
while [ $r -le "$REPS" ]; do
	fresh "$N"
	measure "$NV" rewrite --root "$W/run" --vendor intel
	nv_ms="$nv_ms $ms" nv_rss="$nv_rss $rss"
	fresh "$N"
	measure "$FLOOR" copy --batch 64 --backup "$W/run/$Q"
	flb_ms="$flb_ms $ms"
	fresh "$N"
	measure "$NV" rewrite --root "$W/run" --vendor intel --no-backup
	nvnb_ms="$nvnb_ms $ms"
	fresh "$N"
	measure "$FLOOR" copy --batch 64 "$W/run/$Q"
	fl_ms="$fl_ms $ms"
	fresh "$N"
	measure "$FLOOR" copy --batch 1 "$W/run/$Q"
	fl1_ms="$fl1_ms $ms"
	fresh "$N4"
	measure "$NV" rewrite --root "$W/run" --vendor intel
	nv4_ms="$nv4_ms $ms" nv4_rss="$nv4_rss $rss"
	fresh "$N4"
	measure "$FLOOR" copy --batch 64 --backup "$W/run/$Q"
	fl4_ms="$fl4_ms $ms"
	r=$((r + 1))
done
# shellcheck disable=SC2086 # the series are space-separated on purpose
{
	nv=$(median $nv_ms) nvnb=$(median $nvnb_ms) fl=$(median $fl_ms) flb=$(median $flb_ms)
	fl1=$(median $fl1_ms) nv4=$(median $nv4_ms) fl4=$(median $fl4_ms)
	peak=$(median $nv_rss) peak4=$(median $nv4_rss)
}

# Check that the measured run did the job: every file changed, a second run changes none.
fresh "$N4"
"$NV" rewrite --root "$W/run" --vendor intel --json >"$W/j1" 2>/dev/null
"$NV" rewrite --root "$W/run" --vendor intel --json >"$W/j2" 2>/dev/null
changed=$(sed -n 's/.*"changed": \([0-9]*\).*/\1/p' "$W/j1")
again=$(sed -n 's/.*"changed": \([0-9]*\).*/\1/p' "$W/j2")

# xmlstarlet: the same edit, one process per file (in place, no fsync: what a loop does).
fresh "$N"
find "$W/run/$Q" -name '*.xml' | sort | head -n "$XS" >"$W/xs.list"
cat >"$W/xs.sh" <<'EOF'
while read -r f; do
	xmlstarlet ed -L \
		-s '/domain[not(cpu)]' -t elem -n cpu \
		-s '/domain/cpu[not(model) and not(@mode)]' -t elem -n model -v qemu64 \
		-s '/domain/cpu[not(feature[@name="vmx"])]' -t elem -n vmxfeature \
		-i '//vmxfeature' -t attr -n policy -v require \
		-i '//vmxfeature' -t attr -n name -v vmx \
		-r '//vmxfeature' -v feature "$f"
done <"$1"
EOF
# The same loop made as safe as the rewriter: a temp file, its fsync (coreutils sync FILE),
# rename over the original; one directory sync at the end (the rewriter syncs per 64 files).
cat >"$W/xsd.sh" <<'EOF'
while read -r f; do
	xmlstarlet ed \
		-s '/domain[not(cpu)]' -t elem -n cpu \
		-s '/domain/cpu[not(model) and not(@mode)]' -t elem -n model -v qemu64 \
		-s '/domain/cpu[not(feature[@name="vmx"])]' -t elem -n vmxfeature \
		-i '//vmxfeature' -t attr -n policy -v require \
		-i '//vmxfeature' -t attr -n name -v vmx \
		-r '//vmxfeature' -v feature "$f" >"$f.tmp" && sync "$f.tmp" && mv "$f.tmp" "$f"
	d=${f%/*}
done <"$1"
sync "$d"
EOF
xsd_ms=0
if command -v xmlstarlet >/dev/null; then
	measure sh "$W/xs.sh" "$W/xs.list"
	xs_ms=$(awk -v ms="$ms" -v s="$XS" -v n="$N" 'BEGIN { printf "%.0f", ms * n / s }')
	xs_note="measured on $XS files, scaled to $N"
	fresh "$N"
	measure sh "$W/xsd.sh" "$W/xs.list"
	xsd_ms=$(awk -v ms="$ms" -v s="$XS" -v n="$N" 'BEGIN { printf "%.0f", ms * n / s }')
else
	xs_ms=0 xs_note="xmlstarlet not installed"
fi

# virt-xml: per file; it rejects libvirt's header comment on stdin, so the loop strips it.
find "$W/run/$Q" -name '*.xml' | sort | tail -n "$VS" >"$W/vx.list"
cat >"$W/vx.sh" <<'EOF'
while read -r f; do
	sed '1,/^-->$/d' "$f" | virt-xml --connect test:///default --edit --cpu require=vmx \
		>"$f.new" 2>/dev/null && mv "$f.new" "$f"
done <"$1"
EOF
if command -v virt-xml >/dev/null; then
	measure sh "$W/vx.sh" "$W/vx.list"
	vx_ms=$(awk -v ms="$ms" -v s="$VS" -v n="$N" 'BEGIN { printf "%.0f", ms * n / s }')
	vx_note="measured on $VS files, scaled to $N"
else
	vx_ms=0 vx_note="virt-xml not installed"
fi

per() {
	awk -v ms="$1" -v n="$2" 'BEGIN { printf "%.3f", ms / n }'
}

# tmpfs: the same runs where fsync costs nothing.
tnv=0 tfl=0 txs=0
if [ -w /dev/shm ] && [ "$(df -T /dev/shm | awk 'NR == 2 { print $2 }')" = tmpfs ]; then
	D=$(mktemp -d /dev/shm/nestvirt-bench.XXXXXX)
	ts=
	tf=
	r=1
	while [ $r -le "$REPS" ]; do
		rm -rf "$D/run" && cp -a "$W/pristine-$N" "$D/run"
		measure "$NV" rewrite --root "$D/run" --vendor intel
		ts="$ts $ms"
		rm -rf "$D/run" && cp -a "$W/pristine-$N" "$D/run"
		measure "$FLOOR" copy --batch 64 --backup "$D/run/$Q"
		tf="$tf $ms"
		r=$((r + 1))
	done
	# shellcheck disable=SC2086
	tnv=$(median $ts) tfl=$(median $tf)
	if command -v xmlstarlet >/dev/null; then
		rm -rf "$D/run" && cp -a "$W/pristine-$N" "$D/run"
		find "$D/run/$Q" -name '*.xml' | sort | head -n "$XS" >"$W/xs.list"
		measure sh "$W/xs.sh" "$W/xs.list"
		txs=$(awk -v ms="$ms" -v s="$XS" -v n="$N" 'BEGIN { printf "%.0f", ms * n / s }')
	fi
	rm -rf "$D"
fi

echo
printf '%-44s %9s %9s %10s\n' "$N files" "ms" "files/s" "ms/file"
row() {
	printf '%-44s %9s %9s %10s\n' "$1" "$2" "$(rate "$3" "$2")" "$(per "$2" "$3")"
}
row "nestvirt rewrite (backups)" "$nv" "$N"
row "nestvirt rewrite --no-backup" "$nvnb" "$N"
row "floor: same bytes, backups, dir fsync/64" "$flb" "$N"
row "floor: same bytes, dir fsync/64" "$fl" "$N"
row "floor: same bytes, dir fsync per file" "$fl1" "$N"
row "xmlstarlet ed -L per file, no fsync ($xs_note)" "$xs_ms" "$N"
row "xmlstarlet per file, temp+fsync+rename (same safety)" "$xsd_ms" "$N"
row "virt-xml per file ($vx_note)" "$vx_ms" "$N"
row "nestvirt rewrite (backups), $N4 files" "$nv4" "$N4"
row "floor, backups, $N4 files" "$fl4" "$N4"
if [ "$tnv" -gt 0 ]; then
	echo "on tmpfs (fsync is free: the rewriter's own work):"
	row "nestvirt rewrite (backups), tmpfs" "$tnv" "$N"
	row "floor: same bytes, backups, tmpfs" "$tfl" "$N"
	row "xmlstarlet ed -L per file, tmpfs (scaled)" "$txs" "$N"
fi
echo
echo "nestvirt: $changed of $N4 files changed in the check run; a second run changed $again"
echo "peak RSS: $peak KiB at $N files, $peak4 KiB at $N4 files"
echo
r1=$(ratio "$nv" "$flb")
r2=$(ratio "$nvnb" "$fl")
r3=$(ratio "$xs_ms" "$nv")
r4=$(ratio "$vx_ms" "$nv")
r5=$(ratio "$(per "$nv" "$N")" "$(per "$nv4" "$N4")")
r6=$(ratio "$nv" "$fl1")
printf '%-62s %8s  %s\n' "ratio" "value" "target"
printf '%-62s %8s  <= 1.5   %s\n' "nestvirt / floor, with backups" "$r1" "$(verdict "$r1" "<=" 1.5)"
printf '%-62s %8s  <= 1.5   %s\n' "nestvirt --no-backup / floor" "$r2" "$(verdict "$r2" "<=" 1.5)"
printf '%-62s %8s  (info)\n' "nestvirt / floor with a dir fsync per file" "$r6"
r9=$(ratio "$xsd_ms" "$nv")
printf '%-62s %8s  >= 10    %s\n' "xmlstarlet loop, same safety / nestvirt" "$r9" "$(verdict "$r9" ">=" 10)"
printf '%-62s %8s  (info: that loop does no fsync)\n' "xmlstarlet ed -L loop, no fsync / nestvirt" "$r3"
if [ "$tnv" -gt 0 ]; then
	r7=$(ratio "$txs" "$tnv")
	printf '%-62s %8s  >= 10    %s\n' "xmlstarlet loop / nestvirt, both on tmpfs" "$r7" "$(verdict "$r7" ">=" 10)"
	r8=$(ratio "$tnv" "$tfl")
	printf '%-62s %8s  (info)\n' "nestvirt / floor, both on tmpfs (CPU overhead of the edit)" "$r8"
fi
printf '%-62s %8s  >= 100   %s\n' "virt-xml loop / nestvirt" "$r4" "$(verdict "$r4" ">=" 100)"
printf '%-62s %8s  ~1.0     %s\n' "time per file at $N / at $N4 files" "$r5" \
	"$(verdict "$r5" "<=" 1.25)"
printf '%-62s %8s  <= 16384 %s\n' "peak RSS KiB at $N files" "$peak" "$(verdict "$peak" "<=" 16384)"
printf '%-62s %8s  ~1.0     %s\n' "peak RSS at $N / at $N4 files" "$(ratio "$peak" "$peak4")" \
	"$(verdict "$(ratio "$peak" "$peak4")" "<=" 1.1)"
