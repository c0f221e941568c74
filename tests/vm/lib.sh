# shellcheck shell=bash
# nestvirt VM test harness: a cached Debian 12 root, an initramfs from the real dracut, and a
# QEMU/TCG boot that returns the guest's NVTEST report. Source this file from bash; see README.md.
#
# Environment:
#   NESTVIRT_VM_CACHE   cache dir for the debootstrap tarball (default /var/cache/nestvirt-vm)
#   NESTVIRT_VM_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   NESTVIRT_VM_KVER    kernel version to use (default: newest /boot/vmlinuz-* with modules)
#   NESTVIRT_VM_TIMEOUT hard limit of one boot in seconds (default 300)
#   NESTVIRT_VM_CPU     default QEMU CPU model (default EPYC)
#   NESTVIRT_VM_PACKAGES extra Debian packages for the root, comma-separated (default none)

NVVM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NVVM_SUITE=bookworm
NVVM_VARIANT=minbase
NVVM_INCLUDE=systemd-sysv,udev,kmod
NVVM_MODULES="kvm kvm_amd kvm_intel"
# mitigations=off: a throw-away test VM; it saves about 10% of a TCG boot on Intel models.
NVVM_APPEND_BASE="root=/dev/vda rw console=ttyS0 panic=-1 rd.shell=0 rd.emergency=reboot mitigations=off"

nvvm_log() {
	printf 'nvvm: %s\n' "$*" >&2
}

nvvm_die() {
	nvvm_log "error: $*"
	return 1
}

