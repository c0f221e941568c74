#!/bin/bash
# nestvirt's unattended first boot on real host images (issue 6): a Debian 12 root with libvirt
# and QEMU installed, nestvirt installed from this working tree, "options kvm_amd nested=0" in its
# modprobe.d and five stored domains in /etc/libvirt/qemu, booted with Debian's kernel under
# QEMU/TCG (-cpu EPYC). Every assertion is made on what the booted host reported. Prints TAP.
#   tests/vm/firstboot-tests.sh [CASE...]      (no CASE: all; names below)
# Env: NESTVIRT_VM_JOBS parallel boots (default 2), NESTVIRT_VM_OUT keep artefacts there.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

packages=libvirt-daemon-system,qemu-system-x86,initramfs-tools,busybox
fbdir=$here/firstboot
domains="kvm-custom kvm-nocpu qemu-tcg kvm-svm-off kvm-excluded"
out=${NESTVIRT_VM_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/nvvm-fb.XXXXXX")}
mkdir -p "$out"
t_all=$(nvvm_now)

# The boots: name|initrd|image|cpu|boot args (see nvvm_boot_cases; "+IMAGE" keeps its writes).
# Phase 2 boots the disks phase 1 left behind.
declare -A boot=(
	[on]="on|sd|+disk-on|EPYC|nestvirt=1"
	[second]="second|sd|+disk-on|EPYC|nestvirt=1"
	[itools]="itools|it|lv|EPYC|nestvirt=1"
	[off]="off|sd|lv|EPYC|nestvirt=0"
	[persistent]="persistent|sd|lv-persistent|EPYC|"
	[image]="image|sd|lv-image|EPYC|"
	[cut]="cut|sd|+disk-cut|EPYC|nestvirt=1 nvtest.cutoff"
	[aftercut]="aftercut|sd|+disk-cut|EPYC|nestvirt=1"
)
# TAP point -> the boots it reads.
tests=(dracut-nested firstboot-order libvirt-sees-svm second-boot-no-change itools-no-reload
	nestvirt0-no-change persistent-enable image-enable cut-off-completed status-json)
declare -A needs=(
	[dracut-nested]="on" [firstboot-order]="on" [libvirt-sees-svm]="on"
	[second-boot-no-change]="on second" [itools-no-reload]="itools" [nestvirt0-no-change]="off"
	[persistent-enable]="persistent" [image-enable]="image" [cut-off-completed]="cut aftercut"
	[status-json]="on"
)
# status-json reads whichever of these were booted.
status_boots="on itools persistent"
declare -A want=()

# What the software under test provides decides which points can be tested at all.
stage=$out/stage
rm -rf "$stage" "$out/ov" "$out/persist-root"
rc=0
# The site's configuration is in place before the install, which never overwrites it.
install -D -m 0644 "$here/firstboot/nestvirt.conf" "$stage/etc/nestvirt/nestvirt.conf"
# The nestvirt package with dpkg -i in the root, beside initramfs-tools (nvvm_stage_nestvirt).
nvvm_stage_nestvirt "$src" "$stage" >"$out/install.log" 2>&1 || rc=1
# Enabled as a package's postinst would (systemctl's presets need a booted system).
for u in "$stage"/usr/lib/systemd/system/nestvirt*.service; do
	[ -f "$u" ] && { systemctl --root="$stage" enable "${u##*/}" >>"$out/install.log" 2>&1 || rc=1; }
done
unit_path() {
	find "$stage" -name "$1" -path '*/systemd/system/*' 2>/dev/null | head -n 1
}
missing=()
[ -n "$(unit_path nestvirt-firstboot.service)" ] || missing+=(firstboot)
[ -n "$(unit_path nestvirt-early.service)" ] || missing+=(early)
"$stage/usr/bin/nestvirt" enable --help >/dev/null 2>&1 || missing+=(enable)
"$stage/usr/bin/nestvirt" image --help >/dev/null 2>&1 || missing+=(image)
# TAP point -> the parts of issue 6 it needs besides today's boot helper.
declare -A requires=(
	[firstboot-order]="firstboot" [libvirt-sees-svm]="firstboot" [second-boot-no-change]="firstboot"
	[itools-no-reload]="early firstboot" [persistent-enable]="early firstboot enable"
	[image-enable]="early firstboot image"
	[cut-off-completed]="firstboot"
)
declare -A why_missing=(
	[firstboot]="needs nestvirt-firstboot.service (issue 6)"
	[early]="needs nestvirt-early.service on the real root (issue 6)"
	[enable]="needs nestvirt enable --persistent (issue 6)"
	[image]="needs nestvirt image (issue 8)"
)
skip_reason() { # prints why TAP point $1 cannot be tested yet, or nothing
	local m n
	for n in ${requires[$1]:-}; do
		for m in "${missing[@]}"; do
			[ "$m" = "$n" ] && { echo "${why_missing[$m]}"; return; }
		done
	done
}

plan=()
for t in "${tests[@]}"; do
	nvvm_selected "$t" "$@" || continue
	plan+=("$t")
	[ -n "$(skip_reason "$t")" ] && continue
	for b in ${needs[$t]}; do want[$b]=1; done
done
[ ${#plan[@]} -gt 0 ] || { echo "no such case: $*" >&2; exit 2; }
echo "1..$((${#plan[@]} + 2))"

# The host-side truth: the original files and what the bare "nestvirt rewrite" makes of them
# (the first boot must write the same bytes).
mkdir -p "$out/orig" "$out/expect"
install -m 0600 "$fbdir"/qemu/*.xml "$out/orig/"
cp -a "$out/orig/." "$out/expect/"
"$stage/usr/bin/nestvirt" rewrite --config-dir "$out/expect" --vendor amd --exclude kvm-excluded \
	>"$out/expect.log" 2>&1 || rc=1
sums() { # "SHA NAME" of DIR's *.xml, sorted
	(cd "$1" && for f in *.xml; do printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$f"; done) |
		LC_ALL=C sort -k2
}
sums "$out/orig" >"$out/orig.sums"
sums "$out/expect" >"$out/expect.sums"

# The image: overlays on the cached libvirt root.
t0=$(nvvm_now)
ov=$out/ov
mkdir -p "$ov/etc/libvirt/qemu" "$ov/etc/nestvirt" "$ov/etc/modprobe.d" "$ov/usr/local/sbin" \
	"$ov/usr/local/lib" "$ov/etc/nvtest/report.d" "$ov/etc/systemd/system/sysinit.target.wants"
cp -a "$out/orig/." "$ov/etc/libvirt/qemu/"
printf '# As a distribution or an old admin policy might ship it.\noptions kvm_amd nested=0\n' \
	>"$ov/etc/modprobe.d/kvm-nested0.conf"
install -m 0755 "$fbdir/nvtest-xmlsums.sh" "$ov/usr/local/sbin/nvtest-xmlsums"
install -m 0755 "$fbdir/probe-firstboot.sh" "$ov/etc/nvtest/report.d/firstboot"
install -m 0644 "$fbdir/nvtest-prefb.service" "$ov/etc/systemd/system/"
ln -s ../nvtest-prefb.service "$ov/etc/systemd/system/sysinit.target.wants/nvtest-prefb.service"
gcc -O2 -Wall -shared -fPIC -o "$ov/usr/local/lib/nvtest-cutoff.so" "$fbdir/nvtest-cutoff.c" \
	-ldl >>"$out/install.log" 2>&1 || rc=1
nvvm_mkimage "$out/lv.img" --packages "$packages" --overlay "$stage" --overlay "$ov" || rc=1
# Variants of the same image, written with debugfs (no mount): a disk per persistent boot, the
# persistent decision, the cut-off drop-in (inert without nvtest.cutoff on the command line).
variant() { # variant NAME [debugfs commands...]
	local name=$1
	shift
	cp --sparse=always "$out/lv.img" "$out/$name.img" || return
	[ $# -eq 0 ] || printf '%s\n' "$@" | debugfs -w -f - "$out/$name.img" >"$out/$name.debugfs" 2>&1
}
[ -n "${want[on]:-}" ] && { variant disk-on || rc=1; }
if [ -n "${want[persistent]:-}" ]; then
	# "nestvirt enable --persistent" as the admin would run it, against a scratch root.
	mkdir -p "$out/persist-root/etc/nestvirt"
	"$stage/usr/bin/nestvirt" enable --persistent --root "$out/persist-root" >"$out/persist.log" 2>&1 &&
		variant lv-persistent "write $out/persist-root/etc/nestvirt/persistent /etc/nestvirt/persistent" ||
		rc=1
fi
if [ -n "${want[image]:-}" ]; then
	# "nestvirt image --enable" as an image pipeline runs it: the disk image, offline.
	if ! variant lv-image || ! "$stage/usr/bin/nestvirt" image --image "$out/lv-image.img" \
		--enable >"$out/image.log" 2>&1; then
		sed 's/^/# /' "$out/image.log"
		rc=1
	fi
fi
if [ -n "${want[cut]:-}" ]; then
	variant disk-cut "mkdir /etc/systemd/system/nestvirt-firstboot.service.d" \
		"write $fbdir/cutoff.conf /etc/systemd/system/nestvirt-firstboot.service.d/nvtest-cutoff.conf" ||
		rc=1
fi
echo "# images: $(nvvm_elapsed "$t0") s"
nvvm_tap "$rc" "nestvirt and five stored domains install into a Debian root with libvirt and QEMU"

t0=$(nvvm_now)
rc=0
nvvm_mkinitrd "$out/sd.initrd" --flavour systemd --moddir "$stage/usr/lib/dracut/modules.d/90nestvirt" \
	--destdir "$stage" || rc=1
if [ -n "${want[itools]:-}" ]; then nvvm_mkinitrd_itools "$out/it.initrd" --packages "$packages" || rc=1; fi
echo "# initramfs builds: $(nvvm_elapsed "$t0") s"
nvvm_tap "$rc" "initramfs images: the real dracut with nestvirt's module, initramfs-tools without it"

phase1=() phase2=()
for b in on itools off persistent image cut; do [ -n "${want[$b]:-}" ] && phase1+=("${boot[$b]}"); done
for b in second aftercut; do [ -n "${want[$b]:-}" ] && phase2+=("${boot[$b]}"); done
# A libvirt host boots slower than the bare root: libvirtd probes QEMU under TCG.
export NESTVIRT_VM_TIMEOUT=${NESTVIRT_VM_TIMEOUT:-420}
[ ${#phase1[@]} -eq 0 ] || nvvm_boot_cases "$out" "${phase1[@]}"
[ ${#phase2[@]} -eq 0 ] || nvvm_boot_cases "$out" "${phase2[@]}"

# Checks of one boot's report; on failure its log goes to stderr as TAP comments (prove shows it).
booted() { # booted NAME: the boot reached "NVTEST done"
	local r=1 secs=unknown
	[ -f "$out/$1.rc" ] && read -r r secs <"$out/$1.rc"
	echo "# $1: boot $secs s"
	[ "$r" -eq 0 ] || { sed 's/^/# /' "$out/$1.log" >&2; return 1; }
}
check() { # check NAME SPEC...: nvvm_check against NAME's report
	nvvm_check "$out/$1/nvtest.txt" "${@:2}" 2>>"$out/$1.log" && return 0
	sed 's/^/# /' "$out/$1.log" >&2
	return 1
}
xml_sums() { # xml_sums NAME KEY: the top-level *.xml sums of report KEY (pre_sum, post_sum …)
	nvvm_get "$out/$1/nvtest.txt" "$2" | awk '$2 ~ /^[^\/]*\.xml$/' | LC_ALL=C sort -k2
}
same() { # same WHAT EXPECTED-FILE GOT-FILE: equal, or the difference as TAP comments
	diff -u "$2" "$3" >"$out/diff.tmp" && return 0
	echo "# $1 differs (- expected, + booted host):"
	sed 's/^/#   /' "$out/diff.tmp"
	return 1
}
classify() { # "NAME original|rewritten|other" for each line of a sums file
	awk 'FILENAME == ARGV[1] { o[$2] = $1; next } FILENAME == ARGV[2] { e[$2] = $1; next }
		{ print $2, ($1 == o[$2] ? "original" : $1 == e[$2] ? "rewritten" : "other") }' \
		"$out/orig.sums" "$out/expect.sums" "$1"
}
fb_ok() { # the first-boot unit ran this boot and succeeded
	check "$1" fb_LoadState=loaded fb_ConditionResult=yes fb_Result=success fb_ExecMainStatus=0 failed_units=
}
rewritten() { # every domain file is what the bare rewrite makes; libvirtd shows it
	local b=$1 d r=0
	xml_sums "$b" post_sum >"$out/$b.post.sums"
	same "$b: /etc/libvirt/qemu/*.xml after the first boot" "$out/expect.sums" "$out/$b.post.sums" || r=1
	check "$b" post_stamp=yes libvirtd_start=ok svm_kvm-custom=require svm_kvm-nocpu=require \
		svm_kvm-svm-off=disable svm_qemu-tcg=none svm_kvm-excluded=none || r=1
	for d in $domains; do check "$b" "virsh_list=$d" || r=1; done
	return "$r"
}
unchanged() { # unchanged NAME WHAT [all]: the boot changed no domain file (with "all": no file
	# under /etc/libvirt/qemu; libvirtd itself completes networks/default.xml on its first start),
	# and the *.xml are WHAT.sums (orig or expect)
	local b=$1 r=0 k
	for k in pre post; do
		nvvm_get "$out/$b/nvtest.txt" ${k}_sum |
			awk -v scope="${3:-top}" 'scope == "all" || $2 !~ /\//' >"$out/$b.$k.all"
	done
	[ -s "$out/$b.pre.all" ] || { echo "# $b: no pre_sum lines"; r=1; }
	same "$b: /etc/libvirt/qemu before and after the boot" "$out/$b.pre.all" "$out/$b.post.all" || r=1
	xml_sums "$b" post_sum >"$out/$b.post.sums"
	same "$b: /etc/libvirt/qemu/*.xml" "$out/$2.sums" "$out/$b.post.sums" || r=1
	return "$r"
}

for t in "${plan[@]}"; do
	why=$(skip_reason "$t")
	if [ -n "$why" ]; then
		nvvm_tap_n=$((nvvm_tap_n + 1))
		echo "ok $nvvm_tap_n - $t # SKIP $why"
		continue
	fi
	r=0
	case $t in
	dracut-nested)
		desc="dracut initramfs, nestvirt=1: /sys/module/kvm_amd/parameters/nested is 1"
		booted on && check on module=kvm_amd nested=1 state=request=1 || r=1
		;;
	firstboot-order)
		desc="the first-boot unit ran, succeeded and finished before libvirtd started"
		booted on && fb_ok on && check on pre_stamp=no lv_ActiveState=active fb_before_libvirtd=yes || r=1
		nvvm_get "$out/on/nvtest.txt" journal | grep -E 'nestvirt|libvirt' | sed 's/^/#   | /' | head -n 20
		;;
	libvirt-sees-svm)
		desc="libvirtd shows svm on the selected KVM domains, every other file byte for byte, all five listed"
		booted on && rewritten on || r=1
		;;
	second-boot-no-change)
		desc="the stamp exists; a second boot of the disk changes no byte under /etc/libvirt/qemu"
		booted on && booted second && check on post_stamp=yes &&
			check second pre_stamp=yes fb_ConditionResult=no && unchanged second expect all || r=1
		# and nothing moved between the first boot's end and the second's start
		nvvm_get "$out/on/nvtest.txt" final_sum >"$out/on.final.all"
		[ "$r" -ne 0 ] || same "second: /etc/libvirt/qemu since the first boot" "$out/on.final.all" \
			"$out/second.pre.all" || r=1
		;;
	itools-no-reload)
		desc="initramfs-tools initramfs, nestvirt=1: nested 1, loaded with our option (no reload), guests rewritten"
		# No nestvirt in this initramfs: the real root's unit wrote the option before coldplug
		# loaded the module (its first add uevent already sees nested=1), nothing reloaded it.
		booted itools && check itools module=kvm_amd nested=1 state=source=cmdline state=action=snippet \
			state=reload_attempts=0 '!state~reloaded' early_ActiveState=active early_Result=success \
			'uevent~add kvm_amd nested=1' '!uevent~remove kvm_amd' &&
			fb_ok itools && rewritten itools || r=1
		;;
	nestvirt0-no-change)
		desc="nestvirt=0: nested is 0 and no domain file changed"
		booted off && check off module=kvm_amd nested=0 state=request=0 && unchanged off orig || r=1
		;;
	persistent-enable)
		desc="nestvirt enable --persistent, no nestvirt= on the command line: nested 1, guests rewritten"
		booted persistent && check persistent module=kvm_amd nested=1 state=request=1 \
			state=source=persistent '!cmdline~nestvirt' early_ActiveState=active &&
			fb_ok persistent && rewritten persistent || r=1
		;;
	image-enable)
		desc="nestvirt image --enable on the disk image, no nestvirt= on the command line: nested 1, guests rewritten"
		booted image && check image module=kvm_amd nested=1 state=request=1 \
			state=source=persistent '!cmdline~nestvirt' early_ActiveState=active &&
			fb_ok image && rewritten image || r=1
		;;
	cut-off-completed)
		desc="a first boot cut off after the first file was replaced is completed by the next; stamp only then"
		read -r qrc <"$out/cut/qemu.rc" 2>/dev/null || qrc=none
		if [ "$qrc" != 0 ] || grep -qx 'done' "$out/cut/nvtest.txt" ||
			! grep -q 'nvtest-cutoff: replaced' "$out/cut/console.log"; then
			echo "# cut: not cut off as planned (qemu status $qrc); console tail:"
			tail -n 15 "$out/cut/console.log" | tr -d '\r' | sed 's/^/#   | /'
			r=1
		fi
		grep -h 'nvtest-cutoff:' "$out/cut/console.log" | tr -d '\r' | sed 's/^/# /'
		# The cut state, as the next boot found it: one file new, the others original, no stamp.
		xml_sums aftercut pre_sum >"$out/aftercut.pre.sums"
		classify "$out/aftercut.pre.sums" >"$out/aftercut.pre.class"
		sed 's/^/# aftercut found: /' "$out/aftercut.pre.class"
		[ "$(grep -c ' rewritten$' "$out/aftercut.pre.class")" -eq 1 ] &&
			[ "$(grep -c ' original$' "$out/aftercut.pre.class")" -eq 4 ] || r=1
		# ... and left it complete: no temporary file of the cut run (".NAME.xml.XXXXXX") remains.
		booted aftercut && check aftercut pre_stamp=no '!post_sum~ .' && fb_ok aftercut &&
			rewritten aftercut || r=1
		;;
	status-json)
		desc="nestvirt status --json after the nestvirt=1 boots: exit 0, class ok (--check 0), nesting effective"
		for b in $status_boots; do
			[ -n "${want[$b]:-}" ] || continue
			echo "# $b: $(nvvm_get "$out/$b/nvtest.txt" status_json | grep '"verdict"' | sed 's/^ *//')"
			check "$b" status_rc=0 'status_json~"class": "ok",' 'status_json~"check_code": 0,' \
				'status_json~"effective": 1,' || r=1
		done
		;;
	esac
	nvvm_tap "$r" "$t: $desc"
done

nvvm_finish "$out" "$t_all"
