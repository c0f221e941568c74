#!/bin/bash
# The packages as apt installs them (issue 10), in a chroot of the cached Debian 12 root with
# initramfs-tools: apt install ./nestvirt_*.deb keeps initramfs-tools and pulls the libraries;
# installing while libvirtd runs (its pid file locked by a process in the chroot) and with
# nestvirt=1 on the command line touches no domain file, and nestvirt status gives its verdict;
# apt install ./nestvirt-dracut_*.deb swaps initramfs-tools for dracut and dracut's trigger
# runs its kernel hook for the installed kernel; remove, purge: no unit left enabled and no
# nestvirt path left but the admin's backups; an upgrade to a second version keeps a modified
# conffile and the units' enablement as the admin left it. Needs the Debian mirror (apt).
# shellcheck disable=SC2016 # expanded by the inner shells
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# shellcheck source=tests/integration/lib-pkg.sh
. "$(dirname "$0")/lib-pkg.sh"
pkg_require "apt install of the Debian packages"
plan 35

# The tree's packages, and the same tree as version 0.2 (a changelog entry on top).
if ! OUT=$(nvvm_debs "$SRCDIR") || ! OUT2=$(nvvm_debs "$SRCDIR" 0.2); then
	OUT=$TMP/none OUT2=$TMP/none
fi
check "the packages of this tree and of it as version 0.2 are built" \
	sh -c 'ls "$1"/nestvirt_*.deb "$1"/nestvirt-dracut_*.deb "$2"/nestvirt_0.2_*.deb >/dev/null' sh "$OUT" "$OUT2"

R=$TMP/root
LOG=$TMP/apt.log
# in_root CMD...: CMD in the chroot, with /proc and /dev in a private mount namespace; with
# CMDLINE set, that file is the chroot's /proc/cmdline.
in_root() {
	unshare -m --propagation private sh -c 'r=$1 c=$2 && shift 2 &&
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
		{ [ -z "$c" ] || mount --bind "$c" "$r/proc/cmdline"; } &&
		DEBIAN_FRONTEND=noninteractive chroot "$r" "$@"' sh "$R" "${CMDLINE:-}" "$@"
}
# apt_root ARGS...: apt-get -y ARGS in the chroot, its output in the log.
apt_root() {
	echo "== apt-get $*" >>"$LOG"
	in_root apt-get -q -y --no-install-recommends -o Dpkg::Use-Pty=0 "$@" >>"$LOG" 2>&1 || { tail -n 25 "$LOG" >&2; return 1; }
}
status_of() { chroot "$R" dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' '; }

