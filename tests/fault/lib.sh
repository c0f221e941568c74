# shellcheck shell=sh
# Shared by tests/integration/40-rewrite*.sh and 41-faults*.sh: TAP helpers and a fake host
# root with a libvirt config dir. Sourced, not run (prove runs only tests/integration/*.sh).

: "${NESTVIRT_BUILD:?NESTVIRT_BUILD must name the build directory}"
NV=$NESTVIRT_BUILD/nestvirt
# Debian's python3 (virtinst needs it): a python3 found first on PATH may be a slow wrapper.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SHIM=$NESTVIRT_BUILD/fault/faultshim.so
tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - # SKIP $*"
}

# check DESCRIPTION COMMAND...: one test, passing when COMMAND succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# A scratch directory removed at exit.
scratch() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/nestvirt-test.XXXXXX")
	trap 'rm -rf "$T"' EXIT
	trap 'exit 130' HUP INT PIPE TERM
}

# names DIR: the entries of DIR, one per line (dot files too), not recursive.
names() {
	find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n'
}

# cpuinfo ROOT intel|amd|other
cpuinfo() {
	case $2 in
	intel) v=GenuineIntel f=vmx ;;
	amd) v=AuthenticAMD f=svm ;;
	*) v=WeirdCPUVendor f= ;;
	esac
	mkdir -p "$1/proc"
	printf 'processor\t: 0\nvendor_id\t: %s\nflags\t\t: fpu %s\n\n' "$v" "$f" >"$1/proc/cpuinfo"
}

# cpu_map ROOT: libvirt's CPU map of this host, if it has one, into the fake root.
cpu_map() {
	if [ -d /usr/share/libvirt/cpu_map ]; then
		mkdir -p "$1/usr/share/libvirt"
		cp -r /usr/share/libvirt/cpu_map "$1/usr/share/libvirt/"
	fi
}

# libvirt's header comment, as it writes it in every domain file.
header() {
	cat <<EOF
<!--
WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:
  virsh edit $1
or other application using the libvirt API.
-->

EOF
}

# domain NAME TYPE ARCH CPU-XML: a libvirt-style domain file on stdout.
domain() {
	header "$1"
	cat <<EOF
<domain type='$2'>
  <name>$1</name>
  <uuid>$(printf '%s' "$1" | md5sum | sed 's/^\(........\)\(....\)\(....\)\(....\)\(............\).*/\1-\2-\3-\4-\5/')</uuid>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='$3' machine='pc-q35-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
$4  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/$1.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <!-- a comment the rewrite keeps -->
    <graphics type="vnc" port="-1" autoport="yes" passwd="s3cret"/>
  </devices>
</domain>
EOF
}

CPU_MODEL="  <cpu mode='custom' match='exact' check='partial'>
    <model fallback='allow'>Skylake-Client</model>
  </cpu>
"
CPU_PASSTHROUGH="  <cpu mode='host-passthrough' check='none' migratable='on'/>
"
CPU_DISABLED="  <cpu mode='custom' match='exact' check='partial'>
    <model fallback='allow'>Skylake-Client</model>
    <feature policy='disable' name='vmx'/>
  </cpu>
"