# Prints the kernel version the VM boots: $NESTVIRT_VM_KVER or the newest installed one.
nvvm_kver() {
	if [ -n "${NESTVIRT_VM_KVER:-}" ]; then
		printf '%s\n' "$NESTVIRT_VM_KVER"
		return 0
	fi
	local k best=
	for k in /boot/vmlinuz-*; do
		k=${k#/boot/vmlinuz-}
		[ -f "/lib/modules/$k/modules.dep" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$k" | sort -V | tail -n 1)
	done
	[ -n "$best" ] || nvvm_die "no /boot/vmlinuz-* with /lib/modules (apt-get install linux-image-amd64)" || return
	printf '%s\n' "$best"
}

nvvm_cache_dir() {
	printf '%s\n' "${NESTVIRT_VM_CACHE:-/var/cache/nestvirt-vm}"
}

# Seconds since the epoch with centiseconds, for timings.
nvvm_now() {
	date +%s.%N | cut -c1-13
}

nvvm_elapsed() {
	awk -v a="$1" -v b="$(nvvm_now)" 'BEGIN { printf "%.1f", b - a }'
}

# Prints the path of the cached debootstrap tarball, building it first when the recipe changed.
# $1: extra packages, comma-separated (optional; part of the cache key). They are installed with
# apt-get (no recommends) into the base tree: debootstrap --include cannot configure a set as
# large as libvirt's in its one dpkg pass.
nvvm_rootfs_tarball() {
	local extra=${1:-} include=$NVVM_INCLUDE cache key tarball tmp t0 lockfd base="" rc=0
	[ -n "$extra" ] && include="$include,$extra"
	cache=$(nvvm_cache_dir)
	key=$( { printf '%s\n' "$NVVM_SUITE" "$NVVM_VARIANT" "$include"; cat "$NVVM_DIR/rootfs-setup.sh"; } |
		sha256sum | cut -c1-16)
	tarball=$cache/rootfs-$NVVM_SUITE-$key.tar
	mkdir -p "$cache" || return
	# Before the lock (flock is per open file: taking it twice would wait forever).
	if [ -n "$extra" ] && [ ! -f "$tarball" ]; then
		base=$(nvvm_rootfs_tarball) || return
	fi
	# One builder at a time; a second caller waits and then reuses the result.
	exec {lockfd}>"$cache/.lock"
	flock "$lockfd"
	if [ ! -f "$tarball" ]; then
		tmp=$(mktemp -d "$cache/build.XXXXXX")
		t0=$(nvvm_now)
		nvvm_log "${base:+apt-get install on ${base##*/}: }debootstrap $NVVM_SUITE ($include) -> $tarball"
		if nvvm_rootfs_build "$tmp/root" "$base" "$extra" >"$tmp/debootstrap.log" 2>&1 &&
			sh "$NVVM_DIR/rootfs-setup.sh" "$tmp/root" &&
			tar --numeric-owner --xattrs -C "$tmp/root" -cf "$tmp/rootfs.tar" . &&
			mv "$tmp/rootfs.tar" "$tarball"; then
			nvvm_log "rootfs built in $(nvvm_elapsed "$t0") s"
			# Recipes nobody used for two weeks are stale.
			find "$cache" -maxdepth 1 -name 'rootfs-*.tar' -atime +14 -delete
		else
			rc=1
			tail -n 20 "$tmp/debootstrap.log" >&2
			[ -f "$tmp/root/debootstrap/debootstrap.log" ] && tail -n 20 "$tmp/root/debootstrap/debootstrap.log" >&2
			nvvm_log "error: ${base:+apt-get install $extra or }debootstrap failed (log above)"
		fi
		nvvm_rm_build "$tmp" || rc=1
	fi
	exec {lockfd}>&-
	[ "$rc" -eq 0 ] && printf '%s\n' "$tarball"
	return "$rc"
}

# Makes the tree ROOT: debootstrap, or with BASE (a cached tarball) that tree plus the EXTRA
# packages from apt-get in a chroot (/proc, /dev in a private mount namespace; no service starts).
#   nvvm_rootfs_build ROOT BASE EXTRA
nvvm_rootfs_build() {
	local root=$1 base=$2 extra=$3 mirror=${NESTVIRT_VM_MIRROR:-http://deb.debian.org/debian}
	if [ -z "$base" ]; then
		debootstrap --variant="$NVVM_VARIANT" --include="$NVVM_INCLUDE" "$NVVM_SUITE" "$root" "$mirror"
		return
	fi
	mkdir "$root" && tar --numeric-owner --xattrs -C "$root" -xpf "$base" || return
	printf 'deb %s %s main\n' "$mirror" "$NVVM_SUITE" >"$root/etc/apt/sources.list"
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -m --propagation private sh -c 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
		chroot "$1" apt-get -q -o Acquire::Check-Valid-Until=false update &&
		DEBIAN_FRONTEND=noninteractive chroot "$1" apt-get -q -y --no-install-recommends install $2' \
		sh "$root" "$(printf '%s' "$extra" | tr ',' ' ')" || return
	rm -f "$root/usr/sbin/policy-rc.d"
}

# Removes a build dir, unless something is still mounted below it (the chroot's /dev is bound
# in a private namespace only; never delete through a mount).
nvvm_rm_build() {
	if grep -qF " $1/" /proc/self/mountinfo; then
		nvvm_log "error: $1 still has mounts; left in place"
		return 1
	fi
	rm -rf "$1"
}

# --- nestvirt in the root: the Debian packages (default) or a staged make install -------------
# NESTVIRT_VM_INSTALL=deb (default): the packages dpkg-buildpackage makes of this tree, installed
# by dpkg -i inside the image's root; =make: "make install DESTDIR=" as before the packages.
# NESTVIRT_DEB_CACHE: where the packages are cached per tree content (/var/cache/nestvirt-deb).

# The files a clean clone of SRC has (tracked, plus untracked ones not ignored), one a line.
# shellcheck disable=SC2016 # expanded by the inner sh
nvvm_tree_files() {
	git -C "$1" ls-files -z -c -o --exclude-standard | sort -z |
		(cd "$1" && xargs -0 -r sh -c 'for f; do [ -f "$f" ] && printf "%s\n" "$f"; done' sh)
}

# A key for the content of SRC's tree (its files' paths and bytes), 16 hex digits.
nvvm_tree_key() {
	(cd "$1" && nvvm_tree_files "$1" | tr '\n' '\0' | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

# Prints the directory with the .debs (and the build's lintian.log) of SRC's tree, building them
# with dpkg-buildpackage -us -uc -b on a copy when the cache has none for this content.
# VERSION (optional) builds the copy as that version: a changelog entry is written on top.
#   nvvm_debs SRC [VERSION]
nvvm_debs() {
	local src=$1 version=${2:-} cache=${NESTVIRT_DEB_CACHE:-/var/cache/nestvirt-deb} key out tmp lockfd rc=0 t0
	key=$(nvvm_tree_key "$src")
	[ -z "$version" ] || key=$key-$version
	out=$cache/build-$key
	mkdir -p "$cache" || return
	exec {lockfd}>"$cache/.lock"
	flock "$lockfd"
	if [ ! -d "$out" ]; then
		t0=$(nvvm_now)
		tmp=$(mktemp -d "$cache/tmp.XXXXXX")
		mkdir "$tmp/nestvirt"
		if (cd "$src" && nvvm_tree_files "$src" | tar -cf - -T -) | tar -C "$tmp/nestvirt" -xf - &&
			{ [ -z "$version" ] || nvvm_changelog_entry "$tmp/nestvirt/debian/changelog" "$version"; } &&
			(cd "$tmp/nestvirt" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL DEB_BUILD_OPTIONS=parallel=2 \
				dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
			{ lintian --info "$tmp"/nestvirt_*.changes >"$tmp/lintian.log" 2>&1 || true; }
			rm -rf "$tmp/nestvirt" && mv "$tmp" "$out" || rc=1
			nvvm_log "packages $out built in $(nvvm_elapsed "$t0") s"
			# Older trees' builds are of no further use.
			find "$cache" -maxdepth 1 -name 'build-*' ! -path "$out" -mmin +60 -exec rm -rf {} +
		else
			rc=1
			tail -n 30 "$tmp/build.log" >&2
			nvvm_log "error: dpkg-buildpackage failed (log above)"
			rm -rf "$tmp"
		fi
	fi
	exec {lockfd}>&-
	[ "$rc" -eq 0 ] && printf '%s\n' "$out"
	return "$rc"
}

# Puts a changelog entry for VERSION on top of FILE (what dch -v would write).
nvvm_changelog_entry() {
	local file=$1 version=$2 tmp
	tmp=$(mktemp "$file.XXXXXX") || return
	{
		printf 'nestvirt (%s) UNRELEASED; urgency=medium\n\n  * Test build %s.\n\n' "$version" "$version"
		printf ' -- nestvirt developers <nestvirt-devel@example.org>  %s\n\n' "$(date -R)"
		cat "$file"
	} >"$tmp" && mv "$tmp" "$file"
}

# nestvirt's files below STAGE for the steps on this host (the dracut module for nvvm_mkinitrd
# --destdir, the CLI), and, in deb mode, the packages nvvm_mkimage installs with dpkg -i inside
# the root (NVVM_DEBS). A file already in STAGE (a site's nestvirt.conf) is kept, as dpkg keeps
# an admin's conffile. STAGE gets the merged-/usr layout of the root (lib -> usr/lib).
#   nvvm_stage_nestvirt SRC STAGE
NVVM_DEBS=()
nvvm_stage_nestvirt() {
	local src=$1 stage=$2 dir d x
	NVVM_DEBS=()
	case ${NESTVIRT_VM_INSTALL:-deb} in
	make)
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$src" install DESTDIR="$stage" \
			UDEVDIR=/usr/lib/udev SYSTEMDSYSTEMUNITDIR=/usr/lib/systemd/system
		return
		;;
	deb) ;;
	*) nvvm_die "NESTVIRT_VM_INSTALL must be deb or make, not '$NESTVIRT_VM_INSTALL'"; return ;;
	esac
	dir=$(nvvm_debs "$src") || return
	x=$(mktemp -d "${TMPDIR:-/tmp}/nvvm-deb.XXXXXX") || return
	for d in "$dir"/nestvirt_*.deb "$dir"/nestvirt-dracut_*.deb; do
		dpkg-deb -x "$d" "$x" || { rm -rf "$x"; return 1; }
		NVVM_DEBS+=("$d")
	done
	if [ -d "$x/lib" ] && [ ! -L "$x/lib" ]; then
		if ! { mkdir -p "$x/usr/lib" && cp -a "$x/lib/." "$x/usr/lib/" && rm -rf "${x:?}/lib" &&
			ln -s usr/lib "$x/lib"; }; then
			rm -rf "$x"
			return 1
		fi
	fi
	mkdir -p "$stage" && cp -a -n "$x/." "$stage/"
	local rc=$?
	rm -rf "$x"
	nvvm_log "nestvirt from the packages$(printf ' %s' "${NVVM_DEBS[@]##*/}")"
	return "$rc"
}

# dpkg -i of DEBS inside ROOT (/proc in a private mount namespace; no service starts: no systemd
# runs in the chroot). nestvirt-dracut only where dracut is installed: a root with
# initramfs-tools gets nestvirt alone, as apt would keep it. A conffile already in the root (a
# site's nestvirt.conf put there by an overlay) is kept.
#   nvvm_install_debs ROOT DEB...
nvvm_install_debs() {
	local root=$1 d list=""
	shift
	mkdir -p "$root/tmp/nvvm-debs" || return
	for d in "$@"; do
		case ${d##*/} in
		nestvirt-dracut_*) [ -x "$root/usr/bin/dracut" ] || continue ;;
		esac
		cp "$d" "$root/tmp/nvvm-debs/" && list="$list /tmp/nvvm-debs/${d##*/}" || return
	done
	# shellcheck disable=SC2016,SC2086 # expanded by the inner sh; the list splits on purpose
	unshare -m --propagation private sh -c 'r=$1 && shift && mount -t proc proc "$r/proc" &&
		chroot "$r" dpkg --force-confold -i "$@"' sh "$root" $list >"$root/tmp/nvvm-debs/dpkg.log" 2>&1 ||
		{ tail -n 20 "$root/tmp/nvvm-debs/dpkg.log" >&2; nvvm_die "dpkg -i$list in the root failed"; return; }
	rm -rf "$root/tmp/nvvm-debs"
	nvvm_log "dpkg -i$list in the root"
}

# Copies the kvm modules and the EXTRA ones (with dependencies) and the module index sources of
# the host's kernel KVER into ROOT, then runs depmod, so the VM's udev can autoload kvm_amd by
# CPU modalias.   nvvm_install_kmods ROOT KVER ["EXTRA MODULES"]
nvvm_install_kmods() {
	local root=$1 kver=$2 m path paths f
	local src=/lib/modules/$kver dst=$1/lib/modules/$kver
	mkdir -p "$dst" || return
	for m in $NVVM_MODULES ${3:-}; do
		paths=$(modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }') || return
		for path in $paths; do
			mkdir -p "$root${path%/*}" && cp "$path" "$root$path" || return
		done
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -f "$src/$f" ] && cp "$src/$f" "$dst/"
	done
	depmod -b "$root" "$kver"
}

# Builds an ext4 image (no mount, no loop device) of the cached root plus the test bits.
#   nvvm_mkimage OUT.img [--overlay DIR]... [--file SRC:DEST]... [--packages a,b] [--kmods "M..."]
# --overlay copies DIR's contents over the root; --file copies one file to DEST (absolute, in
# the image). Overlays and files are applied in the order given, after the test bits.
# --packages: extra Debian packages (a separate cached tree); --kmods: more host kernel modules
# (besides kvm, kvm_amd, kvm_intel) to copy into the image. The packages nvvm_stage_nestvirt
# chose (NVVM_DEBS) are installed last, with dpkg -i in the root.
nvvm_mkimage() {
	local out=$1 kver tarball work root size_mb t0 packages=${NESTVIRT_VM_PACKAGES:-} kmods=""
	local -a steps=()
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--overlay | --file) steps+=("$1" "$2"); shift 2 ;;
		--packages) packages=$2; shift 2 ;;
		--kmods) kmods="$kmods $2"; shift 2 ;;
		*) nvvm_die "nvvm_mkimage: unknown argument '$1'"; return ;;
		esac
	done
	kver=$(nvvm_kver) || return
	tarball=$(nvvm_rootfs_tarball "$packages") || return
	t0=$(nvvm_now)
	work=$(mktemp -d "${TMPDIR:-/tmp}/nvvm-img.XXXXXX") || return
	root=$work/root
	if ! mkdir "$root" || ! tar --numeric-owner --xattrs -C "$root" -xpf "$tarball" ||
		! nvvm_install_kmods "$root" "$kver" "$kmods" || ! nvvm_install_report "$root" ||
		! nvvm_apply_steps "$root" "${steps[@]}" ||
		{ [ ${#NVVM_DEBS[@]} -gt 0 ] && ! nvvm_install_debs "$root" "${NVVM_DEBS[@]}"; }; then
		rm -rf "$work"
		nvvm_die "nvvm_mkimage: preparing the root failed"
		return
	fi
	size_mb=$(du -sm "$root" | cut -f1)
	size_mb=$((size_mb + size_mb / 4 + 128))
	rm -f "$out"
	if ! truncate -s "${size_mb}M" "$out" ||
		! mkfs.ext4 -q -F -L nvroot -d "$root" "$out" >"$work/mkfs.log" 2>&1; then
		cat "$work/mkfs.log" >&2
		rm -rf "$work"
		nvvm_die "nvvm_mkimage: mkfs.ext4 -d failed"
		return
	fi
	rm -rf "$work"
	nvvm_log "image $out (${size_mb} MiB) built in $(nvvm_elapsed "$t0") s"
}

# Installs the report service (enabled) and the uevent-logging udev rule into ROOT.
nvvm_install_report() {
	local root=$1 g=$NVVM_DIR/guest
	install -m 0755 "$g/nvtest-report" "$g/nvtest-uevent" "$root/usr/local/sbin/" &&
		install -m 0644 "$g/nvtest-report.service" "$root/etc/systemd/system/" &&
		install -m 0644 "$g/99-nvtest-uevent.rules" "$root/etc/udev/rules.d/" &&
		mkdir -p "$root/etc/systemd/system/multi-user.target.wants" &&
		ln -sf ../nvtest-report.service \
			"$root/etc/systemd/system/multi-user.target.wants/nvtest-report.service"
}

# Applies --overlay DIR / --file SRC:DEST pairs to ROOT.
nvvm_apply_steps() {
	local root=$1 src dest
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--overlay)
			[ -d "$2" ] || { nvvm_die "overlay '$2' is not a directory"; return; }
			cp -a "$2/." "$root/" || return
			;;
		--file)
			src=${2%%:*}
			dest=${2#*:}
			case $dest in /*) ;; *) nvvm_die "--file $2: DEST must be absolute"; return ;; esac
			mkdir -p "$root$(dirname "$dest")" && cp "$src" "$root$dest" || return
			;;
		esac
		shift 2
	done
}

# Builds an initramfs with the real dracut from a private copy of /usr/lib/dracut.
#   nvvm_mkinitrd OUT [--flavour systemd|shell] [--moddir DIR]... [--add "MODS"] [--preload]
#                 [--destdir DIR] [--dracut-arg ARG]...
# --moddir copies a dracut module dir (e.g. dracut/90nestvirt) into the private modules.d and
# adds it; --add adds more dracut modules; --preload adds tests/vm/dracut/95nvtest-preload;
# --destdir sets NESTVIRT_DESTDIR (a staged "make install DESTDIR=") for the project's
# module-setup.sh; by default it is inherited from the environment.
nvvm_mkinitrd() {
	local out=$1 flavour=systemd add="" preload=0 destdir=${NESTVIRT_DESTDIR:-} kver work base t0 d name
	local -a moddirs=() extra=() mods=()
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--flavour) flavour=$2; shift 2 ;;
		--moddir) moddirs+=("$2"); shift 2 ;;
		--add) add="$add $2"; shift 2 ;;
		--preload) preload=1; shift ;;
		--destdir) destdir=$2; shift 2 ;;
		--dracut-arg) extra+=("$2"); shift 2 ;;
		*) nvvm_die "nvvm_mkinitrd: unknown argument '$1'"; return ;;
		esac
	done
	[ "$preload" -eq 1 ] && moddirs+=("$NVVM_DIR/dracut/95nvtest-preload")
	case $flavour in
	# dracut's systemd initrd, as Debian builds it, less what a virtio/ext4 root does not need.
	# (Debian's generic image adds storage/crypt/i18n modules and takes about a minute.)
	systemd) mods=(systemd systemd-initrd dracut-systemd base rootfs-block udev-rules fs-lib) ;;
	# dracut's own shell init (no systemd modules).
	shell) mods=(base rootfs-block udev-rules fs-lib) ;;
	*) nvvm_die "nvvm_mkinitrd: flavour must be systemd or shell, not '$flavour'"; return ;;
	esac
	kver=$(nvvm_kver) || return
	work=$(mktemp -d "${TMPDIR:-/tmp}/nvvm-dracut.XXXXXX") || return
	base=$work/dracut
	cp -a /usr/lib/dracut "$base" || { rm -rf "$work"; return 1; }
	mkdir "$work/conf.d" "$work/tmp"
	: >"$work/dracut.conf"
	for d in "${moddirs[@]}"; do
		[ -f "$d/module-setup.sh" ] || { rm -rf "$work"; nvvm_die "no module-setup.sh in '$d'"; return; }
		name=$(basename "$d")
		cp -a "$d" "$base/modules.d/$name"
		add="$add ${name#[0-9][0-9]}"
	done
	t0=$(nvvm_now)
	# An empty private conf and confdir: the host's /etc/dracut.conf.d must not leak in.
	if ! NESTVIRT_DESTDIR=$destdir dracutbasedir=$base dracut --force --quiet \
		--conf "$work/dracut.conf" --confdir "$work/conf.d" --tmpdir "$work/tmp" \
		--kver "$kver" --no-hostonly --no-hostonly-cmdline --no-early-microcode \
		--no-compress --nostrip \
		--modules "${mods[*]}" ${add:+--add "$add"} \
		--drivers "virtio_blk virtio_pci ext4" --filesystems ext4 \
		"${extra[@]}" "$out" >"$work/dracut.log" 2>&1; then
		cat "$work/dracut.log" >&2
		rm -rf "$work"
		nvvm_die "nvvm_mkinitrd: dracut failed"
		return
	fi
	rm -rf "$work"
	nvvm_log "initramfs $out ($flavour${add:+ +}${add# }; $(du -k "$out" | cut -f1) KiB) built in $(nvvm_elapsed "$t0") s"
}

# The initramfs-tools build: the modules a virtio/ext4 root needs (MODULES=list), as little as
# dracut's --drivers above; Debian's default MODULES=most takes about a minute.
NVVM_ITOOLS_MODULES="virtio_blk virtio_pci ext4 crc32c_generic"

# Builds an initramfs with Debian's initramfs-tools (update-initramfs, no dracut) inside a copy
# of the cached root, cached itself (keyed on the root, the kernel and this recipe).
#   nvvm_mkinitrd_itools OUT [--packages a,b]
# The root must contain initramfs-tools (--packages as for nvvm_mkimage). No kvm module goes in:
# like Debian's generic image, the real root's udev loads the vendor module after switch_root.
nvvm_mkinitrd_itools() {
	local out=$1 packages=${NESTVIRT_VM_PACKAGES:-} kver tarball cache key cached work t0 lockfd rc=0
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--packages) packages=$2; shift 2 ;;
		*) nvvm_die "nvvm_mkinitrd_itools: unknown argument '$1'"; return ;;
		esac
	done
	kver=$(nvvm_kver) || return
	tarball=$(nvvm_rootfs_tarball "$packages") || return
	cache=$(nvvm_cache_dir)
	key=$( { printf '%s\n' "${tarball##*/}" "$kver" "$NVVM_ITOOLS_MODULES";
		cat "/boot/config-$kver" "/lib/modules/$kver/modules.dep"; declare -f nvvm_itools_build; } |
		sha256sum | cut -c1-16)
	cached=$cache/initrd-itools-$key.img
	exec {lockfd}>"$cache/.lock"
	flock "$lockfd"
	if [ ! -f "$cached" ]; then
		t0=$(nvvm_now)
		work=$(mktemp -d "$cache/itools.XXXXXX")
		if nvvm_itools_build "$work" "$tarball" "$kver" >"$work/build.log" 2>&1 &&
			mv "$work/root/boot/initrd.img-$kver" "$cached"; then
			nvvm_log "initramfs-tools image $cached built in $(nvvm_elapsed "$t0") s"
			find "$cache" -maxdepth 1 -name 'initrd-itools-*.img' -atime +14 -delete
		else
			rc=1
			tail -n 20 "$work/build.log" >&2
			nvvm_log "error: update-initramfs failed (log above; is initramfs-tools in --packages?)"
		fi
		nvvm_rm_build "$work" || rc=1
	fi
	exec {lockfd}>&-
	[ "$rc" -eq 0 ] || return 1
	cp "$cached" "$out" &&
		nvvm_log "initramfs $out (initramfs-tools; $(du -k "$out" | cut -f1) KiB) from $cached"
}

