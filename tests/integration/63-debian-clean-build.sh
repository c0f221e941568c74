#!/bin/bash
# The source package builds on a clean Debian 12 (issue 10): in a chroot of the cached minimal
# root (no compiler, no -dev package), "apt-get build-dep ./" installs what debian/control's
# Build-Depends name, then "dpkg-buildpackage -us -uc -b" builds both packages with the same
# files as the build on this host. The result is cached per content of the tree in
# /var/cache/nestvirt-deb (clean-KEY). Needs the Debian mirror (apt).
# shellcheck disable=SC2016 # expanded by the inner shells
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# shellcheck source=tests/integration/lib-pkg.sh
. "$(dirname "$0")/lib-pkg.sh"
pkg_require "clean-chroot build"
plan 5

CACHE=${NESTVIRT_DEB_CACHE:-/var/cache/nestvirt-deb}
mkdir -p "$CACHE"
OUT=$CACHE/clean-$(nvvm_tree_key "$SRCDIR")

# build_clean DIR: the tree copied into a chroot of the minimal root, build-dep, build; the
# .debs and the logs go to DIR.
build_clean() {
	local dir=$1 r tarball
	r=$(mktemp -d "$CACHE/clean-tmp.XXXXXX") || return
	tarball=$(nvvm_rootfs_tarball) &&
		mkdir "$r/root" && tar --numeric-owner -C "$r/root" -xpf "$tarball" &&
		printf 'deb %s bookworm main\n' "${NESTVIRT_VM_MIRROR:-http://deb.debian.org/debian}" >"$r/root/etc/apt/sources.list" &&
		cp /etc/resolv.conf "$r/root/etc/resolv.conf" &&
		mkdir -p "$r/root/build/nestvirt" &&
		(cd "$SRCDIR" && nvvm_tree_files "$SRCDIR" | tar -cf - -T -) | tar -C "$r/root/build/nestvirt" -xf - &&
		unshare -m --propagation private sh -c 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
			export DEBIAN_FRONTEND=noninteractive &&
			chroot "$1" apt-get -q -o Acquire::Check-Valid-Until=false update &&
			chroot "$1" sh -c "cd /build/nestvirt && apt-get -q -y --no-install-recommends build-dep ./" &&
			chroot "$1" sh -c "cd /build/nestvirt && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc -b"' \
			sh "$r/root" >"$r/build.log" 2>&1
	local rc=$?
	if [ "$rc" -eq 0 ] && mkdir "$r/out" && cp "$r/root/build/"*.deb "$r/build.log" "$r/out/" && mv "$r/out" "$dir"; then
		nvvm_rm_build "$r"
		return 0
	fi
	tail -n 30 "$r/build.log" >&2
	nvvm_rm_build "$r"
	return 1
}

exec {lockfd}>"$CACHE/.clean-lock"
flock "$lockfd"
t0=$(date +%s)
if [ -d "$OUT" ]; then
	check "apt-get build-dep ./ and dpkg-buildpackage -us -uc -b in a clean Debian 12 chroot (cached: $OUT)" true
else
	check "apt-get build-dep ./ and dpkg-buildpackage -us -uc -b in a clean Debian 12 chroot" build_clean "$OUT"
	find "$CACHE" -maxdepth 1 -name 'clean-*' ! -name 'clean-tmp.*' ! -path "$OUT" -mmin +60 -exec rm -rf {} +
fi
exec {lockfd}>&-
diag "clean-chroot build: $(($(date +%s) - t0)) s"

check "the clean build made nestvirt and nestvirt-dracut" \
	sh -c 'ls "$1"/nestvirt_*_amd64.deb "$1"/nestvirt-dracut_*_all.deb >/dev/null 2>&1' sh "$OUT"
check "build-dep installed the compiler and the -dev packages (the root had none)" \
	grep -q 'libxml2-dev' "$OUT/build.log"
# The same packages as the build on this host: the same paths in each.
HOST=$(nvvm_debs "$SRCDIR") || HOST=$TMP/none
paths() { dpkg-deb -c "$1" 2>/dev/null | awk '{print $6}' | sort; }
for p in nestvirt nestvirt-dracut; do
	check "$p from the clean chroot has the same paths as from this host" \
		eq "$(paths "$(ls "$HOST/${p}_"*.deb 2>/dev/null)")" "$(paths "$(ls "$OUT/${p}_"*.deb 2>/dev/null)")"
done

finish
