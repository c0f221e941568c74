# shellcheck shell=sh
# Shared by tests/integration/72-image*.sh: fixture disk images built from fixture trees with the
# real tools (mkfs.ext4 -d, sfdisk, mkfs.xfs, mkswap, cryptsetup), ways to read them back
# (debugfs, a read-only mount of the test's own), and the leftover checks. Sourced after lib.sh.

Q=etc/libvirt/qemu
SECTOR=512

# need_loop: exit 0 with one skipped test when this machine cannot run these tests.
need_loop() {
	why=
	[ "$(id -u)" = 0 ] || why="not root"
	[ -z "$why" ] && [ ! -e /dev/loop-control ] && why="no /dev/loop-control (no loop devices)"
	for t in mkfs.ext4 debugfs sfdisk losetup unshare; do
		[ -z "$why" ] && ! command -v "$t" >/dev/null && why="no $t (scripts/deps.sh installs it)"
	done
	[ -z "$why" ] && ! unshare -m true 2>/dev/null && why="cannot make a mount namespace here"
	if [ -n "$why" ]; then
		plan 1
		skip "nestvirt image on loop devices" "$why"
		exit 0
	fi
}

# tree DIR: a small Linux root: /etc with the stored domains of tests/data/firstboot, /run.
tree() {
	mkdir -p "$1/$Q" "$1/run" "$1/var/lib" "$1/usr/bin"
	cp "$SRCDIR"/tests/data/firstboot/qemu/*.xml "$1/$Q/"
	chmod 600 "$1/$Q"/*.xml
	echo 'PRETTY_NAME="fixture"' >"$1/etc/os-release"
}

# ext4 FILE MB TREE [LABEL]: a bare ext4 image holding TREE.
ext4() {
	rm -f "$1"
	truncate -s "${2}M" "$1"
	mkfs.ext4 -q -F -L "${4:-root}" -d "$3" "$1"
}

# vfat FILE MB: an EFI system partition's filesystem (or nothing without dosfstools).
vfat() {
	rm -f "$1"
	truncate -s "${2}M" "$1"
	if command -v mkfs.vfat >/dev/null; then mkfs.vfat -n EFI "$1" >/dev/null; fi
}

# disk FILE LABEL MB PART...: a partitioned disk image; each PART is "SIZE_MB:TYPE:NAME:FSFILE"
# (FSFILE written into the partition; "-" for none). Partitions start at 1 MiB, packed.
disk() {
	out=$1 label=$2 mb=$3
	shift 3
	rm -f "$out"
	truncate -s "${mb}M" "$out"
	{
		echo "label: $label"
		for p in "$@"; do
			IFS=: read -r size type name _ <<EOP
$p
EOP
			if [ "$label" = gpt ]; then
				echo "size=${size}MiB, type=$type, name=$name"
			else
				echo "size=${size}MiB, type=$type"
			fi
		done
	} | sfdisk -q "$out" >/dev/null
	n=1
	for p in "$@"; do
		IFS=: read -r _ _ _ fs <<EOP
$p
EOP
		if [ "$fs" != - ]; then
			start=$(part_start "$out" "$n")
			dd if="$fs" of="$out" bs=$SECTOR seek="$start" conv=notrunc status=none
		fi
		n=$((n + 1))
	done
}

# part_start DISK N: the first sector of partition N.
part_start() {
	sfdisk -d "$1" 2>/dev/null | awk -v n="$2" '
		/start=/ { i++; if (i == n) { sub(/.*start= */, ""); sub(/,.*/, ""); print; exit } }'
}

# at DISK N: DISK as debugfs opens partition N ("DISK?offset=BYTES"); N 0: the whole image.
at() {
	if [ "$2" = 0 ]; then echo "$1"; else echo "$1?offset=$(($(part_start "$1" "$2") * SECTOR))"; fi
}

# rd DISK N PATH: a file of an ext4 image read back with debugfs (empty when absent).
rd() {
	debugfs -R "cat /$3" "$(at "$1" "$2")" 2>/dev/null
}

# setting DISK N: the one non-comment line of the image's persistent setting.
setting() {
	rd "$1" "$2" etc/nestvirt/persistent | grep -v '^#'
}

# ls_dir DISK N DIR: the names in DIR of an ext4 image, sorted.
ls_dir() {
	debugfs -R "ls -p /$3" "$(at "$1" "$2")" 2>/dev/null | awk -F/ 'NF > 5 && $6 != "." && $6 != ".." { print $6 }' | sort
}

# my_loops FILE: the loop devices backed by FILE (ours: identified by backing file).
my_loops() {
	losetup -j "$1" 2>/dev/null
}

# no_leftovers FILE: no loop device backed by FILE (autoclear may take a moment after a kill)
# and no nestvirt mount in this namespace.
no_leftovers() {
	i=0
	while [ -n "$(my_loops "$1")" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -n "$(my_loops "$1")" ]; then
		diag "loop devices left: $(my_loops "$1")"
		return 1
	fi
	if grep -q ' /tmp/root\.' /proc/self/mountinfo; then
		diag "mount left: $(grep ' /tmp/root\.' /proc/self/mountinfo)"
		return 1
	fi
	return 0
}

# sum FILE: the SHA-256 of FILE.
sum() {
	sha256sum "$1" | cut -d' ' -f1
}
