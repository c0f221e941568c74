#!/bin/sh
# An image's symlinks never reach the build machine's files: images whose etc/libvirt,
# etc/nestvirt, etc or run point (absolutely or with "..") at canary directories of this
# machine, and one whose etc/libvirt points at this machine's /etc/libvirt. After
# `nestvirt image --enable --now-rewrite` the canaries are byte-identical and /etc/libvirt
# unchanged (compared by a listing of names, sizes, times and inodes: its content is never
# read or written by this test).
# shellcheck disable=SC2016
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib-image.sh
. "$(dirname "$0")/lib-image.sh"
need_loop
plan 14

T=$TMP
C=$T/canary
mkdir -p "$C/libvirt/qemu" "$C/nestvirt" "$C/etc/libvirt/qemu" "$C/run"
cp "$SRCDIR"/tests/data/firstboot/qemu/*.xml "$C/libvirt/qemu/"
cp "$SRCDIR"/tests/data/firstboot/qemu/*.xml "$C/etc/libvirt/qemu/"

# snapshot DIR: names, sizes, modification times and inodes of everything below DIR.
snapshot() {
	if [ -e "$1" ]; then find "$1" -printf '%p %s %T@ %i %m\n' | sort | sha256sum; else echo absent; fi
}
canary_before=$(snapshot "$C")
canary_sums=$(cd "$C" && find . -type f -exec sha256sum {} + | sort)
host_before=$(snapshot /etc/libvirt)

# escape_image NAME: a bare ext4 image from the tree in $T/$NAME.
escape_image() {
	ext4 "$T/$1.img" 32 "$T/$1"
}

nv() {
	"$NESTVIRT" image "$@" >"$T/out" 2>"$T/err"
}

# 1. etc/libvirt and etc/nestvirt: absolute symlinks to the canaries; run to a canary too.
mkdir -p "$T/abs/etc" "$T/abs/var"
ln -s "$C/libvirt" "$T/abs/etc/libvirt"
ln -s "$C/nestvirt" "$T/abs/etc/nestvirt"
ln -s "$C/run" "$T/abs/run"
escape_image abs
nv --image "$T/abs.img" --enable
check "etc/nestvirt -> a canary: --enable fails (exit 1), the symlink refused" \
	sh -c 'test "$1" -eq 1 && grep -q "etc/nestvirt/persistent: cannot create or open the directory: Not a directory" "$2"' sh $? "$T/err"
nv --image "$T/abs.img" --now-rewrite --vendor amd
check "etc/libvirt -> a canary: --now-rewrite changes nothing (exit $?)" \
	sh -c '! grep -q "changed: " "$1"' sh "$T/out"
check "... the canaries are untouched" eq "$canary_before" "$(snapshot "$C")"

# 2. etc itself: an absolute symlink to a canary root.
mkdir -p "$T/etcln"
ln -s "$C/etc" "$T/etcln/etc"
escape_image etcln
nv --image "$T/etcln.img" --enable --now-rewrite --vendor amd
check "etc -> a canary: refused (exit 2), no /etc in the image" \
	sh -c 'test "$1" -eq 2 && grep -q "holds no /etc" "$2"' sh $? "$T/err"
check "... the canaries are untouched" eq "$canary_before" "$(snapshot "$C")"

# 3. etc/libvirt/qemu: a relative symlink climbing out with "..".
mkdir -p "$T/rel/etc/libvirt" "$T/rel/run"
ln -s "../../../../../../../../../..$C/libvirt/qemu" "$T/rel/etc/libvirt/qemu"
escape_image rel
nv --image "$T/rel.img" --enable --now-rewrite --vendor amd
st=$?
check "etc/libvirt/qemu -> ../../..canary: the setting is written (exit $st)" \
	eq "nestvirt=1" "$(setting "$T/rel.img" 0)"
check "... no domain file changed" sh -c '! grep -q "changed: added" "$1"' sh "$T/out"
check "... the canaries are untouched" eq "$canary_before" "$(snapshot "$C")"

# 4. etc/libvirt -> /etc/libvirt of this machine.
mkdir -p "$T/host/etc" "$T/host/run"
ln -s /etc/libvirt "$T/host/etc/libvirt"
escape_image host
nv --image "$T/host.img" --enable --now-rewrite --vendor amd
st=$?
check "etc/libvirt -> /etc/libvirt: the setting is written in the image (exit $st)" \
	eq "nestvirt=1" "$(setting "$T/host.img" 0)"
check "... no domain file changed" sh -c '! grep -q "changed: added" "$1"' sh "$T/out"
check "... this machine's /etc/libvirt is unchanged" eq "$host_before" "$(snapshot /etc/libvirt)"
check "... the image's symlink is still a symlink to /etc/libvirt" \
	contains "$(debugfs -R 'stat /etc/libvirt' "$T/host.img" 2>/dev/null)" 'Fast link dest: "/etc/libvirt"'

check "the canary files' contents are unchanged" \
	eq "$canary_sums" "$(cd "$C" && find . -type f -exec sha256sum {} + | sort)"
for i in abs etcln rel host; do
	no_leftovers "$T/$i.img" || break
done
check "no loop device or mount left" no_leftovers "$T/host.img"

finish
