#!/bin/sh
# Customises a fresh debootstrap tree before it is cached (run on the host, ROOT as $1).
# Everything here is part of the cache key: edit this file and the cached tarball is rebuilt.
# Image-time additions (kernel modules, the report service, overlays) live in lib.sh instead.
set -eu
root=$1

# Smaller tarball, faster image builds.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
	"$root"/usr/share/locale/* "$root"/var/cache/apt/*.bin \
	"$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
	"$root"/var/log/*.log "$root"/debootstrap

printf 'nvtest\n' >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tnvtest\n' >"$root/etc/hosts"
# passno 0: the kernel mounts the root rw (cmdline "rw"), nothing to fsck.
printf '/dev/vda\t/\text4\trw,errors=remount-ro\t0\t0\n' >"$root/etc/fstab"
# A fixed machine-id: no first-boot logic, the same identity on every boot.
printf '0123456789abcdef0123456789abcdef\n' >"$root/etc/machine-id"
# Passwordless root on the serial console, for debugging a boot by hand.
sed -i 's/^root:[^:]*:/root::/' "$root/etc/shadow"

# Nothing in these test boots needs periodic jobs.
for t in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer; do
	rm -f "$root/etc/systemd/system/timers.target.wants/$t"
done

# Boot only what the test needs: no VT gettys (the VM has no display), no ext4 maintenance.
# serial-getty on ttyS0 stays for "nvtest.nopoweroff" debugging.
for u in getty-static.service getty@.service e2scrub_reap.service e2scrub_all.timer fstrim.timer; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
