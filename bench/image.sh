#!/bin/sh
# bench/image.sh: provisioning one host image offline. A GPT disk image (EFI + ext4 root holding
# 200 stored domains, ~6 KB each, every one needing the edit) gets nestvirt=1 at every boot and
# its guests rewritten now:
#   nestvirt image --image IMG --enable --now-rewrite --vendor intel
# against virt-customize (Debian's libguestfs-tools, installed here when missing) making the
# same edits: the persistent file written, and the vendor feature added to every domain file
# with sed in its appliance. There is no KVM on these machines: libguestfs boots its appliance
# under TCG, as it would on any build machine without nested virtualization. Target: >= 20x.
# Wall times are medians of BENCH_REPS runs on fresh copies; peak RSS is getrusage's maxrss of
# the command's process tree.
#
# Environment: NESTVIRT_BUILD (default ./build), BENCH_DIR (default /var/tmp), BENCH_REPS (3),
# BENCH_DOMAINS (200), BENCH_VC_REPS (1: the appliance boot dominates and varies little).
# shellcheck disable=SC2016 # the appliance's shell expands the edit script
set -eu

here=$(cd "$(dirname "$0")" && pwd)
B=${NESTVIRT_BUILD:-$here/../build}
NV=$B/nestvirt
FLOOR=$B/bench/rwfloor
GEN=$here/../tests/fault/gendomains.sh
N=${BENCH_DOMAINS:-200}
REPS=${BENCH_REPS:-3}
VC_REPS=${BENCH_VC_REPS:-1}
if ! [ -x "$NV" ] || ! [ -x "$FLOOR" ]; then
	echo "bench: build first (make bench)" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ] || [ ! -e /dev/loop-control ]; then
	echo "bench/image.sh: skipped: needs root and loop devices"
	exit 0
fi

W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/nestvirt-imgbench.XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 130' HUP INT PIPE TERM
Q=etc/libvirt/qemu

# The image: a small Debian-like root with N stored domains, in a GPT disk behind an EFI
# partition. virt-customize only works on an OS its inspection recognises, and runs its
# --run-command with the image's own shell: a static busybox provides sh, sed and grep.
mkdir -p "$W/tree/$Q" "$W/tree/run" "$W/tree/usr/bin" "$W/tree/tmp" "$W/tree/root" "$W/tree/var/lib"
ln -s usr/bin "$W/tree/bin"
ln -s usr/bin "$W/tree/sbin"
if command -v busybox >/dev/null; then
	cp "$(command -v busybox)" "$W/tree/usr/bin/"
	for t in sh sed grep cat ls mkdir rm mv cp chmod; do ln -s busybox "$W/tree/usr/bin/$t"; done
fi
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' \
	>"$W/tree/etc/os-release"
echo 12.0 >"$W/tree/etc/debian_version"
echo '/dev/sda2 / ext4 defaults 0 1' >"$W/tree/etc/fstab"
"$GEN" "$W/tree/$Q" "$N" changing
chmod 600 "$W/tree/$Q"/*.xml
truncate -s 16M "$W/efi.fs"
truncate -s 128M "$W/root.fs"
mkfs.ext4 -q -F -L root -d "$W/tree" "$W/root.fs"
truncate -s 160M "$W/pristine.img"
printf 'label: gpt\nsize=16MiB, type=U, name=EFI\nsize=128MiB, type=L, name=root\n' |
	sfdisk -q "$W/pristine.img" >/dev/null
dd if="$W/root.fs" of="$W/pristine.img" bs=1M seek=17 conv=notrunc status=none
rm -f "$W/root.fs" "$W/efi.fs"

measure() {
	"$FLOOR" run "$W/m" "$@" >"$W/out" 2>"$W/err"
	read -r ms rss st <"$W/m"
	[ "$st" -eq 0 ] || { echo "bench: '$*' failed with status $st" >&2; tail -n 20 "$W/err" >&2; return 1; }
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# changed IMG: how many domain files of the image hold vmx (read back with debugfs).
changed() {
	off=$((17 * 1024 * 1024))
	c=0
	for f in $(debugfs -R "ls /$Q" "$1?offset=$off" 2>/dev/null | tr -s ' ' '\n' | grep '^vm[0-9]*\.xml$'); do
		debugfs -R "cat /$Q/$f" "$1?offset=$off" 2>/dev/null | grep -q "name='vmx'\|name=\"vmx\"" && c=$((c + 1))
	done
	echo "$c"
}

# series REPS CMD...: REPS runs on fresh copies of the image; sets med (ms), all (the times)
# and peak (KiB). False when a run failed.
series() {
	reps=$1
	shift
	all='' peak=0
	i=1
	while [ "$i" -le "$reps" ]; do
		cp "$W/pristine.img" "$W/img"
		sync
		measure "$@" || return 1
		all="$all $ms"
		[ "$rss" -gt "$peak" ] && peak=$rss
		i=$((i + 1))
	done
	# shellcheck disable=SC2086 # space-separated on purpose
	med=$(median $all)
}

series "$REPS" "$NV" image --image "$W/img" --enable --now-rewrite --vendor intel || exit 1
nv=$med
nv_ms=$all nv_rss=$peak
echo "nestvirt image --enable --now-rewrite, $N domains: median ${nv} ms of$nv_ms, peak RSS ${nv_rss} KiB"
echo "  domain files with vmx afterwards: $(changed "$W/img") of $N"

# virt-customize: Debian's libguestfs-tools, installed when missing.
if ! command -v virt-customize >/dev/null; then
	echo "bench: installing libguestfs-tools (virt-customize)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		libguestfs-tools >/dev/null 2>&1 || true
fi
if ! command -v virt-customize >/dev/null; then
	echo "virt-customize: not available (apt-get install libguestfs-tools failed): no ratio"
	exit 0
fi
export LIBGUESTFS_BACKEND=direct
# The same edits: the persistent file, and the vendor feature in every domain's <cpu>
# (a <cpu> is added where there is none), with sed inside the appliance.
edit='for f in /etc/libvirt/qemu/*.xml; do
  if grep -q "<cpu" "$f"; then
    sed -i "s|</cpu>|  <feature policy='"'"'require'"'"' name='"'"'vmx'"'"'/>\n  </cpu>|; s|<cpu \(.*\)/>|<cpu \1><feature policy='"'"'require'"'"' name='"'"'vmx'"'"'/></cpu>|" "$f"
  else
    sed -i "s|</features>|</features>\n  <cpu mode='"'"'custom'"'"'><model>qemu64</model><feature policy='"'"'require'"'"' name='"'"'vmx'"'"'/></cpu>|" "$f"
  fi
done'
printf 'nestvirt=1\n' >"$W/persistent"
if ! series "$VC_REPS" virt-customize --format raw -a "$W/img" --no-network \
	--mkdir /etc/nestvirt --copy-in "$W/persistent:/etc/nestvirt" --run-command "$edit"; then
	echo "virt-customize: failed (its error above): no ratio; nestvirt's figures stand alone"
	exit 0
fi
vc=$med vc_ms=$all vc_rss=$peak
echo "virt-customize (libguestfs appliance under TCG), same edits: median ${vc} ms of$vc_ms, peak RSS ${vc_rss} KiB"
echo "  domain files with vmx afterwards: $(changed "$W/img") of $N"
awk -v a="$vc" -v b="$nv" 'BEGIN { printf "ratio: nestvirt image is %.1fx faster than virt-customize (target >= 20x)\n", (b > 0 ? a / b : 0) }'
