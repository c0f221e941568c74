#!/bin/sh
# nestvirt image on disk images built here from fixture trees: a GPT disk with EFI + root, an
# MBR disk with swap + root, a bare ext4 image, an xfs root, two Linux roots, --partition,
# --dry-run, --json, --now-rewrite. Every result is read back from the image (debugfs, or a
# read-only mount for xfs); no loop device or mount is left behind.
# shellcheck disable=SC2016
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib-image.sh
. "$(dirname "$0")/lib-image.sh"
need_loop
plan 56

nv() {
	"$NESTVIRT" image "$@" >"$TMP/out" 2>"$TMP/err"
}

T=$TMP
tree "$T/tree"
ext4 "$T/root.fs" 64 "$T/tree"
vfat "$T/efi.fs" 16
L=0FC63DAF-8483-4772-8E79-3D69D8477DE4
U=C12A7328-F81F-11D2-BA4B-00A0C93EC93B

# --- a GPT disk: EFI + root ---------------------------------------------------------------------
G=$T/gpt.img
disk "$G" gpt 96 "16:$U:EFI:$T/efi.fs" "64:$L:root:$T/root.fs"
efi_before=$(dd if="$G" bs=1M skip=1 count=16 status=none | sha256sum)
nv --image "$G" --enable
check "GPT EFI + root, --enable: exit 0" test $? -eq 0
check "... names the partition table" grep -q "^partition table: gpt" "$T/out"
check "... names the chosen partition, its type and label" \
	grep -q "^chosen: partition 2, ext4 LABEL=root: the only Linux root holding /etc" "$T/out"
check "... says what it changed, file by file" \
	grep -q "^changed: $G:/etc/nestvirt/persistent: nestvirt=1 at every boot (absent before)" "$T/out"
check "... the image holds nestvirt=1 (read back with debugfs)" eq "nestvirt=1" "$(setting "$G" 2)"
check "... written by nestvirt image" contains "$(rd "$G" 2 etc/nestvirt/persistent)" "Written by 'nestvirt image --enable'"
check "... no temporary file beside it" eq "persistent" "$(ls_dir "$G" 2 etc/nestvirt)"
check "... the EFI partition is untouched" eq "$efi_before" "$(dd if="$G" bs=1M skip=1 count=16 status=none | sha256sum)"
check "... the filesystem is clean (e2fsck -fn)" sh -c 'e2fsck -fn "$1" >/dev/null 2>&1' sh "$(at "$G" 2)"
check "... no loop device or mount left" no_leftovers "$G"

nv --image "$G" --disable
check "--disable: nestvirt=0" eq "nestvirt=0" "$(setting "$G" 2)"
check "... and the report names the old value" grep -q "(was nestvirt=1)" "$T/out"

# The same file as `nestvirt enable --persistent` writes: one writer (persistent.c).
mkdir -p "$T/host"
"$NESTVIRT" enable --root "$T/host" --persistent >/dev/null 2>&1
check "the file has the shape nestvirt enable --persistent writes" \
	eq "$(grep -v '^# Written' "$T/host/etc/nestvirt/persistent")" \
	"$(nv --image "$G" --enable && rd "$G" 2 etc/nestvirt/persistent | grep -v '^# Written')"

# --- --dry-run ------------------------------------------------------------------------------------
disk "$G" gpt 96 "16:$U:EFI:$T/efi.fs" "64:$L:root:$T/root.fs"
before=$(sum "$G")
nv --image "$G" --enable --now-rewrite --vendor amd --dry-run
check "--dry-run --enable --now-rewrite: exit 0" test $? -eq 0
check "... mounted read-only" grep -q "^mounted: read-only" "$T/out"
check "... says what it would change" grep -q "^would change: $G:/etc/nestvirt/persistent: nestvirt=1" "$T/out"
check "... shows the rewrite's diff" grep -q "^+.*feature policy='require' name='svm'" "$T/out"
check "... the image is byte-identical" eq "$before" "$(sum "$G")"
check "... no loop device or mount left" no_leftovers "$G"

