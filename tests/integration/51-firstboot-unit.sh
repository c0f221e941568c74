#!/bin/sh
# The first-boot unit and the files `make install` puts beside it: systemd-analyze verify on
# every installed unit, no ordering cycle with libvirt's services and sockets, the default
# config and its manual page.
# shellcheck disable=SC2016
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

P=$TMP/prefix
U=$TMP/units

# A real install (no DESTDIR) into a private prefix: ExecStart= then names a binary that
# exists, which systemd-analyze verify checks.
install_into() {
	make -s -C "$SRCDIR" install B="$NESTVIRT_BUILD" PREFIX="$P" SYSTEMDSYSTEMUNITDIR="$U" \
		UDEVDIR="$P/udev" DRACUTMODULESDIR="$P/dracut" DRACUTCONFDIR="$P/dracut.conf.d" \
		SYSCONFDIR="$P/etc" >"$TMP/install.log" 2>&1
}
check "make install into a private prefix" install_into
check "the first-boot unit is installed, ExecStart= pointing at the installed nestvirt" \
	grep -qx "ExecStart=$P/bin/nestvirt firstboot" "$U/nestvirt-firstboot.service"

if command -v systemd-analyze >/dev/null && systemd-analyze verify --help >/dev/null 2>&1; then
	for unit in "$U"/*.service; do
		check "systemd-analyze verify $(basename "$unit")" \
			sh -c 'MANPATH="$1" systemd-analyze verify "$2" >"$3" 2>&1 || { cat "$3" >&2; exit 1; }' \
			sh "$P/share/man" "$unit" "$TMP/verify.log"
	done
	[ -e "$U/nestvirt-early.service" ] || skip "systemd-analyze verify nestvirt-early.service" "not on this branch yet"

	# What a boot pulls in: basic.target (so sockets.target), libvirt's sockets and services
	# (stubs shaped like Debian 12's), and the first-boot unit.
	stubs() {
		mkdir -p "$1"
		for d in libvirtd virtqemud; do
			printf '[Unit]\nDescription=stub %s\nRequires=%s.socket\nAfter=%s.socket network.target\n[Service]\nType=notify\nExecStart=/bin/true\n' \
				"$d" "$d" "$d" >"$1/$d.service"
			printf '[Unit]\nDescription=stub %s socket\nBefore=%s.service\n[Socket]\nListenStream=/run/libvirt/%s-sock\nService=%s.service\n[Install]\nWantedBy=sockets.target\n' \
				"$d" "$d" "$d" "$d" >"$1/$d.socket"
		done
		printf '[Unit]\nDescription=stub guests\nAfter=libvirtd.service\n[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$1/libvirt-guests.service"
		printf '[Unit]\nDescription=a boot\nWants=basic.target sockets.target libvirtd.socket libvirtd.service virtqemud.socket virtqemud.service libvirt-guests.service nestvirt-firstboot.service\n' >"$1/nvtest-boot.target"
	}
	# cycles DIR: the ordering cycles systemd finds in the boot transaction of DIR's units.
	cycles() {
		SYSTEMD_UNIT_PATH="$1:" systemd-analyze verify --man=no "$1/nvtest-boot.target" 2>&1 |
			grep -i "ordering cycle"
	}
	stubs "$TMP/good"
	cp "$U/nestvirt-firstboot.service" "$TMP/good/"
	out=$(cycles "$TMP/good")
	check "no ordering cycle with libvirt's sockets and services in one boot" eq "" "$out"
	# The control: the same unit ordered before the sockets too has a cycle, and the check sees it.
	stubs "$TMP/bad"
	sed 's/^Before=libvirtd.service/Before=libvirtd.socket libvirtd.service/' \
		"$U/nestvirt-firstboot.service" >"$TMP/bad/nestvirt-firstboot.service"
	out=$(cycles "$TMP/bad")
	check "control: Before=libvirtd.socket makes a cycle the check finds" contains "$out" "ordering cycle"
else
	for i in 1 2 3 4; do skip "systemd-analyze verify" "not available"; done
fi
check "the unit is ordered before libvirtd, virtqemud and libvirt-guests, never their sockets" \
	sh -c 'grep -qx "Before=libvirtd.service virtqemud.service libvirt-guests.service" "$1" &&
		! grep "^Before=" "$1" | grep -q "\.socket"' sh "$U/nestvirt-firstboot.service"
check "the unit runs after the boot helper" grep -q "^After=nestvirt-early.service" "$U/nestvirt-firstboot.service"
check "libvirt does not depend on it (no Requires=/RequiredBy=): a failure never keeps libvirt down" \
	sh -c '! grep -Eq "^(Requires|RequiredBy|BindsTo|Requisite)=" "$1"' sh "$U/nestvirt-firstboot.service"

check "the default config is installed as SYSCONFDIR/nestvirt/nestvirt.conf" \
	cmp -s "$SRCDIR/etc/nestvirt.conf" "$P/etc/nestvirt/nestvirt.conf"
echo "backup = no" >>"$P/etc/nestvirt/nestvirt.conf"
install_into
check "a reinstall keeps the admin's edited config" grep -qx "backup = no" "$P/etc/nestvirt/nestvirt.conf"

check "nestvirt.conf(5) is installed" test -s "$P/share/man/man5/nestvirt.conf.5"
for page in docs/nestvirt.conf.5 docs/nestvirt.8; do
	check "groff -ww -man renders $page without warnings" \
		sh -c 'out=$(groff -ww -z -man "$1" 2>&1) && [ -z "$out" ] || { echo "$out" >&2; exit 1; }' \
		sh "$SRCDIR/$page"
done
plan "$_tap_n"
finish
