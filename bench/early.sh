#!/bin/sh
# The boot helper sits on every boot's critical path. Figures, each beside a named alternative
# measured in the same run:
#  1. instructions (valgrind callgrind) of one nestvirt=1 run on the sample host tree vs one
#     "modprobe --dry-run kvm_amd" of kmod's own tool (target: no more than modprobe);
#  2. wall time of both (hyperfine);
#  3. bytes the dracut module adds to an initramfs (target: <= 100 KiB).
set -eu
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
B=${NESTVIRT_BUILD:-$SRCDIR/build}
# /run is a tmpfs at boot: the sample tree lives on one too, so fsync costs what it costs there.
TMP=$(mktemp -d /dev/shm/nestvirt-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
for d in /lib/modules/*; do kver=${d##*/}; done

fresh_root() {
	rm -rf "$TMP/root"
	cp -a "$SRCDIR/tests/data/hosts/amd-nested-off" "$TMP/root"
}

instructions() {
	valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" "$@" >/dev/null 2>"$TMP/cg.err"
	sed -n 's/^summary: //p' "$TMP/cg.out"
}

echo "1. instructions (callgrind, whole process incl. dynamic loader)"
fresh_root
early=$(instructions "$B/nestvirt-early" --root "$TMP/root")
modprobe=$(instructions modprobe --dry-run -S "$kver" kvm_amd)
printf '   nestvirt-early nestvirt=1 (sample tree): %12s\n' "$early"
printf '   modprobe --dry-run kvm_amd (kmod %s):   %12s\n' "$(modprobe --version | sed -n 's/kmod version //p')" "$modprobe"
awk -v a="$early" -v b="$modprobe" 'BEGIN { printf "   ratio: %.2f of modprobe (target <= 1.00): %s\n", a / b, a <= b ? "met" : "NOT met" }'

echo "2. wall time (hyperfine, 200 runs each after 20 warm-ups)"
fresh_root
hyperfine -N --warmup 20 --runs 200 --export-json "$TMP/h.json" \
	--prepare "rm -rf $TMP/root/run/nestvirt $TMP/root/run/modprobe.d" \
	"$B/nestvirt-early --root $TMP/root" "modprobe --dry-run -S $kver kvm_amd" 2>/dev/null |
	sed -n 's/^ *\(Time\|Benchmark\)/   \1/p'

echo "3. bytes the dracut module adds to an initramfs (lsinitrd payload, no compression)"
. "$SRCDIR/tests/integration/lib-dracut.sh"
dracut_stage "$TMP/d"
for set in "base" "base systemd systemd-initrd dracut-systemd udev-rules"; do
	dracut_build "$TMP/d" "$TMP/with.img" "$kver" -m "$set" --no-kernel --no-compress 2>/dev/null
	dracut_build "$TMP/d" "$TMP/without.img" "$kver" -m "$set" --no-kernel --no-compress -o nestvirt 2>/dev/null
	w=$(stat -c %s "$TMP/with.img")
	wo=$(stat -c %s "$TMP/without.img")
	awk -v w="$w" -v wo="$wo" -v set="$set" 'BEGIN {
		d = w - wo
		printf "   modules \"%s\": %d B without, %d B with: +%d B = %.1f KiB (target <= 100 KiB): %s\n",
			set, wo, w, d, d / 1024, d <= 100 * 1024 ? "met" : "NOT met" }'
done
