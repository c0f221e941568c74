#!/bin/bash
# The whole promise, proven (issue 11): boot the libvirt host image under QEMU/TCG (-cpu EPYC),
# let nestvirt's first boot rewrite the stored domains, start each with `virsh start` and read
# what its L2 guest saw in its own /proc/cpuinfo (svm, npt), whether it loaded kvm_amd and got
# /dev/kvm. The same domains, rewritten, on the same image booted nestvirt=0: no L2 sees svm,
# and libvirt refuses to start the domains that require it. Prints TAP, and one line per domain.
#   tests/vm/l2-tests.sh
# Env: NESTVIRT_VM_OUT keep artefacts there; NESTVIRT_VM_TIMEOUT hard limit of one L1 boot
# (default 1800 s: on a loaded 2-core machine libvirtd's first start alone took 5 minutes); NESTVIRT_L2_TIMEOUT hard limit of one L2 start to its marker (default 240 s).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

# The libvirt host's package set of firstboot-tests.sh: the same cached tree.
packages=libvirt-daemon-system,qemu-system-x86,initramfs-tools,busybox
l2dir=$here/l2
domains="l2-opteron l2-full l2-nocpu l2-hostmodel l2-passthrough l2-svm-off"
# The domains whose L2 must get the whole extension after a nestvirt=1 first boot.
nested_domains="l2-opteron l2-full l2-nocpu l2-hostmodel l2-passthrough"
control="l2-svm-off"
out=${NESTVIRT_VM_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/nvvm-l2.XXXXXX")}
mkdir -p "$out"
t_all=$(nvvm_now)
echo "1..9"

# The project, installed as in firstboot-tests.sh (the nestvirt package with dpkg -i in the
# root, nvvm_stage_nestvirt), its units enabled.
stage=$out/stage
rm -rf "$stage" "$out/ov" "$out/orig" "$out/pt" "$out/rewritten"
rc=0
install -D -m 0644 "$l2dir/nestvirt.conf" "$stage/etc/nestvirt/nestvirt.conf"
nvvm_stage_nestvirt "$src" "$stage" >"$out/install.log" 2>&1 || rc=1
for u in "$stage"/usr/lib/systemd/system/nestvirt*.service; do
	[ -f "$u" ] && { systemctl --root="$stage" enable "${u##*/}" >>"$out/install.log" 2>&1 || rc=1; }
done
nv=$stage/usr/bin/nestvirt

# The stored domains. l2-passthrough is switched to host-passthrough here by the rewrite that a
# "mode = host-passthrough" configuration runs (the configuration's mode holds for every domain
# of one first boot; the others need the default). The nestvirt=0 image holds the domains as
# the nestvirt=1 first boot leaves them (the bare rewrite: firstboot-tests.sh proves they are
# the same bytes): a host set up for nesting, then booted with nesting off.
mkdir -p "$out/orig" "$out/pt" "$out/rewritten"
install -m 0600 "$l2dir"/qemu/*.xml "$out/orig/"
mv "$out/orig/l2-passthrough.xml" "$out/pt/"
"$nv" rewrite --config-dir "$out/pt" --vendor amd --mode host-passthrough --no-backup \
	>"$out/pt.log" 2>&1 || rc=1
mv "$out/pt/l2-passthrough.xml" "$out/orig/"
cp -a "$out/orig/." "$out/rewritten/"
"$nv" rewrite --config-dir "$out/rewritten" --vendor amd --no-backup >"$out/rewrite.log" 2>&1 || rc=1
sed 's/^/# host-side rewrite: /' "$out/rewrite.log"

# The L2 payload (Debian's kernel, busybox + kvm modules) and the probe, in an overlay.
t0=$(nvvm_now)
ov=$out/ov
mkdir -p "$ov/var/lib/nvtest-l2" "$ov/etc/nvtest/report.d" \
	"$ov/etc/systemd/system/nvtest-report.service.d"
cp "/boot/vmlinuz-$(nvvm_kver)" "$ov/var/lib/nvtest-l2/vmlinuz" || rc=1
nvvm_mkl2initrd "$ov/var/lib/nvtest-l2/initrd.img" "$l2dir/l2-init" 2>>"$out/install.log" || rc=1
chmod 0644 "$ov/var/lib/nvtest-l2/"*
install -m 0755 "$l2dir/probe-l2.sh" "$ov/etc/nvtest/report.d/l2"
install -m 0644 "$l2dir/report-timeout.conf" "$ov/etc/systemd/system/nvtest-report.service.d/"
mkdir -p "$ov/etc/libvirt/qemu"
cp -a "$out/orig/." "$ov/etc/libvirt/qemu/"
nvvm_mkimage "$out/on.img" --packages "$packages" --overlay "$stage" --overlay "$ov" || rc=1
# The nestvirt=0 disk: a copy with the rewritten domains, written with debugfs (no mount).
cp --sparse=always "$out/on.img" "$out/off.img" || rc=1
for d in $domains; do
	printf 'rm /etc/libvirt/qemu/%s.xml\nwrite %s /etc/libvirt/qemu/%s.xml\n' "$d" "$out/rewritten/$d.xml" "$d"
done | debugfs -w -f - "$out/off.img" >"$out/off.debugfs" 2>&1 || rc=1
nvvm_mkinitrd "$out/sd.initrd" --flavour systemd --moddir "$stage/usr/lib/dracut/modules.d/90nestvirt" \
	--destdir "$stage" || rc=1
echo "# images and initramfs: $(nvvm_elapsed "$t0") s"
nvvm_tap "$rc" "host images with nestvirt, the L2 payload and six stored domains booting it"

# Both L1 boots at once (2 jobs), each with a hard limit; each starts its six L2s in turn.
export NESTVIRT_VM_TIMEOUT=${NESTVIRT_VM_TIMEOUT:-1800}
l2_timeout=${NESTVIRT_L2_TIMEOUT:-240}
nvvm_boot_cases "$out" "on|sd|on|EPYC|nestvirt=1 nvtest.l2_timeout=$l2_timeout" \
	"off|sd|off|EPYC|nestvirt=0 nvtest.l2_timeout=$l2_timeout"

booted() { # booted NAME: the boot reached "NVTEST done"
	local r=1 secs=unknown
	[ -f "$out/$1.rc" ] && read -r r secs <"$out/$1.rc"
	echo "# L1 $1: boot and L2 starts $secs s"
	[ "$r" -eq 0 ] || { sed 's/^/# /' "$out/$1.log"; return 1; }
}
check() { # check BOOT SPEC...: nvvm_check against BOOT's report
	nvvm_check "$out/$1/nvtest.txt" "${@:2}" 2>>"$out/$1.log" && return 0
	sed 's/^/# /' "$out/$1.log"
	return 1
}
get() { # get BOOT KEY
	nvvm_get "$out/$1/nvtest.txt" "$2"
}
summary() { # one line per domain: what libvirt holds, what L2 saw, how long it took
	local b=$1 d l2
	for d in $domains; do
		l2=$(get "$b" "l2_$d")
		if [ "$(get "$b" "start_$d")" = failed ]; then
			l2="start failed: $(get "$b" "error_$d" | paste -s -d ' ' - | cut -c1-160)"
		fi
		printf '# %-4s %-15s cpu: %-44s L2: %s; %s s to the marker\n' "$b" "$d" \
			"$(get "$b" "cpu_$d")" "${l2:-no marker}" "$(get "$b" "secs_$d")"
	done
}
[ -f "$out/on/nvtest.txt" ] && summary on
[ -f "$out/off/nvtest.txt" ] && summary off

# What nestvirt status --json, captured in L1 before any start, predicted per domain: the
# domains it said libvirt refuses to start ("start": "fails") are exactly the ones libvirt then
# refused, every domain of SEES_YES is predicted to see svm ("sees": "yes"), and every one of
# SEES_NO not ("sees": "no"). Mismatches go to stderr.
status_predicted() { # status_predicted JSON_FILE "SEES_YES..." "SEES_NO..." [FAILED_DOMAIN...]
	echo "# status --json before the starts: $(wc -c <"$1") bytes; refused to start: ${*:4}"
	python3 - "$@" <<'PY' 2>&1 | sed 's/^/# /' >&2
import json, sys
doc = json.load(open(sys.argv[1]))
yes, no, failed = sys.argv[2].split(), sys.argv[3].split(), set(sys.argv[4:])
doms = {d["name"]: d for d in doc["guests"]["domains"]}
bad = []
ours = set(yes) | set(no)
for n in sorted(ours - set(doms)):
    bad.append(f"{n}: not in the report")
pred = {n for n, d in doms.items() if n in ours and d["start"] == "fails"}
if pred != failed:
    bad.append(f"predicted to fail: {sorted(pred)}, refused by libvirt: {sorted(failed)}")
for n, want in [(n, "yes") for n in yes] + [(n, "no") for n in no]:
    if n in doms and doms[n]["sees"] != want:
        bad.append(f"{n}: sees {doms[n]['sees']!r}, want {want!r} ({doms[n]['reason']})")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
	[ "${PIPESTATUS[0]}" -eq 0 ]
}

# --- nestvirt=1 ---------------------------------------------------------------------------
r=0
booted on && check on nested=1 libvirtd_start=ok status_rc=0 || r=1
for d in $domains; do check on "start_$d=ok" || r=1; done
nvvm_tap "$r" "nestvirt=1: the first boot ran, libvirtd started all six domains"

r=0
check on 'cpu_l2-opteron=custom Opteron_G1 svm=require npt=require' \
	'cpu_l2-full=custom Opteron_G1 svm=require npt=require' \
	'cpu_l2-nocpu=custom qemu64 svm=require npt=require' \
	'cpu_l2-hostmodel=host-model - svm=require npt=require' \
	'cpu_l2-passthrough=host-passthrough - svm=none npt=none' \
	'cpu_l2-svm-off=custom Opteron_G2 svm=disable npt=none' || r=1
nvvm_tap "$r" "the first boot gave svm and npt to every selected domain, left the control alone"

r=0
for d in $nested_domains; do
	check on "l2_$d=vendor=AuthenticAMD svm=yes npt=yes kvm_amd=ok dev_kvm=yes" || r=1
done
nvvm_tap "$r" "every rewritten domain's L2 sees svm and npt, loads kvm_amd and gets /dev/kvm"

r=0
check on "l2_$control~svm=no" "l2_$control~kvm_amd=failed" "l2_$control~dev_kvm=no" || r=1
nvvm_tap "$r" "the control's L2 (svm disabled in its <cpu>) sees no svm and cannot load kvm_amd"

get on status_json >"$out/status-on.json"
r=0
status_predicted "$out/status-on.json" "$nested_domains" "$control" || r=1
nvvm_tap "$r" "nestvirt=1: nestvirt status predicted which L2s see svm and that all start"

# --- nestvirt=0, the same domains rewritten ---------------------------------------------------
r=0
booted off && check off nested=0 libvirtd_start=ok || r=1
for d in $domains; do
	[ "$(get off "start_$d")" = ok ] || continue
	check off "!l2_$d~svm=yes" "!l2_$d~dev_kvm=yes" || r=1
done
nvvm_tap "$r" "nestvirt=0: no L2 that starts sees svm or gets /dev/kvm"

# Which domains libvirt refuses to start without svm: a required svm with check='full' (QEMU's
# "enforce"). Measured: check='partial' compares with the L1's own CPUID, which has svm whether
# or not KVM nests, so those domains start and QEMU drops svm with a warning, as for
# check='none' (qemu64) and host-model; host-passthrough requires nothing. Point 7 proves that
# none of their L2s sees svm.
requiring="l2-full"
r=0
failed=()
for d in $domains; do
	[ "$(get off "start_$d")" = failed ] && failed+=("$d")
done
for d in $requiring; do
	check off "start_$d=failed" "error_$d~svm" || r=1
done
for d in l2-opteron l2-nocpu l2-hostmodel l2-passthrough "$control"; do check off "start_$d=ok" || r=1; done
nvvm_tap "$r" "nestvirt=0: libvirt refuses to start the domain with check='full' naming svm; the others start without it"

get off status_json >"$out/status-off.json"
r=0
status_predicted "$out/status-off.json" "" "$domains" "${failed[@]}" || r=1
nvvm_tap "$r" "nestvirt=0: nestvirt status predicted that no L2 sees svm and which domains libvirt refuses"

nvvm_finish "$out" "$t_all"
