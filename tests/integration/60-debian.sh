#!/bin/bash
# The Debian packages (issue 10): dpkg-buildpackage on a copy of the tree, lintian without
# errors, the files where Debian wants them, and install / reinstall / purge in a Debian 12
# chroot (the cached root of the VM tests): units enabled but nothing run, a modified conffile
# kept, purge leaving nothing of nestvirt's and every libvirt file (backups included).
# The build and lintian's report are cached per content of the tree in /var/cache/nestvirt-deb.
# shellcheck disable=SC2016
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# shellcheck source=tests/integration/lib-pkg.sh
. "$(dirname "$0")/lib-pkg.sh"
pkg_require "Debian packages"
plan 40

CACHE=${NESTVIRT_DEB_CACHE:-/var/cache/nestvirt-deb}
mkdir -p "$CACHE"

t0=$(date +%s)
OUT=
build() { OUT=$(nvvm_debs "$SRCDIR"); }
check "dpkg-buildpackage -us -uc -b on a copy of the tree (cached per content in $CACHE)" build
diag "build and lintian: $(($(date +%s) - t0)) s"
[ -n "$OUT" ] || OUT=$TMP/none
DEB=$(ls "$OUT"/nestvirt_*_amd64.deb 2>/dev/null)
DDEB=$(ls "$OUT"/nestvirt-dracut_*_all.deb 2>/dev/null)
check "both binary packages are built" test -f "$DEB" -a -f "$DDEB"

errors=$(grep '^E:' "$OUT/lintian.log" 2>/dev/null)
warnings=$(grep '^W:' "$OUT/lintian.log" 2>/dev/null)
check "lintian ran on the .changes" test -f "$OUT/lintian.log"
check "lintian: no errors" eq "" "$errors"
[ -n "$warnings" ] && diag "lintian warnings:" "$warnings"
check "lintian: no warnings (each one fixed or overridden with a reason)" eq "" "$warnings"

c=$(dpkg-deb -c "$DEB" 2>/dev/null | awk '{print $6}')
for f in ./lib/systemd/system/nestvirt-early.service ./lib/systemd/system/nestvirt-firstboot.service \
	./lib/udev/rules.d/90-nestvirt.rules ./usr/libexec/nestvirt/nestvirt-early ./usr/bin/nestvirt \
	./etc/nestvirt/nestvirt.conf ./usr/share/man/man8/nestvirt.8.gz \
	./usr/share/man/man5/nestvirt.conf.5.gz ./usr/share/man/man7/nestvirt.cmdline.7.gz \
	./usr/share/man/man8/nestvirt-enable.8.gz ./usr/share/doc/nestvirt/README.Debian \
	./usr/share/bash-completion/completions/nestvirt; do
	check "nestvirt ships $f" contains "$c" "$f"
done
check "nestvirt has no dracut file (it must install beside initramfs-tools)" lacks "$c" dracut
check "nestvirt does not depend on dracut" lacks "$(dpkg-deb -f "$DEB" Depends)" dracut
check "the conffiles are nestvirt.conf and the Ansible fact, nothing else" \
	eq "/etc/ansible/facts.d/nestvirt.fact /etc/nestvirt/nestvirt.conf" \
	"$(dpkg-deb -I "$DEB" conffiles 2>/dev/null | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
dc=$(dpkg-deb -c "$DDEB" 2>/dev/null | awk '{print $6}')
check "nestvirt-dracut ships the module and the drop-in" \
	sh -c 'case "$1" in *modules.d/90nestvirt/module-setup.sh*) ;; *) exit 1 ;; esac;
		case "$1" in *dracut.conf.d/50-nestvirt.conf*) ;; *) exit 1 ;; esac' sh "$dc"
check "nestvirt-dracut depends on nestvirt and dracut" \
	sh -c 'd=$(dpkg-deb -f "$1" Depends); case "$d" in *dracut*nestvirt*|*nestvirt*dracut*) ;; *) exit 1 ;; esac' sh "$DDEB"
check "nestvirt-dracut activates the update-initramfs trigger" \
	eq "activate-noawait update-initramfs" "$(dpkg-deb -I "$DDEB" triggers 2>/dev/null | grep -v '^#')"

