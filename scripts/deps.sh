#!/bin/sh
# Install the Debian 12 packages nestvirt needs to build and test. Idempotent: it only
# calls apt-get when a package is missing, and prints nothing when all are present.
# Usage: scripts/deps.sh [build|test]   (default: test, which includes build)
set -eu

build="gcc make pkg-config libkmod-dev libblkid-dev libxml2-dev libcmocka-dev nettle-dev"
test="$build clang-format kmod perl valgrind clang libclang-rt-14-dev shellcheck
	acl dracut-core cpio zstd e2fsprogs qemu-system-x86 linux-image-amd64 debootstrap
	systemd udev libvirt-clients virtinst xmlstarlet libxml2-utils python3 patch dpkg-dev
	hyperfine debhelper lintian xfsprogs cryptsetup-bin fdisk dosfstools busybox-static
	python3-jsonschema prometheus ansible-core"

case "${1:-test}" in
build) want=$build ;;
test) want=$test ;;
*) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh once if they are absent or old.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null | head -n 1)" ]; then
	apt-get update -qq
fi
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing >/dev/null
