#!/bin/sh
# nestvirt status, the guests part (issue 7): per stored domain of tests/data/guests/qemu,
# whether it will see vmx/svm at its next start on fixture hosts (AMD and Intel with nesting
# on, AMD with nesting off, a CPU without the flag), which are running or saved, which another
# layer owns, and what to do. Only the "guests:" text section and the "guests" member of
# --json are read here; the rest of status has its own tests.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

plan 44
DATA=$SRCDIR/tests/data/guests/qemu
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# fixture ROOT CPUINFO MODULE NESTED: a host with the guests of tests/data/guests.
fixture() {
	host "$1" "nestvirt=1" "$2"
	mkdir -p "$1/sys/module/$3/parameters" "$1/etc/libvirt" "$1/run/libvirt/qemu" \
		"$1/var/lib/libvirt/qemu/save"
	echo live >"$1/sys/module/$3/initstate"
	echo 0 >"$1/sys/module/$3/refcnt"
	echo "$4" >"$1/sys/module/$3/parameters/nested"
	cp -r "$DATA" "$1/etc/libvirt/qemu"
}

# guests ROOT: the "guests:" section of the text report (its header and indented lines).
guests() {
	"$NESTVIRT" status --root "$1" 2>/dev/null |
		awk '/^guests:/ { g = 1; print; next } g && /^  / { print; next } { g = 0 }'
}

# line TEXT NAME: the line of domain NAME.
line() { printf '%s\n' "$1" | grep "^  $2: "; }

# jq_ ROOT EXPR: a Python expression over g, the "guests" member of status --json.
jq_() {
	"$NESTVIRT" status --root "$1" --json 2>/dev/null | "$PY" -c '
import json, sys
g = json.load(sys.stdin)["guests"]
d = {x["name"]: x for x in g["domains"]}
print(eval(sys.argv[1]))' "$2"
}

A=$TMP/amd-on
fixture "$A" amd-epyc-7302.txt kvm_amd 1
touch "$A/run/libvirt/qemu/epyc.xml" "$A/run/libvirt/qemu/passthrough.pid" \
	"$A/var/lib/libvirt/qemu/save/nocpu.save"
t=$(guests "$A")
check "AMD, nesting on: the header counts 20 domains and 5 problems" \
	eq "guests:      /etc/libvirt/qemu: 20 domains, 5 will not see svm until rewritten" \
	"$(printf '%s\n' "$t" | head -n 1)"
check "... one line per domain, one do: line per action" \
	eq "20 10" "$(printf '%s\n' "$t" | grep -c '^  [^ ]') $(printf '%s\n' "$t" | grep -c '^    do: ')"
check "... svm required: sees it" contains "$(line "$t" req-svm)" "sees svm: yes; <cpu> has svm with policy 'require' and nesting is on"
check "... host-passthrough: sees it" contains "$(line "$t" passthrough)" "sees svm: yes; host-passthrough"
check "... maximum: sees it" contains "$(line "$t" maximum)" "sees svm: yes; maximum"
check "... host-model: likely" contains "$(line "$t" hostmodel)" "sees svm: likely; host-model:"
check "... EPYC without svm: no, QEMU turns svm off" contains "$(line "$t" epyc)" \
	"sees svm: NO; custom model 'EPYC' without svm: QEMU turns svm off for its named models under KVM"
check "... ... running, and the do: line says to restart it" contains "$t" \
	"    do: nestvirt rewrite --domain epyc, then shut it down and start it"
check "... vmx required on an AMD host: svm is what counts" contains "$(line "$t" req-vmx)" "sees svm: NO; custom model"
check "... no <cpu>: qemu64" contains "$(line "$t" nocpu)" "sees svm: NO; no <cpu>: QEMU's default model qemu64 has no svm under KVM"
check "... ... the managed-save image is named with its removal" contains "$t" \
	"    do: nestvirt rewrite --domain nocpu; virsh managedsave-remove nocpu"
check "... forbid: does not start where the host offers svm" contains "$(line "$t" forbid)" "sees svm: NO, does not start;"
check "... disable: no, left alone" contains "$(line "$t" disabled)" "sees svm: NO; <cpu> turns svm off explicitly (policy 'disable')"
check "... TCG: skipped with the reason" contains "$(line "$t" tcg)" "sees svm: unknown; skipped: domain type 'qemu', not 'kvm'"
check "... aarch64: skipped with the reason" contains "$(line "$t" arm)" "skipped: arch 'aarch64' is not x86"
check "... a truncated file: unknown, the parser's reason, fix it" contains "$t" "  broken: sees svm: unknown; libvirt does not load it: not well-formed XML (line"
check "... a network definition: not a domain" contains "$(line "$t" net)" "the root element is not <domain>"
check "... nova: managed, with nova.conf's setting" contains "$t" \
	"    do: nova.conf [libvirt] cpu_mode = host-passthrough, or cpu_mode = custom with cpu_models and cpu_model_extra_flags = svm"
check "... oVirt: managed, with the engine's setting" contains "$(line "$t" ovirt-vm)" "managed by oVirt (vdsm)"
check "... KubeVirt with host-passthrough: managed, sees it, nothing to do" \
	eq "0" "$(printf '%s\n' "$t" | grep -A1 '^  default_vmi-fedora: ' | grep -c 'do:')"
check "... libosinfo metadata is no layer: a problem like any other" contains "$t" "    do: nestvirt rewrite --domain osinfo"