# make_clean_tree ROOT: domains that change (web, nocpu), are fine (db) or are skipped (tcg,
# type qemu), so that a run exits 0. Plus autostart/.
make_clean_tree() {
	d=$1/etc/libvirt/qemu
	mkdir -p "$d/autostart" "$1/run"
	cpuinfo "$1" intel
	cpu_map "$1"
	domain web kvm x86_64 "$CPU_MODEL" >"$d/web.xml"
	domain nocpu kvm x86_64 "" >"$d/nocpu.xml"
	domain db kvm x86_64 "$CPU_PASSTHROUGH" >"$d/db.xml"
	domain tcg qemu x86_64 "$CPU_MODEL" >"$d/tcg.xml"
	chmod 600 "$d"/*.xml
}

# make_tree ROOT: the clean tree plus what is skipped or refused: arm (aarch64), old (vmx
# disabled); odd (DOCTYPE), net (not a <domain>), link (symlink), fifo (FIFO); networks/.
make_tree() {
	make_clean_tree "$1"
	d=$1/etc/libvirt/qemu
	mkdir -p "$d/networks/autostart" "$1/run/libvirt/qemu" "$1/var/lib/libvirt/qemu/save"
	domain arm kvm aarch64 "" >"$d/arm.xml"
	domain old kvm x86_64 "$CPU_DISABLED" >"$d/old.xml"
	{
		echo "<!DOCTYPE domain [ <!ENTITY x 'y'> ]>"
		domain odd kvm x86_64 "$CPU_MODEL"
	} >"$d/odd.xml"
	printf "<network>\n  <name>net</name>\n</network>\n" >"$d/net.xml"
	ln -s web.xml "$d/link.xml"
	mkfifo "$d/fifo.xml"
	ln -s ../web.xml "$d/autostart/web.xml"
	printf "<network>\n  <name>default</name>\n</network>\n" >"$d/networks/default.xml"
	ln -s ../default.xml "$d/networks/autostart/default.xml"
	chmod 600 "$d"/*.xml
}

# web.xml as the rewrite must leave it: the feature after the model, in libvirt's style.
expected_web() {
	domain web kvm x86_64 "  <cpu mode='custom' match='exact' check='partial'>
    <model fallback='allow'>Skylake-Client</model>
    <feature policy='require' name='vmx'/>
  </cpu>
"
}

# sums DIR: "sha256  name" of every regular file and symlink target directly in DIR.
sums() {
	(cd "$1" && for f in * .[!.]*; do
		if [ -L "$f" ]; then
			echo "link $(readlink "$f") $f"
		elif [ -f "$f" ]; then
			sha256sum "$f"
		elif [ -e "$f" ]; then
			echo "other $f"
		fi
	done)
}

# tree_state ROOT: everything a run could touch in the config dir, recursively, incl. metadata.
tree_state() {
	(cd "$1/etc/libvirt/qemu" && find . -print | LC_ALL=C sort | while read -r f; do
		if [ -L "$f" ]; then
			echo "$f -> $(readlink "$f")"
		elif [ -f "$f" ]; then
			echo "$f $(stat -c '%a %u %g %s' "$f") $(sha256sum <"$f" | cut -c1-64)"
		else
			echo "$f $(stat -c '%F %a' "$f")"
		fi
	done)
}

# outside_cpu FILE: the file without its <cpu> element (and that element's own line).
outside_cpu() {
	perl -0777 -pe 's{^[ \t]*<cpu\b[^>]*?/>[ \t]*\n}{}m or s{^[ \t]*<cpu\b.*?</cpu>[ \t]*\n}{}ms
		or s{<cpu\b[^>]*?/>}{} or s{<cpu\b.*?</cpu>}{}s' "$1"
}

# xattrs FILE: its extended attributes, names and values, for comparison; not nestvirt's own
# record of what it wrote (user.nestvirt.written), which only its new versions carry.
xattrs() {
	"$PY" -c 'import os, sys
for n in sorted(x for x in os.listxattr(sys.argv[1]) if x != "user.nestvirt.written"):
    print(n, os.getxattr(sys.argv[1], n).hex())' "$1"
}

# metas DIR: "NAME MODE UID GID XATTRS" for each *.xml and backup in DIR, in one process
# (xattrs as above, without nestvirt's record).
metas() {
	"$PY" -c 'import os, sys
d = sys.argv[1]
for n in sorted(os.listdir(d)):
    p = os.path.join(d, n)
    if not (n.endswith(".xml") or n.endswith(".nestvirt-orig")) or os.path.islink(p):
        continue
    st = os.lstat(p)
    x = " ".join(k + "=" + os.getxattr(p, k).hex() for k in sorted(os.listxattr(p))
                 if k != "user.nestvirt.written")
    print(n, oct(st.st_mode), st.st_uid, st.st_gid, x)' "$1"
}

# hold_lock FILE: hold an fcntl write lock on FILE (as libvirtd does on its pid file) in a
# background process ($hold_pid); returns once the lock is held.
hold_lock() {
	"$PY" -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
os.ftruncate(fd, 0)
os.write(fd, b"%d\n" % os.getpid())
time.sleep(600)' "$1" &
	hold_pid=$!
	# The helper writes its pid only after it has the lock.
	i=0
	while [ $i -lt 100 ] && ! grep -qx "$hold_pid" "$1" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
}

release_lock() {
	kill "$hold_pid" 2>/dev/null
	wait "$hold_pid" 2>/dev/null
	return 0
}
