#!/bin/sh
# nestvirt image on bad input (issue 8, "Bad input"): a missing file, a file that is not an
# image, truncated partition tables, a filesystem with errors, a full filesystem, an image
# already attached or mounted elsewhere, LUKS, swap, and usage errors. Each gives a clear
# message and a non-zero exit, leaves no half-written file, no mount and no loop device.
# shellcheck disable=SC2016
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib-image.sh
. "$(dirname "$0")/lib-image.sh"
need_loop
plan 37

nv() {
	"$NESTVIRT" image "$@" >"$TMP/out" 2>"$TMP/err"
}

# refused STATUS WANT_STATUS TEXT: the exit status and a message on stderr.
refused() {
	eq "$2" "$1" && grep -q -- "$3" "$TMP/err"
}

T=$TMP
tree "$T/tree"
ext4 "$T/root.fs" 64 "$T/tree"
L=0FC63DAF-8483-4772-8E79-3D69D8477DE4

# --- usage ---------------------------------------------------------------------------------------
nv --enable
check "neither --image nor --device: exit 2" refused $? 2 "give one of --image FILE and --device SPEC"
nv --image a --device b
check "both --image and --device: exit 2" refused $? 2 "give one of --image FILE and --device SPEC"
nv --image "$T/root.fs" --firstboot --now-rewrite
check "--firstboot with --now-rewrite: exit 2" refused $? 2 "exclude each other"
nv --image "$T/root.fs" --enable --vendor amd
check "a rewrite option without --now-rewrite: exit 2" refused $? 2 "go with --now-rewrite"
nv --image "$T/root.fs" --enable --disable
check "--enable with --disable: exit 2" refused $? 2 "exclude each other"
nv --image "$T/root.fs" --bogus
check "an unknown option: exit 2" refused $? 2 "unknown or incomplete option '--bogus'"

# --- not an image --------------------------------------------------------------------------------
nv --image "$T/missing.img" --enable
check "a missing file: exit 2, named with the reason" refused $? 2 "$T/missing.img: cannot open: No such file or directory"
head -c 4194304 /dev/urandom >"$T/noise.img"
printf 'just some text\n' >"$T/text.img"
nv --image "$T/text.img" --enable
check "a text file: exit 2, not a disk image" refused $? 2 "text.img: neither a partition table nor a filesystem: not a disk image"
nv --image "$T/noise.img" --enable
check "random bytes: exit 2, not a disk image" refused $? 2 "not a disk image"
nv --image "$T" --enable
check "a directory: exit 2" refused $? 2 "cannot open: Is a directory"

# --- truncated partition tables ------------------------------------------------------------------
disk "$T/gpt.img" gpt 96 "64:$L:root:$T/root.fs"
truncate -s 20M "$T/gpt.img"
before=$(sum "$T/gpt.img")
nv --image "$T/gpt.img" --enable
check "a truncated GPT disk: exit 2" refused $? 2 "gpt.img: a GPT disk whose partition table cannot be read (truncated or damaged"
check "... the image is unchanged" eq "$before" "$(sum "$T/gpt.img")"
disk "$T/mbr.img" dos 96 "64:L:root:$T/root.fs"
truncate -s 20M "$T/mbr.img"
nv --image "$T/mbr.img" --enable
check "a truncated MBR disk: exit 2, the partition past the end named" \
	refused $? 2 "partition 1 ends at byte 68157440, past the end of the image (20971520 bytes): the image is truncated"

# --- filesystems that cannot be the root ---------------------------------------------------------
truncate -s 16M "$T/swap.img" && mkswap -q "$T/swap.img" >/dev/null 2>&1
nv --image "$T/swap.img" --enable
check "a swap image: exit 2, swap named" refused $? 2 "swap space, not a filesystem; refused"
if command -v cryptsetup >/dev/null; then
	truncate -s 32M "$T/luks.img"
	printf 'fixture-key' >"$T/key"
	cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file "$T/key" "$T/luks.img" >/dev/null 2>&1
	nv --image "$T/luks.img" --enable
	check "a LUKS header: exit 2, says to open it" refused $? 2 "a LUKS container (encrypted): open it with cryptsetup"
	disk "$T/luksdisk.img" gpt 48 "40:$L:root:$T/luks.img"
	nv --image "$T/luksdisk.img" --enable
	check "a GPT disk whose root is LUKS: exit 2, no Linux root" refused $? 2 "no partition holds a Linux root with /etc"
	check "... the listing names the LUKS partition" grep -q "#1 .*crypto_LUKS .*LUKS container" "$T/out"
