# shellcheck shell=bash
# What the package tests (6[0-3]-*.sh, make check-pkg) share: their prerequisites, and the VM
# harness's functions (nvvm_debs builds the packages, nvvm_rootfs_tarball the Debian root).
# Source it after lib.sh.

# pkg_require WHAT: without root or a tool they need, a plan of one skipped point, and exit.
pkg_require() {
	local c need=
	for c in dpkg-buildpackage dh lintian debootstrap chroot unshare flock; do
		command -v "$c" >/dev/null || need="$need $c"
	done
	if [ -n "$need" ] || [ "$(id -u)" != 0 ]; then
		plan 1
		skip "$1" "needs root and${need:- nothing more} (scripts/deps.sh)"
		exit 0
	fi
}

# shellcheck source=tests/vm/lib.sh
. "$SRCDIR/tests/vm/lib.sh"