# update-initramfs in a chroot of TARBALL unpacked below WORK/root, for kernel KVER: its config,
# the root's modules (with dependencies) and depmod, MODULES=list. /proc and /dev are mounted in
# a private mount namespace (gone with the process).
nvvm_itools_build() {
	local work=$1 tarball=$2 kver=$3 root=$1/root m
	mkdir "$root" && tar --numeric-owner --xattrs -C "$root" -xpf "$tarball" || return
	[ -x "$root/usr/sbin/update-initramfs" ] || { nvvm_die "no update-initramfs in $tarball"; return; }
	nvvm_install_kmods "$root" "$kver" "$NVVM_ITOOLS_MODULES" || return
	mkdir -p "$root/boot" && cp "/boot/config-$kver" "$root/boot/" || return
	sed -i 's/^MODULES=.*/MODULES=list/; s/^COMPRESS=.*/COMPRESS=gzip/' \
		"$root/etc/initramfs-tools/initramfs.conf" || return
	for m in $NVVM_ITOOLS_MODULES; do echo "$m"; done >>"$root/etc/initramfs-tools/modules"
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -m --propagation private sh -c 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
		chroot "$1" update-initramfs -c -k "$2"' sh "$root" "$kver"
}

# Boots the VM and writes its report; returns 0 only when the guest printed "NVTEST done".
#   nvvm_boot OUTDIR --initrd FILE --image FILE [--cpu MODEL] [--append "ARGS"] [--timeout S]
#             [--mem MiB] [--persist]
# OUTDIR gets console.log (ttyS0), report.log (ttyS1), qemu.log, qemu.rc (qemu's exit status,
# 124/137: timed out) and nvtest.txt (the NVTEST lines with the prefix removed: "key=value").
# The image is opened with snapshot=on, never modified; --persist writes to it (snapshot=off).
nvvm_boot() {
	local outdir=$1 initrd="" image="" cpu=${NESTVIRT_VM_CPU:-EPYC} append="" mem=1024
	local timeout=${NESTVIRT_VM_TIMEOUT:-300} snapshot=on kver t0 rc=0
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--initrd) initrd=$2; shift 2 ;;
		--image) image=$2; shift 2 ;;
		--cpu) cpu=$2; shift 2 ;;
		--append) append="$append $2"; shift 2 ;;
		--timeout) timeout=$2; shift 2 ;;
		--mem) mem=$2; shift 2 ;;
		--persist) snapshot=off; shift ;;
		*) nvvm_die "nvvm_boot: unknown argument '$1'"; return ;;
		esac
	done
	[ -f "$initrd" ] || { nvvm_die "nvvm_boot: --initrd '$initrd' not found"; return; }
	[ -f "$image" ] || { nvvm_die "nvvm_boot: --image '$image' not found"; return; }
	kver=$(nvvm_kver) || return
	mkdir -p "$outdir" || return
	rm -f "$outdir/console.log" "$outdir/report.log" "$outdir/qemu.log" "$outdir/qemu.rc" \
		"$outdir/nvtest.txt"
	t0=$(nvvm_now)
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 -accel tcg -cpu "$cpu" -m "$mem" \
		-nodefaults -nographic -no-reboot \
		-serial "file:$outdir/console.log" -serial "file:$outdir/report.log" \
		-kernel "/boot/vmlinuz-$kver" -initrd "$initrd" \
		-append "$NVVM_APPEND_BASE$append" \
		-drive "file=$image,if=virtio,format=raw,snapshot=$snapshot" \
		</dev/null >"$outdir/qemu.log" 2>&1 || rc=$?
	echo "$rc" >"$outdir/qemu.rc"
	tr -d '\r' <"$outdir/report.log" | sed -n 's/^NVTEST //p' >"$outdir/nvtest.txt"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		nvvm_log "boot timed out after ${timeout} s ($outdir)"
	elif [ "$rc" -ne 0 ]; then
		nvvm_log "qemu exited with $rc ($outdir): $(tail -n 3 "$outdir/qemu.log")"
	fi
	if ! grep -qx "done" "$outdir/nvtest.txt"; then
		nvvm_log "no 'NVTEST done' (cpu $cpu, $(nvvm_elapsed "$t0") s); console tail:"
		tail -n 40 "$outdir/console.log" | tr -d '\r' | sed 's/^/    | /' >&2
		return 1
	fi
	nvvm_log "boot (cpu $cpu) finished in $(nvvm_elapsed "$t0") s"
}