else
	for i in 1 2 3; do skip "LUKS $i" "no cryptsetup (scripts/deps.sh installs cryptsetup-bin)"; done
fi
mkdir -p "$T/data"
echo x >"$T/data/file"
ext4 "$T/data.img" 16 "$T/data" data
nv --image "$T/data.img" --enable
check "an ext4 image without /etc: exit 2, not a Linux root" refused $? 2 "holds no /etc: not a Linux root"
check "... nothing written into it" eq "" "$(ls_dir "$T/data.img" 0 etc)"

# --- a filesystem with errors ----------------------------------------------------------------------
ext4 "$T/err.img" 32 "$T/tree"
tune2fs -E force_fsck "$T/err.img" >/dev/null 2>&1
before=$(sum "$T/err.img")
nv --image "$T/err.img" --enable
check "a filesystem with errors: exit 2, suggests fsck" refused $? 2 "the filesystem records errors: run 'fsck.ext4 -f' on it first; nothing written"
check "... the image is unchanged" eq "$before" "$(sum "$T/err.img")"
nv --image "$T/err.img" --dry-run --enable
check "... a dry run goes on with a warning" \
	sh -c 'test "$1" -eq 0 && grep -q "records errors (fsck)" "$2"' sh $? "$T/err"
check "... no loop device or mount left" no_leftovers "$T/err.img"

# --- a full filesystem -----------------------------------------------------------------------------
mkdir -p "$T/tree/etc/nestvirt"
printf 'nestvirt=0\n' >"$T/tree/etc/nestvirt/persistent"
ext4 "$T/full.img" 16 "$T/tree"
unshare -m sh -c 'mkdir -p "$1/m" && mount -o loop "$2" "$1/m" && { dd if=/dev/zero of="$1/m/fill" bs=64k 2>/dev/null; i=0; while [ $i -lt 4000 ] && echo x >"$1/m/f$i" 2>/dev/null; do i=$((i + 1)); done; sync; umount "$1/m"; }' \
	sh "$T" "$T/full.img"
web=$(rd "$T/full.img" 0 $Q/web.xml)
nv --image "$T/full.img" --enable
check "a full filesystem: --enable fails (exit 1) with the reason" refused $? 1 "No space left on device"
check "... the old setting is intact" eq "nestvirt=0" "$(setting "$T/full.img" 0)"
check "... no temporary file left" eq "persistent" "$(ls_dir "$T/full.img" 0 etc/nestvirt)"
nv --image "$T/full.img" --now-rewrite --vendor amd
check "... --now-rewrite fails (exit 1)" test $? -eq 1
check "... web.xml intact" \
	sh -c '[ "$1" = "$2" ]' sh "$web" "$(rd "$T/full.img" 0 $Q/web.xml)"
check "... no temporary file in the domain dir" lacks "$(ls_dir "$T/full.img" 0 $Q)" '^\.'
check "... a backup left is the original (hard link)" \
	sh -c '[ -z "$2" ] || [ "$1" = "$2" ]' sh "$web" "$(rd "$T/full.img" 0 $Q/web.xml.nestvirt-orig)"
check "... no loop device or mount left" no_leftovers "$T/full.img"
rm -rf "$T/tree/etc/nestvirt"

# --- an image in use -------------------------------------------------------------------------------
ext4 "$T/busy.img" 32 "$T/tree"
dev=$(losetup -f --show "$T/busy.img")
nv --image "$T/busy.img" --enable
check "an image attached to a loop device: exit 2, the device named" \
	refused $? 2 "busy.img: already attached to $dev"
[ -n "$dev" ] && losetup -d "$dev"
check "... nothing written" eq "" "$(setting "$T/busy.img" 0)"
unshare -m sh -c 'mkdir -p "$1/m2" && mount -o loop "$2" "$1/m2" && echo up >"$1/mounted" && exec sleep 30' sh "$T" "$T/busy.img" &
holder=$!
i=0
while [ ! -e "$T/mounted" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
nv --image "$T/busy.img" --enable
check "an image mounted in another mount namespace: exit 2" refused $? 2 "already attached to /dev/loop"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check "... nothing written" eq "" "$(setting "$T/busy.img" 0)"
flock "$T/busy.img" sh -c '"$1" image --image "$2" --enable 2>"$3"; echo $? >"$4"' sh "$NESTVIRT" "$T/busy.img" "$T/err" "$T/st"
check "an image another nestvirt image is working on (locked): exit 2" refused "$(cat "$T/st")" 2 "another nestvirt image is working on it"
check "no loop device or mount left by any of these" no_leftovers "$T/busy.img"

finish