# --- --now-rewrite --------------------------------------------------------------------------------
web_before=$(rd "$G" 2 $Q/web.xml)
nv --image "$G" --enable --now-rewrite --vendor amd
check "--enable --now-rewrite --vendor amd: exit 0" test $? -eq 0
check "... the report lists each domain file" grep -q "^/etc/libvirt/qemu/web.xml: changed: added svm" "$T/out"
check "... web.xml in the image has svm (read back)" contains "$(rd "$G" 2 $Q/web.xml)" "name='svm'"
check "... its backup is the original" eq "$web_before" "$(rd "$G" 2 $Q/web.xml.nestvirt-orig)"
check "... and the persistent setting is written" eq "nestvirt=1" "$(setting "$G" 2)"
check "... the rewrite's lock did not land in the image's /run" eq "" "$(ls_dir "$G" 2 run)"
check "... no loop device or mount left" no_leftovers "$G"
nv --image "$G" --now-rewrite --vendor amd
check "a second --now-rewrite: nothing more to change" grep -q "0 changed" "$T/out"
nv --image "$G" --now-rewrite
check "--now-rewrite without --vendor: the rewrite refuses (the build machine's CPU is not the target's)" \
	sh -c 'test "$1" -eq 2 && grep -q -- "--vendor" "$2"' sh $? "$T/err"

# --- --json ---------------------------------------------------------------------------------------
disk "$G" gpt 96 "16:$U:EFI:$T/efi.fs" "64:$L:root:$T/root.fs"
nv --image "$G" --enable --now-rewrite --vendor intel --json
check "--json: exit 0" test $? -eq 0
check "... one JSON document: partitions, chosen, changes and the rewrite's report" \
	eq "gpt 2 2 $(command -v mkfs.vfat >/dev/null && echo vfat || echo none) ext4 1 4 0" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = d["rewrite"]["summary"] if "summary" in d["rewrite"] else {}
print(d["partition_table"], len(d["partitions"]), d["chosen"],
      d["partitions"][0]["type"] or "none", d["partitions"][1]["type"], len(d["changes"]),
      sum(1 for f in d["rewrite"]["files"] if f["result"] == "changed"), d["status"])' "$T/out")"

# --- an MBR disk: swap + root -------------------------------------------------------------------
truncate -s 16M "$T/swap.fs" && mkswap -q "$T/swap.fs" >/dev/null 2>&1
M=$T/mbr.img
disk "$M" dos 96 "16:S:swap:$T/swap.fs" "64:L:root:$T/root.fs"
nv --image "$M" --enable
check "MBR swap + root, --enable: exit 0" test $? -eq 0
check "... the table is dos, the swap partition named as swap" \
	sh -c 'grep -q "^partition table: dos" "$1" && grep -q "#1 .*swap .*swap space" "$1"' sh "$T/out"
check "... partition 2 chosen" grep -q "^chosen: partition 2" "$T/out"
check "... nestvirt=1 in it" eq "nestvirt=1" "$(setting "$M" 2)"

# --- a bare ext4 image --------------------------------------------------------------------------
B=$T/bare.img
ext4 "$B" 32 "$T/tree"
nv --image "$B" --enable
check "bare ext4 image, --enable: exit 0" test $? -eq 0
check "... no partition table, the whole image chosen" \
	sh -c 'grep -q "^partition table: none" "$1" && grep -q "^chosen: the whole image, ext4" "$1"' sh "$T/out"
check "... nestvirt=1 in it" eq "nestvirt=1" "$(setting "$B" 0)"
nv --image "$B" --partition 1 --enable
check "--partition on a bare filesystem: refused, exit 2" \
	sh -c 'test "$1" -eq 2 && grep -q "no partition table" "$2"' sh $? "$T/err"

