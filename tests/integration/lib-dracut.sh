# shellcheck shell=sh
# Build initramfs images with the real dracut from this working tree, without installing
# anything into the system: "make install DESTDIR" into a stage, a private copy of dracut's
# base dir holding our module and drop-in, and an empty --confdir so that the host's
# /etc/dracut.conf.d does not leak in.

# dracut_stage DIR: stage an install and a private dracut base dir under DIR.
dracut_stage() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$SRCDIR" install DESTDIR="$1/stage" >/dev/null || return 1
	cp -a /usr/lib/dracut "$1/base" || return 1
	mkdir -p "$1/base/dracut.conf.d" "$1/confdir"
	cp -a "$1/stage/usr/lib/dracut/modules.d/90nestvirt" "$1/base/modules.d/" || return 1
	cp "$1/stage/usr/lib/dracut/dracut.conf.d/50-nestvirt.conf" "$1/base/dracut.conf.d/"
}

# dracut_build DIR OUT KVER [dracut args…]: build OUT from the staged tree in DIR.
dracut_build() {
	_d=$1 _out=$2 _kver=$3
	shift 3
	NESTVIRT_DESTDIR="$_d/stage" dracutbasedir="$_d/base" \
		dracut --quiet --force --no-hostonly --confdir "$_d/confdir" --conf /dev/null \
		--kver "$_kver" "$@" "$_out"
}