check "--json: the guests member is valid JSON with count 20, problems 5" eq "20 5" "$(jq_ "$A" '"%d %d" % (g["count"], g["problems"])')"
check "--json: the EPYC domain as the schema says" eq \
	"custom None no ok True False None nestvirt rewrite --domain epyc, then shut it down and start it" \
	"$(jq_ "$A" '" ".join(str(d["epyc"][k]) for k in ("cpu", "feature_policy", "sees", "start", "running", "managed_save", "managed_by", "action"))')"
check "--json: the required feature" eq "feature require yes ok" \
	"$(jq_ "$A" '" ".join(d["req-svm"][k] for k in ("cpu", "feature_policy", "sees", "start"))')"
check "--json: a pid file is running too" eq "True" "$(jq_ "$A" 'd["passthrough"]["running"]')"
check "--json: nova's domain names its owner" eq "OpenStack nova" "$(jq_ "$A" 'd["instance-0000002a"]["managed_by"]')"
check "--json: an unparseable file" eq "unparseable unknown unknown" \
	"$(jq_ "$A" '" ".join(d["broken"][k] for k in ("cpu", "sees", "start"))')"
check "--json: every domain has every field of the contract" eq "True" "$(jq_ "$A" 'all(sorted(x) == sorted(["name","file","cpu","feature_policy","sees","start","running","managed_save","managed_by","reason","action"]) for x in g["domains"])')"

O=$TMP/amd-off
fixture "$O" amd-epyc-7302.txt kvm_amd 0
# The same domain under check='full'.
sed -e "s/check='partial'/check='full'/" -e 's/req-svm/req-full/g' "$DATA/req-svm.xml" \
	>"$O/etc/libvirt/qemu/req-full.xml"
t=$(guests "$O")
# Measured with libvirt 9.0 (tests/vm/l2-tests.sh): 'partial' compares with the host CPU's flags,
# which show svm also with nesting off; only 'full' compares with what QEMU really gives.
check "AMD, nesting off: svm required under check='partial' starts without svm" contains "$(line "$t" req-svm)" \
	"sees svm: NO; <cpu> has svm with policy 'require', but nesting is off: libvirt's check='partial' compares with the host CPU, which has svm, so it starts without svm"
check "AMD, nesting off: svm required under check='full' does not start" contains "$(line "$t" req-full)" \
	"sees svm: NO, does not start; <cpu> has svm with policy 'require', but nesting is off: libvirt's check='full' refuses to start it"
check "... force under check='none' starts without svm" contains "$(line "$t" force-none)" \
	"sees svm: NO; <cpu> has svm with policy 'force', but nesting is off: with check='none' it starts without svm"
check "--json: ... start says which" eq "fails without-extension without-extension without-extension ok" \
	"$(jq_ "$O" '" ".join(d[n]["start"] for n in ("req-full", "req-svm", "force-none", "passthrough", "forbid"))')"

I=$TMP/intel
fixture "$I" intel-xeon-gold-6230.txt kvm_intel Y
t=$(guests "$I")
check "Intel, nesting on: vmx required sees it" contains "$(line "$t" req-vmx)" "sees vmx: yes;"
check "... a named model without vmx: no Intel model carries vmx" contains "$(line "$t" osinfo)" \
	"custom model 'Haswell-noTSX' without vmx: no Intel model carries vmx"
check "... the svm-only domain does not see vmx" contains "$(line "$t" req-svm)" "sees vmx: NO;"

N=$TMP/noflag
fixture "$N" intel-xeon-vm-novmx.txt kvm_intel Y
t=$(guests "$N")
check "a CPU without vmx: host-passthrough does not see it" contains "$(line "$t" passthrough)" "the host CPU shows no vmx/svm"

E=$TMP/edge
fixture "$E" amd-epyc-7302.txt kvm_amd 1
Q=$E/etc/libvirt/qemu
mkfifo "$Q/fifo.xml"
ln -s epyc.xml "$Q/link.xml"
printf '<domain type="kvm"><name>caf\351</name></domain>' >"$Q/latin1.xml"
cp "$Q/epyc.xml" "$Q/$(printf 'caf\351')".xml
head -c 2000000 /dev/zero | tr '\0' ' ' >"$Q/huge.xml"
# shellcheck disable=SC2016 # expanded by the inner shell
check "a FIFO, a symlink, Latin-1 bytes, a 2 MB file: status returns within 10 s" \
	sh -c 'timeout 10 "$1" status --root "$2" --json >"$3" 2>/dev/null; [ $? -le 1 ]' sh \
	"$NESTVIRT" "$E" "$TMP/edge.json"
check "... and its JSON is valid" "$PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$TMP/edge.json"
t=$(guests "$E")
check "... the FIFO is reported, not read" contains "$(line "$t" fifo)" "not read: is a FIFO"
check "... the symlink is reported, not followed" contains "$(line "$t" link)" "not read: is a symbolic link"
check "... the 2 MB file is reported as too large" contains "$(line "$t" huge)" "not read:"
check "--json: a Latin-1 file name is one U+FFFD" eq "True" "$(jq_ "$E" '"caf\ufffd" in d')"

X=$TMP/nodir
fixture "$X" amd-epyc-7302.txt kvm_amd 1
rm -rf "$X/etc/libvirt/qemu"
check "no /etc/libvirt/qemu: said in the text" contains "$(guests "$X")" "/etc/libvirt/qemu: does not exist"
check "... and as the error of the JSON member" eq "does not exist (libvirt's QEMU driver is not set up) 0" \
	"$(jq_ "$X" '"%s %d" % (g["error"], g["count"])')"

finish