# --- install, reinstall, purge in a Debian 12 chroot ------------------------------------------
R=$TMP/root
prepare_root() {
	local tarball
	tarball=$(nvvm_rootfs_tarball) || return
	mkdir -p "$R" && tar --numeric-owner -C "$R" -xpf "$tarball" || return
	# The package's libraries the minimal root lacks, from the host's (same release) archive.
	mkdir -p "$CACHE/debs" && { chown _apt "$CACHE/debs" 2>/dev/null || true; }
	# nestvirt-dracut's: dracut and what it needs beyond the root.
	local p
	for p in libxml2 libicu72 dracut dracut-core cpio kpartx; do
		(cd "$CACHE/debs" && { ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download -q "$p" >/dev/null; }) ||
			return
	done
	cp "$CACHE"/debs/*.deb "$DEB" "$DDEB" "$R/tmp/" || return
	if ! chroot "$R" sh -c 'dpkg -i /tmp/libicu72_*.deb /tmp/libxml2_*.deb' >"$TMP/dpkg.log" 2>&1; then
		cat "$TMP/dpkg.log" >&2
		return 1
	fi
}
check "a Debian 12 root with the package's dependencies" prepare_root

Q=$R/etc/libvirt/qemu
mkdir -p "$Q"
printf '<domain type="kvm"><name>x</name><cpu mode="host-model"/></domain>\n' >"$Q/x.xml"
printf '<domain type="kvm"><name>x</name></domain>\n' >"$Q/x.xml.nestvirt-orig"
sum() { (cd "$R" && sha256sum etc/libvirt/qemu/x.xml etc/libvirt/qemu/x.xml.nestvirt-orig); }
before_sum=$(sum)
# Every path of the root but dpkg's and the helpers' own bookkeeping.
tree() {
	(cd "$R" && find . -path ./proc -prune -o -path ./tmp -prune -o -path ./var/lib/dpkg -prune -o \
		-path ./var/log -prune -o -path ./var/lib/systemd/deb-systemd-helper-enabled -prune -o \
		-path ./var/cache -prune -o -print | sort)
}
before_tree=$(tree)

dpkg_root() { chroot "$R" "$@" >>"$TMP/dpkg.log" 2>&1 || { tail -n 20 "$TMP/dpkg.log" >&2; return 1; }; }
deb=/tmp/$(basename "$DEB")
check "dpkg -i nestvirt in the chroot" dpkg_root dpkg -i "$deb"
W=$R/etc/systemd/system
check "the early unit is enabled (sysinit.target.wants)" test -L "$W/sysinit.target.wants/nestvirt-early.service"
check "the first-boot unit is enabled (multi-user.target.wants)" \
	test -L "$W/multi-user.target.wants/nestvirt-firstboot.service"
check "installing ran nothing: the domain file and its backup are byte-unchanged, no stamp" \
	sh -c '[ "$1" = "$2" ] && [ ! -e "$3/var/lib/nestvirt/firstboot.done" ]' sh "$before_sum" "$(sum)" "$R"

# What a host collects after use: a stamp, the persistent setting, an edited configuration.
mkdir -p "$R/var/lib/nestvirt" && touch "$R/var/lib/nestvirt/firstboot.done" "$R/etc/nestvirt/persistent"
echo "# edited by the admin" >>"$R/etc/nestvirt/nestvirt.conf"
check "reinstalling the same version" dpkg_root dpkg -i "$deb"
check "the admin's edit of the conffile is kept" grep -qx "# edited by the admin" "$R/etc/nestvirt/nestvirt.conf"

check "dpkg --purge nestvirt" dpkg_root dpkg --purge nestvirt
check "purge removed /var/lib/nestvirt and /etc/nestvirt" \
	sh -c '[ ! -e "$1/var/lib/nestvirt" ] && [ ! -e "$1/etc/nestvirt" ]' sh "$R"
check "purge kept the domain file and its .nestvirt-orig backup, byte-unchanged" eq "$before_sum" "$(sum)"
check "after purge no nestvirt unit is enabled or masked" \
	eq "" "$(find "$R/etc/systemd" -name 'nestvirt*' 2>/dev/null)"
check "after purge the root has exactly the paths it had before the install" eq "$before_tree" "$(tree)"

# --- nestvirt-dracut: dracut's trigger rebuilds the initramfs of the installed kernels -------
# dracut replaces its kernel hook's work by a record: the trigger's effect without a kernel.
dracut_setup() {
	dpkg_root dpkg -i "$deb" &&
		dpkg_root sh -c 'dpkg -i /tmp/cpio_*.deb /tmp/kpartx_*.deb /tmp/dracut-core_*.deb /tmp/dracut_*.deb' &&
		mkdir -p "$R/boot" && touch "$R/boot/vmlinuz-6.1.0-nvtest" &&
		printf '#!/bin/sh\necho "$1" >>/tmp/dracut-ran\n' >"$R/etc/kernel/postinst.d/dracut" &&
		rm -f "$R/tmp/dracut-ran"
}
check "nestvirt and dracut installed in the chroot" dracut_setup
check "dpkg -i nestvirt-dracut" dpkg_root dpkg -i "/tmp/$(basename "$DDEB")"
check "its trigger ran dracut's hook for the installed kernel" eq "6.1.0-nvtest" "$(cat "$R/tmp/dracut-ran" 2>/dev/null)"
check "no trigger left pending" eq "" "$(chroot "$R" dpkg --audit 2>&1)"
check "dpkg --purge nestvirt-dracut keeps nestvirt" \
	sh -c 'chroot "$1" dpkg --purge nestvirt-dracut >/dev/null 2>&1 && [ ! -e "$1/usr/lib/dracut/modules.d/90nestvirt" ] &&
		[ "$(chroot "$1" dpkg-query -W -f="\${Status}" nestvirt)" = "install ok installed" ]' sh "$R"

finish