# --- an xfs root ------------------------------------------------------------------------------------
X=$T/xfs.img
if command -v mkfs.xfs >/dev/null && grep -qw xfs /proc/filesystems; then
	truncate -s 320M "$T/xfs.fs"
	mkfs.xfs -q -L xroot "$T/xfs.fs"
	unshare -m sh -c 'mkdir -p "$1/m" && mount -o loop "$2" "$1/m" && cp -a "$3/." "$1/m/" && umount "$1/m"' \
		sh "$T" "$T/xfs.fs" "$T/tree"
	disk "$X" gpt 400 "16:$U:EFI:$T/efi.fs" "330:$L:root:$T/xfs.fs"
	rm -f "$T/xfs.fs"
	nv --image "$X" --enable --now-rewrite --vendor amd
	check "xfs root in a GPT disk, --enable --now-rewrite: exit 0" test $? -eq 0
	check "... chosen: partition 2, xfs" grep -q "^chosen: partition 2, xfs LABEL=xroot" "$T/out"
	off=$(($(part_start "$X" 2) * SECTOR))
	got=$(unshare -m sh -c 'mkdir -p "$1/r" && mount -o ro,loop,offset="$3" "$2" "$1/r" &&
		grep -v "^#" "$1/r/etc/nestvirt/persistent"; grep -c "name=.svm" "$1/r/etc/libvirt/qemu/web.xml"; umount "$1/r"' \
		sh "$T" "$X" "$off")
	check "... read back read-only: nestvirt=1 and web.xml has svm" eq "nestvirt=1
1" "$got"
	check "... no loop device or mount left" no_leftovers "$X"
	rm -f "$X"
else
	for i in 1 2 3 4; do skip "xfs root $i" "no mkfs.xfs or no xfs in this kernel"; done
fi

# --- two Linux roots ------------------------------------------------------------------------------
ext4 "$T/root-b.fs" 64 "$T/tree" root-b
D=$T/two.img
disk "$D" gpt 160 "16:$U:EFI:$T/efi.fs" "64:$L:root:$T/root.fs" "64:$L:second:$T/root-b.fs"
before=$(sum "$D")
nv --image "$D" --enable
check "two Linux roots: refused, exit 2" test $? -eq 2
check "... the error lists both and asks for --partition" \
	grep -q "more than one Linux root with /etc: partitions 2 (ext4 LABEL=root), 3 (ext4 LABEL=root-b); give --partition" "$T/err"
check "... the image is unchanged" eq "$before" "$(sum "$D")"
check "... no loop device or mount left" no_leftovers "$D"
nv --image "$D" --partition LABEL=root-b --enable
check "--partition LABEL=root-b: partition 3 gets nestvirt=1" eq "nestvirt=1" "$(setting "$D" 3)"
check "... partition 2 nothing" eq "" "$(setting "$D" 2)"
nv --image "$D" --partition PARTLABEL=root --disable
check "--partition PARTLABEL=root: partition 2 gets nestvirt=0" eq "nestvirt=0" "$(setting "$D" 2)"
nv --image "$D" --partition 3 --disable
check "--partition 3: nestvirt=0 there" eq "nestvirt=0" "$(setting "$D" 3)"
uuid=$(blkid -p -s UUID -o value -O $(($(part_start "$D" 2) * SECTOR)) "$D" 2>/dev/null)
nv --image "$D" --partition "UUID=$uuid" --enable
check "--partition UUID=…: partition 2 gets nestvirt=1" eq "nestvirt=1" "$(setting "$D" 2)"
nv --image "$D" --partition 9 --enable
check "--partition 9: not found, exit 2" sh -c 'test "$1" -eq 2 && grep -q "no partition 9" "$2"' sh $? "$T/err"

# --- --device -----------------------------------------------------------------------------------
ext4 "$T/dev.img" 32 "$T/tree" devroot
dev=$(losetup -f --show "$T/dev.img")
if [ -n "$dev" ]; then
	nv --device "$dev" --enable
	check "--device $dev (a block device): exit 0" test $? -eq 0
	nv --device LABEL=devroot --disable
	st=$?
	losetup -d "$dev"
	check "--device LABEL=devroot resolves through libblkid: exit 0" test $st -eq 0
	check "... nestvirt=0 in the device's filesystem" eq "nestvirt=0" "$(setting "$T/dev.img" 0)"
else
	for i in 1 2 3; do skip "--device $i" "losetup could not attach"; done
fi
check "--device with a tag nothing has: exit 2" sh -c '"$1" image --device LABEL=no-such-label-$$ --enable 2>/dev/null; test $? -eq 2' sh "$NESTVIRT"

finish