# Prints the values of KEY in an nvtest.txt (one per line, in order).
#   nvvm_get OUTDIR/nvtest.txt nested  ->  1
nvvm_get() {
	sed -n "s/^$2=//p" "$1"
}

# Checks an nvtest.txt against SPECs; prints each mismatch; returns 0 when all hold.
#   KEY=VALUE   some KEY line has exactly VALUE     KEY~TEXT   some KEY line contains TEXT
#   !KEY        no KEY line at all                  !KEY~TEXT  no KEY line contains TEXT
#   nvvm_check OUTDIR/nvtest.txt nested=1 'modprobe_c=' '!snippet' 'uevent~add kvm_amd'
nvvm_check() {
	local file=$1 spec neg key op val got bad=0 hit
	shift
	for spec in "$@"; do
		neg=0
		case $spec in !*) neg=1; spec=${spec#!} ;; esac
		key=${spec%%[=~]*}
		op=${spec:${#key}:1}
		val=${spec:${#key}+1}
		got=$(nvvm_get "$file" "$key")
		hit=0
		case $op in
		=) grep -qxF -- "$key=$val" "$file" && hit=1 ;;
		"~") [ -n "$got" ] && printf '%s\n' "$got" | grep -qF -- "$val" && hit=1 ;;
		*) grep -q -e "^$key=" -e "^$key\$" "$file" && hit=1 ;;
		esac
		[ "$neg" -eq 1 ] && hit=$((1 - hit))
		if [ "$hit" -eq 0 ]; then
			bad=1
			nvvm_log "check failed: $([ "$neg" -eq 1 ] && printf '!')$spec; $key lines: $(printf '%s' "$got" | paste -s -d '|' -)"
		fi
	done
	return "$bad"
}

# Boots every case, NESTVIRT_VM_JOBS (default 2) at a time; each writes OUT/NAME.rc
# ("STATUS SECONDS") and OUT/NAME/ (see nvvm_boot).
#   nvvm_boot_cases OUT CASE...   with CASE = "name|initrd|image|cpu|boot args|checks"
# where initrd and image name OUT/INITRD.initrd and OUT/IMAGE.img; an image written "+IMAGE" is
# booted with --persist (its changes stay for the next boot of it).
nvvm_boot_cases() {
	local out=$1 c name initrd image cpu append t0 jobs=${NESTVIRT_VM_JOBS:-2} persist
	shift
	t0=$(nvvm_now)
	for c in "$@"; do
		IFS='|' read -r name initrd image cpu append _ <<<"$c"
		persist=
		case $image in +*) image=${image#+}; persist=--persist ;; esac
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
		(
			tb=$(nvvm_now)
			r=0
			nvvm_boot "$out/$name" --initrd "$out/$initrd.initrd" --image "$out/$image.img" \
				--cpu "$cpu" ${append:+--append "$append"} $persist 2>"$out/$name.log" || r=$?
			echo "$r $(nvvm_elapsed "$tb")" >"$out/$name.rc"
		) &
	done
	wait
	echo "# boots: $(nvvm_elapsed "$t0") s for $# (jobs=$jobs)"
}

# Whether a booted CASE passed its checks (the case's own, then EXTRA specs); on failure the
# boot log and the report go to stderr as TAP comments, so prove shows the reason without -v.
#   nvvm_case_ok OUT CASE [EXTRA_SPEC...]
nvvm_case_ok() {
	local out=$1 name cpu append checks r=1 secs=unknown
	local -a extra=("${@:3}")
	IFS='|' read -r name _ _ cpu append checks <<<"$2"
	[ -f "$out/$name.rc" ] && read -r r secs <"$out/$name.rc"
	echo "# $name: boot ${secs} s"
	# shellcheck disable=SC2086 # checks are space-separated on purpose
	set -- $checks
	if [ "$r" -eq 0 ] &&
		nvvm_check "$out/$name/nvtest.txt" "${@//+/ }" "${extra[@]}" 2>>"$out/$name.log"; then
		return 0
	fi
	sed 's/^/# /' "$out/$name.log" >&2
	[ -f "$out/$name/nvtest.txt" ] && sed 's/^/#   | /' "$out/$name/nvtest.txt" >&2
	return 1
}

# Whether case NAME is among the ones asked for (none asked: all are).
#   nvvm_selected NAME [ASKED...]
nvvm_selected() {
	local c
	[ $# -eq 1 ] && return 0
	for c in "${@:2}"; do [ "$c" = "$1" ] && return 0; done
	return 1
}

# One TAP test point; counts in nvvm_tap_n and nvvm_tap_failed.
#   nvvm_tap STATUS NAME
nvvm_tap_n=0
nvvm_tap_failed=0
nvvm_tap() {
	nvvm_tap_n=$((nvvm_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $nvvm_tap_n - $2"
	else
		echo "not ok $nvvm_tap_n - $2"
		nvvm_tap_failed=$((nvvm_tap_failed + 1))
	fi
}

# Ends a TAP run: removes OUT when everything passed (and NESTVIRT_VM_OUT was not given),
# prints the total time since T0, and returns the run's status.
#   nvvm_finish OUT T0
nvvm_finish() {
	if [ "$nvvm_tap_failed" -eq 0 ] && [ -z "${NESTVIRT_VM_OUT:-}" ]; then
		rm -rf "$1"
		echo "# total: $(nvvm_elapsed "$2") s"
	else
		echo "# total: $(nvvm_elapsed "$2") s; artefacts kept in $1"
	fi
	echo "# $((nvvm_tap_n - nvvm_tap_failed)) passed, $nvvm_tap_failed failed"
	[ "$nvvm_tap_failed" -eq 0 ]
}

# Builds the L2 payload's initramfs (tests/vm/l2-tests.sh): the host's static busybox
# (busybox-static), INIT as /init, and the vendor KVM modules of the VM's kernel with their
# dependencies and a modules.dep, so that busybox's modprobe loads them in the nested guest.
#   nvvm_mkl2initrd OUT INIT
nvvm_mkl2initrd() {
	local out=$1 init=$2 bb=${NESTVIRT_VM_BUSYBOX:-/bin/busybox} kver work t0
	kver=$(nvvm_kver) || return
	if [ ! -x "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
		nvvm_die "nvvm_mkl2initrd: no static $bb (apt-get install busybox-static)"
		return
	fi
	t0=$(nvvm_now)
	work=$(mktemp -d "${TMPDIR:-/tmp}/nvvm-l2.XXXXXX") || return
	if ! nvvm_l2_tree "$work" "$kver" "$bb" "$init" || ! depmod -b "$work" "$kver" ||
		! (cd "$work" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$out"; then
		rm -rf "$work"
		nvvm_die "nvvm_mkl2initrd: building $out failed"
		return
	fi
	rm -rf "$work"
	nvvm_log "L2 initramfs $out ($(du -k "$out" | cut -f1) KiB) built in $(nvvm_elapsed "$t0") s"
}

# The L2 initramfs tree in DIR: busybox BB, INIT as /init, the vendor KVM modules of KVER.
#   nvvm_l2_tree DIR KVER BB INIT
nvvm_l2_tree() {
	local dir=$1 kver=$2 m
	mkdir -p "$dir/bin" "$dir/lib/modules/$kver" || return
	cp "$3" "$dir/bin/busybox" || return
	install -m 0755 "$4" "$dir/init" || return
	cp "/lib/modules/$kver"/modules.order "/lib/modules/$kver"/modules.builtin* \
		"$dir/lib/modules/$kver/" || return
	for m in $(modprobe -S "$kver" --show-depends kvm_amd kvm_intel | awk '$1 == "insmod" { print $2 }'); do
		mkdir -p "$dir$(dirname "$m")" || return
		cp "$m" "$dir$m" || return
	done
}