prepare_root() {
	local tarball
	tarball=$(nvvm_rootfs_tarball initramfs-tools) || return
	mkdir -p "$R" && tar --numeric-owner -C "$R" -xpf "$tarball" || return
	printf 'deb %s bookworm main\n' "${NESTVIRT_VM_MIRROR:-http://deb.debian.org/debian}" >"$R/etc/apt/sources.list"
	cp /etc/resolv.conf "$R/etc/resolv.conf" &&
		cp "$OUT"/*.deb "$OUT2"/nestvirt_0.2_*.deb "$R/tmp/" &&
		apt_root -o Acquire::Check-Valid-Until=false update
}
check "a Debian 12 root with initramfs-tools, apt lists fetched" prepare_root
check "initramfs-tools is installed in it" eq ii "$(status_of initramfs-tools)"

# A host in use: a stored domain with its backup, and libvirtd running: its pid file locked
# (fcntl, as libvirt does) by a process in the chroot.
Q=$R/etc/libvirt/qemu
mkdir -p "$Q" "$R/run"
printf '<domain type="kvm"><name>x</name><cpu mode="host-model"/></domain>\n' >"$Q/x.xml"
printf '<domain type="kvm"><name>x</name></domain>\n' >"$Q/x.xml.nestvirt-orig"
sum() { (cd "$R" && sha256sum etc/libvirt/qemu/x.xml etc/libvirt/qemu/x.xml.nestvirt-orig); }
before_sum=$(sum)
chroot "$R" perl -e 'use Fcntl; open(my $f, ">", "/run/libvirtd.pid") or die "$!";
	my $l = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLK, $l) or die "lock: $!";
	syswrite($f, "$$\n"); open(STDOUT, ">", "/tmp/locked"); print "locked\n"; close(STDOUT);
	sleep 900' &
locker=$!
for _ in $(seq 50); do [ -s "$R/tmp/locked" ] && break; sleep 0.1; done
check "libvirtd's pid file is locked by a process in the chroot" test -s "$R/tmp/locked"
# nestvirt=1 on the kernel command line the install sees.
echo "BOOT_IMAGE=/vmlinuz root=/dev/vda ro nestvirt=1" >"$TMP/cmdline"
# The nestvirt paths of the root (the domain backup only), before and after.
nvpaths() {
	(cd "$R" && find . -path ./proc -prune -o -path ./tmp -prune -o -path ./var/lib/dpkg -prune -o \
		-path ./var/cache -prune -o -path ./var/log -prune -o -name '*nestvirt*' -print | sort)
}
before_paths=$(nvpaths)

# --- apt install next to initramfs-tools, while libvirtd runs, with nestvirt=1 ----------------
deb=/tmp/$(basename "$(ls "$OUT"/nestvirt_*_amd64.deb)")
ddeb=/tmp/$(basename "$(ls "$OUT"/nestvirt-dracut_*_all.deb)")
deb2=/tmp/$(basename "$(ls "$OUT2"/nestvirt_0.2_*.deb)")
CMDLINE=$TMP/cmdline check "apt-get install ./nestvirt_*.deb (libvirtd running, nestvirt=1)" apt_root install "$deb"
check "initramfs-tools stays installed" eq ii "$(status_of initramfs-tools)"
check "apt pulled the libraries nestvirt needs (libxml2)" eq ii "$(status_of libxml2)"
missing=$(chroot "$R" dpkg -L nestvirt | while read -r f; do [ -e "$R$f" ] || echo "$f"; done)
check "every path of dpkg -L nestvirt is in the root" eq "" "$missing"
W=$R/etc/systemd/system
check "both units are enabled" \
	test -L "$W/sysinit.target.wants/nestvirt-early.service" -a -L "$W/multi-user.target.wants/nestvirt-firstboot.service"
check "the install touched no domain file (byte-compare) and wrote no stamp" \
	sh -c '[ "$1" = "$2" ] && [ ! -e "$3/var/lib/nestvirt/firstboot.done" ]' sh "$before_sum" "$(sum)" "$R"
CMDLINE=$TMP/cmdline in_root nestvirt rewrite --dry-run --vendor amd >"$TMP/rw.out" 2>&1
check "nestvirt sees the lock as a running libvirtd (rewrite --dry-run says so)" \
	contains "$(cat "$TMP/rw.out")" "libvirtd is running"
st=$(CMDLINE=$TMP/cmdline in_root nestvirt status 2>&1)
rc=$?
diag "nestvirt status (exit $rc):" "$st"
check "nestvirt status runs in the installed root (exit 0 or 1)" test "$rc" -le 1
check "nestvirt status: a verdict on its first line" \
	test -n "$(printf '%s\n' "$st" | head -n 1 | grep -E '^(ok|NOT OK): ')"
check "nestvirt status: the request of the command line, the first boot still to run" \
	contains "$st" "request:       nestvirt=1 from the kernel command line"
check "... and the first boot not run yet" contains "$st" "first boot:  not run"
kill "$locker" 2>/dev/null
wait "$locker" 2>/dev/null

# --- apt install ./nestvirt-dracut: dracut replaces initramfs-tools, its trigger runs ----------
# The installed kernel, and dracut's kernel hook replaced by a record (diverted: dracut's own
# file goes aside), the trigger's effect without building an image.
mkdir -p "$R/boot" "$R/etc/kernel/postinst.d" && touch "$R/boot/vmlinuz-6.1.0-nvtest"
chroot "$R" dpkg-divert --quiet --local --rename --divert /etc/kernel/postinst.d/dracut.nvtest \
	--add /etc/kernel/postinst.d/dracut
printf '#!/bin/sh\necho "$1" >>/tmp/dracut-ran\n' >"$R/etc/kernel/postinst.d/dracut"
chmod 0755 "$R/etc/kernel/postinst.d/dracut"
check "apt-get install ./nestvirt-dracut_*.deb" apt_root install "$ddeb"
check "dracut is installed" eq ii "$(status_of dracut)"
check "initramfs-tools was removed for it" test "$(status_of initramfs-tools)" != ii
check "dracut's trigger ran its kernel hook for the installed kernel" eq 6.1.0-nvtest "$(cat "$R/tmp/dracut-ran" 2>/dev/null)"
check "no package half-configured, no trigger pending" eq "" "$(chroot "$R" dpkg --audit 2>&1)"

# --- remove, purge ----------------------------------------------------------------------------
check "apt-get remove nestvirt-dracut nestvirt" apt_root remove nestvirt-dracut nestvirt
# debhelper keeps the enablement symlinks until purge (for a reinstall); without the unit files
# they point nowhere and nothing starts.
check "after remove no nestvirt unit can start: no unit file, every enablement link dangles" \
	sh -c '[ -z "$(find "$1/lib/systemd/system" "$1/etc/systemd/system" -name "nestvirt*" ! -type l)" ] &&
		for l in $(find "$1/etc/systemd/system" -name "nestvirt*" -type l); do
			[ ! -e "$1$(readlink "$l")" ] || exit 1; done' sh "$R"
check "after remove the conffile stays (policy: until purge)" test -f "$R/etc/nestvirt/nestvirt.conf"
check "apt-get purge nestvirt" apt_root purge nestvirt
check "after purge nothing of nestvirt is in /etc/systemd" eq "" "$(find "$R/etc/systemd" -name 'nestvirt*')"
check "after purge the root's nestvirt paths are the ones before the install (the backup)" \
	eq "$before_paths" "$(nvpaths)"
check "the domain file and its backup are byte-unchanged" eq "$before_sum" "$(sum)"

# --- upgrade: this version, then 0.2 --------------------------------------------------------
conf=$R/etc/nestvirt/nestvirt.conf
check "apt-get install this version again" apt_root install "$deb"
echo "# edited by the admin" >>"$conf"
# The admin does not want the first boot on this host.
chroot "$R" systemctl disable nestvirt-firstboot.service >>"$LOG" 2>&1
check "the admin disabled the first-boot unit" test ! -e "$W/multi-user.target.wants/nestvirt-firstboot.service"
check "apt-get install ./nestvirt_0.2_*.deb upgrades" apt_root install "$deb2"
check "version 0.2 is installed" eq 0.2 "$(chroot "$R" dpkg-query -W -f='${Version}' nestvirt)"
check "the admin's edit of the conffile is kept, without a .dpkg-* copy" \
	sh -c 'grep -qx "# edited by the admin" "$1" && ! ls "$1".dpkg-* 2>/dev/null' sh "$conf"
check "the early unit is still enabled" test -L "$W/sysinit.target.wants/nestvirt-early.service"
check "the first-boot unit is still disabled, as the admin left it" \
	test ! -e "$W/multi-user.target.wants/nestvirt-firstboot.service"
purge_again() { apt_root purge nestvirt && eq "" "$(find "$R/etc/systemd" -name 'nestvirt*')"; }
check "apt-get purge nestvirt after the upgrade leaves no unit symlink" purge_again

finish
