#!/bin/sh
# nestvirt rewrite on a fake host root: what it changes, what it leaves alone, what it says.
# sh -c '…' sh ARGS: the single quotes are meant, the arguments come in as $1, $2.
# shellcheck disable=SC2016
set -u
# shellcheck source=tests/fault/lib.sh
. "$(dirname "$0")/../fault/lib.sh"
scratch

R=$T/root
Q=$R/etc/libvirt/qemu
make_tree "$R"
cp -a "$R" "$T/orig"
O=$T/orig/etc/libvirt/qemu

# --- usage and refusals: exit 2, nothing touched ---------------------------------------------
"$NV" rewrite --root "$R" --bogus >/dev/null 2>"$T/err"
check "an unknown option is a usage error (exit 2)" test $? -eq 2
check "the usage error names the option" grep -q -- "--bogus" "$T/err"
"$NV" rewrite --root "$R" --mode sideways >/dev/null 2>&1
check "an unknown --mode is a usage error (exit 2)" test $? -eq 2
"$NV" rewrite --root "$R" --vendor via >/dev/null 2>&1
check "an unknown --vendor is a usage error (exit 2)" test $? -eq 2
"$NV" rewrite --root "$R" --mode feature --cpu Skylake-Client >/dev/null 2>&1
check "--mode with --cpu is a usage error (exit 2)" test $? -eq 2
"$NV" rewrite --root "$R" extra >/dev/null 2>&1
check "a stray argument is a usage error (exit 2)" test $? -eq 2
"$NV" rewrite --help >"$T/help"
check "--help exits 0" test $? -eq 0
check "--help names every option" sh -c \
	'for o in --root --config-dir --mode --cpu --vendor --domain --exclude \
	--dry-run --override --force --no-backup --json; do grep -q -- "$o" "$1" || exit 1; done' \
	sh "$T/help"
cpuinfo "$T/weird" other
mkdir -p "$T/weird/etc/libvirt/qemu"
"$NV" rewrite --root "$T/weird" >/dev/null 2>"$T/err"
check "an unknown CPU vendor without --vendor refuses (exit 2)" test $? -eq 2
check "... and says to use --vendor" grep -q -- "--vendor" "$T/err"
"$NV" rewrite --root "$R" --config-dir "$T/nonexistent" >/dev/null 2>"$T/err"
check "a missing --config-dir is an error (exit 2)" test $? -eq 2
mkdir -p "$T/empty"
cpuinfo "$T/empty" intel
"$NV" rewrite --root "$T/empty" >"$T/out" 2>&1
check "a root without /etc/libvirt/qemu has nothing to do (exit 0)" test $? -eq 0
check "... and says so" grep -q "does not exist" "$T/out"
check "usage errors and refusals changed nothing" test "$(tree_state "$R")" = "$(tree_state "$T/orig")"

# --- daemon and run lock ------------------------------------------------------------------------
for daemon in libvirtd virtqemud; do
	hold_lock "$R/run/$daemon.pid"
	"$NV" rewrite --root "$R" >"$T/out" 2>"$T/err"
	check "refuses while $daemon holds its pid file lock (exit 2)" test $? -eq 2
	check "... naming $daemon and its pid" grep -q "$daemon is running (pid $hold_pid" "$T/err"
	"$NV" rewrite --root "$R" --json >"$T/out" 2>/dev/null
	check "... --json says why in a JSON document" "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); assert d["exit_status"] == 2 and "running" in d["refused"]' "$T/out"
	release_lock
done
check "the refusals changed nothing" test "$(tree_state "$R")" = "$(tree_state "$T/orig")"
echo 12345 >"$R/run/libvirtd.pid"
"$NV" rewrite --root "$R" --dry-run >/dev/null 2>&1
check "a pid file nobody locks (stale) is a stopped daemon (dry run exit 1, not 2)" test $? -eq 1
rm "$R/run/libvirtd.pid"
hold_lock "$R/run/libvirtd.pid"
"$NV" rewrite --root "$R" --dry-run >/dev/null 2>"$T/err"
check "--dry-run goes on while the daemon runs (exit 1, not 2)" test $? -eq 1
check "... with a warning" grep -q "libvirtd is running" "$T/err"
release_lock
mkdir -p "$R/run/nestvirt"
hold_lock "$R/run/nestvirt/rewrite.lock"
"$NV" rewrite --root "$R" >/dev/null 2>"$T/err"
check "refuses while another run holds the lock (exit 2)" test $? -eq 2
check "... saying so" grep -q "another nestvirt rewrite or rollback is running" "$T/err"
release_lock
rm -f "$R/run/libvirtd.pid" "$R/run/nestvirt/rewrite.lock"

# --- dry run --------------------------------------------------------------------------------
"$NV" rewrite --root "$R" --dry-run >"$T/dry" 2>"$T/err"
check "a dry run with refused files exits 1" test $? -eq 1
check "a dry run changes nothing" test "$(tree_state "$R")" = "$(tree_state "$T/orig")"
check "a dry run leaves no lock file behind" test ! -e "$R/run/nestvirt/rewrite.lock"
check "the dry run says web.xml would change" grep -q "^$Q/web.xml: would change: " "$T/dry"
check "the dry run prints a unified diff for web.xml" grep -q "^+++ b/web.xml$" "$T/dry"
cp -a "$T/orig" "$T/patched"
(cd "$T/patched/etc/libvirt/qemu" && patch -s -p1 <"$T/dry") >/dev/null 2>&1
check "the dry-run diff applies with patch -p1" test $? -eq 0
expected_web >"$T/web.expected"
check "the patched web.xml is the expected rewrite" cmp -s "$T/web.expected" "$T/patched/etc/libvirt/qemu/web.xml"

# --- the run ----------------------------------------------------------------------------------
chown 65534:65534 "$Q/web.xml"
chmod 640 "$Q/web.xml"
"$PY" -c 'import os, struct, sys
f = sys.argv[1]
os.setxattr(f, "user.origin", b"test-suite")
os.setxattr(f, "security.selinux", b"system_u:object_r:virt_etc_t:s0\0")
e = lambda tag, perm, id=0xffffffff: struct.pack("<HHI", tag, perm, id)
acl = struct.pack("<I", 2) + e(1, 6) + e(2, 4, 1000) + e(4, 4) + e(0x10, 4) + e(0x20, 0)
os.setxattr(f, "system.posix_acl_access", acl)' "$Q/web.xml" 2>"$T/err"
have_xattrs=$?
cp -a "$Q/web.xml" "$O/web.xml"
xattrs "$Q/web.xml" >"$T/web.xattrs" 2>/dev/null
stat -c '%a %u %g' "$Q/web.xml" >"$T/web.meta"

"$NV" rewrite --root "$R" >"$T/out" 2>"$T/err"
check "a run with refused files exits 1" test $? -eq 1
diag "$(cat "$T/out")"
check "web.xml is the expected rewrite, byte for byte" cmp -s "$T/web.expected" "$Q/web.xml"
check "web.xml: reported as changed, with its backup" \
	grep -q "^$Q/web.xml: changed: .*(original kept as web.xml.nestvirt-orig)" "$T/out"
check "web.xml keeps mode, owner and group" test "$(stat -c '%a %u %g' "$Q/web.xml")" = "$(cat "$T/web.meta")"
if [ $have_xattrs -eq 0 ]; then
	check "web.xml keeps SELinux label, ACL and user xattrs" test "$(xattrs "$Q/web.xml")" = "$(cat "$T/web.xattrs")"
else
	skip "this filesystem does not take security/ACL xattrs: $(cat "$T/err")"
fi
check "the backup is the original, byte for byte" cmp -s "$Q/web.xml.nestvirt-orig" "$O/web.xml"
check "the backup keeps the original's mode and owner" \
	test "$(stat -c '%a %u %g' "$Q/web.xml.nestvirt-orig")" = "$(cat "$T/web.meta")"
check "nocpu.xml is changed" grep -q "^$Q/nocpu.xml: changed: " "$T/out"
check "nocpu.xml now has exactly one vmx feature" test "$(grep -c "name='vmx'" "$Q/nocpu.xml")" -eq 1
outside_cpu "$Q/nocpu.xml" >"$T/nocpu.outside"
check "nocpu.xml: every byte outside <cpu> kept" cmp -s "$T/nocpu.outside" "$O/nocpu.xml"
check "db.xml (host-passthrough) is already fine" grep -q "^$Q/db.xml: already fine: " "$T/out"
check "tcg.xml (type qemu) is skipped" grep -q "^$Q/tcg.xml: skipped: " "$T/out"
check "arm.xml (aarch64) is skipped" grep -q "^$Q/arm.xml: skipped: " "$T/out"
check "old.xml (vmx disabled) is skipped" grep -q "^$Q/old.xml: skipped: " "$T/out"
check "odd.xml (DOCTYPE) failed, left unchanged" grep -q "^$Q/odd.xml: failed: .*DOCTYPE.*left unchanged" "$T/out"
check "net.xml (not a domain) failed, left unchanged" grep -q "^$Q/net.xml: failed: .*left unchanged" "$T/out"
check "link.xml (symlink) failed: is a symbolic link" grep -q "^$Q/link.xml: failed: is a symbolic link, left unchanged" "$T/out"
check "fifo.xml (FIFO) failed: is a FIFO" grep -q "^$Q/fifo.xml: failed: is a FIFO, left unchanged" "$T/out"
check "the summary line counts every file" grep -q "^$Q: 10 files: 2 changed, 1 already fine, 3 skipped, 4 failed$" "$T/out"
for f in db tcg arm old odd net; do
	check "$f.xml is byte-identical" cmp -s "$Q/$f.xml" "$O/$f.xml"
done
check "link.xml is still the same symlink" test "$(readlink "$Q/link.xml")" = web.xml
check "fifo.xml is still a FIFO" test -p "$Q/fifo.xml"
check "autostart/ is untouched" test "$(cd "$Q" && find autostart -printf '%y %m %p %l\n' | sort)" = \
	"$(cd "$O" && find autostart -printf '%y %m %p %l\n' | sort)"
check "autostart/web.xml still links to ../web.xml" test "$(readlink "$Q/autostart/web.xml")" = ../web.xml
check "networks/ is untouched" diff -r "$Q/networks" "$O/networks"
check "no other name ending in .xml appeared" test "$(names "$Q" | grep -c '\.xml$')" -eq 10
check "no temporary file is left" test -z "$(names "$Q" | grep '^\.')"

# --- idempotence ------------------------------------------------------------------------------
tree_state "$R" >"$T/after1"
"$NV" rewrite --root "$R" --json >"$T/json2" 2>/dev/null
check "a second run exits 1 (the same refused files)" test $? -eq 1
check "a second run changes no byte" test "$(tree_state "$R")" = "$(cat "$T/after1")"
check "a second run reports 0 changed in JSON" "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); s = d["summary"]
assert s["changed"] == 0 and s["unchanged"] == 3 and s["failed"] == 4, s' "$T/json2"

# --- JSON -------------------------------------------------------------------------------------
rm -rf "$T/j" && cp -a "$T/orig" "$T/j"
"$NV" rewrite --root "$T/j" --json >"$T/json" 2>/dev/null
check "--json exits 1 like the human run" test $? -eq 1
check "--json is one JSON document with every file and the counts" "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = {f["domain"]: f["result"] for f in d["files"]}
assert r == {"web": "changed", "nocpu": "changed", "db": "unchanged", "tcg": "skipped",
             "arm": "skipped", "old": "skipped", "odd": "failed", "net": "failed",
             "link": "failed", "fifo": "failed"}, r
assert d["summary"] == {"files": 10, "changed": 2, "unchanged": 1, "skipped": 3, "failed": 4}
assert d["exit_status"] == 1 and d["vendor_feature"] == "vmx" and d["mode"] == "feature"
w = [f for f in d["files"] if f["domain"] == "web"][0]
assert w["backup"] == "web.xml.nestvirt-orig" and w["reason"], w' "$T/json"
rm -rf "$T/j" && cp -a "$T/orig" "$T/j"
"$NV" rewrite --root "$T/j" --json --dry-run >"$T/json" 2>/dev/null
check "--json --dry-run carries each diff as a string" "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
w = [f for f in d["files"] if f["domain"] == "web"][0]
assert d["dry_run"] is True and w["diff"].startswith("--- a/web.xml\n+++ b/web.xml\n@@"), w' "$T/json"
q="$(printf 'we"i\\rd\001')"
rm -rf "$T/j" && make_clean_tree "$T/j" && domain "$q" kvm x86_64 "$CPU_MODEL" >"$T/j/etc/libvirt/qemu/$q.xml"
"$NV" rewrite --root "$T/j" --json >"$T/json" 2>/dev/null
check "--json escapes quotes, backslashes and control characters in names" "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert any(f["domain"] == "we\"i\\rd\x01" for f in d["files"]), d' "$T/json"

# --- selection --------------------------------------------------------------------------------
rm -rf "$T/s" && make_clean_tree "$T/s" && cp -a "$T/s" "$T/s0"
"$NV" rewrite --root "$T/s" --domain 'w*' --domain 'db' --exclude 'we?' >"$T/out" 2>&1
check "a run over selected domains only exits 0" test $? -eq 0
check "--exclude wins over --domain" grep -q "web.xml: skipped: not selected by --domain/--exclude" "$T/out"
check "a domain no --domain glob matches is skipped" grep -q "nocpu.xml: skipped: not selected" "$T/out"
check "unselected files are byte-identical" sh -c 'cmp -s "$1/web.xml" "$2/web.xml" && cmp -s "$1/nocpu.xml" "$2/nocpu.xml"' \
	sh "$T/s/etc/libvirt/qemu" "$T/s0/etc/libvirt/qemu"
check "a selected domain is processed" grep -q "db.xml: already fine" "$T/out"

# --- clean tree: exit 0, warnings, no backup, AMD -----------------------------------------
rm -rf "$T/c" && make_clean_tree "$T/c"
mkdir -p "$T/c/run/libvirt/qemu" "$T/c/var/lib/libvirt/qemu/save"
: >"$T/c/run/libvirt/qemu/web.xml"
: >"$T/c/var/lib/libvirt/qemu/save/web.save"
touch "$T/c/etc/libvirt/qemu/.web.xml.0a1b2c" "$T/c/etc/libvirt/qemu/.web.xml.notes"
"$NV" rewrite --root "$T/c" >"$T/out" 2>&1
check "a tree where every domain can be done exits 0" test $? -eq 0
check "a running domain is warned about" grep -q "web.xml: warning: the domain is running" "$T/out"
check "a managed-save image is warned about" grep -q "web.xml: warning: the domain has a managed-save image" "$T/out"
check "a leftover temporary file of an interrupted run is removed" test ! -e "$T/c/etc/libvirt/qemu/.web.xml.0a1b2c"
check "... and reported" grep -q "\.web\.xml\.0a1b2c: removed" "$T/out"
check "a dot file that is not ours is kept" test -e "$T/c/etc/libvirt/qemu/.web.xml.notes"
rm -rf "$T/c" && make_clean_tree "$T/c"
"$NV" rewrite --root "$T/c" --no-backup >/dev/null 2>&1
check "--no-backup: exit 0" test $? -eq 0
check "--no-backup: no backup file" test -z "$(names "$T/c/etc/libvirt/qemu" | grep nestvirt-orig)"
rm -rf "$T/c" && make_clean_tree "$T/c" && cpuinfo "$T/c" amd
"$NV" rewrite --root "$T/c" >/dev/null 2>&1
check "an AMD host gets svm, not vmx" sh -c \
	'grep -q "<feature policy=.require. name=.svm./>" "$1" && ! grep -q vmx "$1"' sh "$T/c/etc/libvirt/qemu/web.xml"
rm -rf "$T/c" && make_clean_tree "$T/c" && cpuinfo "$T/c" amd
"$NV" rewrite --root "$T/c" --vendor intel >/dev/null 2>&1
check "--vendor intel overrides an AMD cpuinfo" grep -q "name='vmx'" "$T/c/etc/libvirt/qemu/web.xml"
rm -rf "$T/c" && make_clean_tree "$T/c"
"$NV" rewrite --config-dir "$T/c/etc/libvirt/qemu" --root "$T/c" >/dev/null 2>&1
check "--config-dir names the directory directly" grep -q "name='vmx'" "$T/c/etc/libvirt/qemu/web.xml"

# --- files that are not safe to read -----------------------------------------------------------
rm -rf "$T/u" && make_clean_tree "$T/u"
head -c 1100000 /dev/zero | tr '\0' ' ' >>"$T/u/etc/libvirt/qemu/nocpu.xml"
cp "$T/u/etc/libvirt/qemu/nocpu.xml" "$T/nocpu.big"
NESTVIRT_FAULT_DENY=db.xml LD_PRELOAD=$SHIM "$NV" rewrite --root "$T/u" >"$T/out" 2>&1
check "unreadable and oversized files make the run exit 1" test $? -eq 1
check "an unreadable file is reported with the reason" grep -q "db.xml: failed: cannot be read: Permission denied, left unchanged" "$T/out"
check "an oversized file is reported" grep -q "nocpu.xml: failed: is larger than the 1024 KiB cap" "$T/out"
check "an oversized file is left unchanged" cmp -s "$T/u/etc/libvirt/qemu/nocpu.xml" "$T/nocpu.big"
check "the other files are still processed" grep -q "web.xml: changed" "$T/out"

# --- other modes --------------------------------------------------------------------------------
rm -rf "$T/m" && make_clean_tree "$T/m"
"$NV" rewrite --root "$T/m" --mode disable --domain web >/dev/null 2>&1
check "--mode disable writes policy='disable' for vmx" grep -q "<feature policy='disable' name='vmx'/>" "$T/m/etc/libvirt/qemu/web.xml"
"$NV" rewrite --root "$T/m" --domain web >"$T/out" 2>&1
check "a disabled vmx is skipped afterwards" grep -q "web.xml: skipped" "$T/out"
"$NV" rewrite --root "$T/m" --domain web --override >/dev/null 2>&1
check "--override turns a disabled vmx into require" grep -q "<feature policy='require' name='vmx'/>" "$T/m/etc/libvirt/qemu/web.xml"
check "--override does not duplicate the feature" test "$(grep -c "name='vmx'" "$T/m/etc/libvirt/qemu/web.xml")" -eq 1
"$NV" rewrite --root "$T/m" --mode host-passthrough --domain web >/dev/null 2>&1
check "--mode host-passthrough switches the mode" grep -q "<cpu mode='host-passthrough'" "$T/m/etc/libvirt/qemu/web.xml"
check "... and drops model and features" sh -c '! grep -q "<model\|<feature policy" "$1"' sh "$T/m/etc/libvirt/qemu/web.xml"
"$NV" rewrite --root "$T/m" --mode host-model --domain web >/dev/null 2>&1
check "--mode host-model switches the mode" grep -q "<cpu mode='host-model'" "$T/m/etc/libvirt/qemu/web.xml"
rm -rf "$T/m" && make_clean_tree "$T/m"
"$NV" rewrite --root "$T/m" --cpu 'Haswell-noTSX,+vmx,-hle' --domain web >"$T/out" 2>&1
check "--cpu SPEC is applied (exit 0)" test $? -eq 0
check "--cpu SPEC: model and features as virt-xml writes them" sh -c \
	'grep -q ">Haswell-noTSX</model>" "$1" && grep -q "policy=.force. name=.vmx." "$1" && grep -q "policy=.disable. name=.hle." "$1"' \
	sh "$T/m/etc/libvirt/qemu/web.xml"
rm -rf "$T/m" && make_clean_tree "$T/m"
"$NV" rewrite --root "$T/m" --cpu 'Skylake-Clinet' --domain web >"$T/out" 2>&1
check "an unknown model name in --cpu fails" test $? -ne 0
check "... and names close matches" grep -q "Skylake-Client" "$T/out"
check "... leaving the file unchanged" sh -c '! grep -q Clinet "$1"' sh "$T/m/etc/libvirt/qemu/web.xml"

# --- rollback -----------------------------------------------------------------------------------
"$NV" rollback --root "$R" >"$T/out" 2>&1
check "rollback exits 0" test $? -eq 0
diag "$(cat "$T/out")"
check "rollback reports each restored file" grep -q "^$Q/web.xml: restored" "$T/out"
for f in web nocpu db tcg arm old odd net; do
	check "after rollback $f.xml is byte-identical to the original" cmp -s "$Q/$f.xml" "$O/$f.xml"
done
check "after rollback web.xml has its original mode and owner" \
	test "$(stat -c '%a %u %g' "$Q/web.xml")" = "$(cat "$T/web.meta")"
if [ $have_xattrs -eq 0 ]; then
	check "after rollback web.xml has its original xattrs" test "$(xattrs "$Q/web.xml")" = "$(cat "$T/web.xattrs")"
else
	skip "no security/ACL xattrs on this filesystem"
fi
check "rollback removes the backups" test -z "$(names "$Q" | grep nestvirt-orig)"
check "the tree is as it was before the rewrite" test "$(tree_state "$R")" = "$(tree_state "$T/orig")"
"$NV" rollback --root "$R" >"$T/out" 2>&1
check "a second rollback exits 0" test $? -eq 0
check "... saying there are no backups" grep -q "no backups" "$T/out"

rm -rf "$T/b" && make_clean_tree "$T/b" && cp -a "$T/b" "$T/b0"
"$NV" rewrite --root "$T/b" >/dev/null 2>&1
"$NV" rollback --root "$T/b" --domain nocpu --json >"$T/json" 2>&1
check "rollback --domain restores only the selected domains" sh -c \
	'cmp -s "$1/nocpu.xml" "$2/nocpu.xml" && ! cmp -s "$1/web.xml" "$2/web.xml" && test -e "$1/web.xml.nestvirt-orig"' \
	sh "$T/b/etc/libvirt/qemu" "$T/b0/etc/libvirt/qemu"
check "rollback --json reports restored and skipped" "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); r = {f["domain"]: f["result"] for f in d["files"]}
assert r == {"nocpu": "restored", "web": "skipped"}, r' "$T/json"
"$NV" rewrite --root "$T/b" --domain nocpu --mode disable >/dev/null 2>&1
"$NV" rewrite --root "$T/b" --domain nocpu --override >/dev/null 2>&1
"$NV" rollback --root "$T/b" >/dev/null 2>&1
check "the first backup wins: two rewrites, one rollback, the original is back" \
	cmp -s "$T/b/etc/libvirt/qemu/nocpu.xml" "$T/b0/etc/libvirt/qemu/nocpu.xml"
"$NV" rewrite --root "$T/b" --domain web >/dev/null 2>&1
rm "$T/b/etc/libvirt/qemu/web.xml"
"$NV" rollback --root "$T/b" >"$T/out" 2>&1
check "rollback of an undefined domain exits 0" test $? -eq 0
check "rollback does not bring back an undefined domain, keeps its backup" sh -c \
	'test ! -e "$1/web.xml" && test -e "$1/web.xml.nestvirt-orig"' sh "$T/b/etc/libvirt/qemu"
hold_lock "$T/b/run/libvirtd.pid"
"$NV" rollback --root "$T/b" >/dev/null 2>&1
check "rollback refuses while libvirtd runs (exit 2)" test $? -eq 2
release_lock

# --- cpu-models -------------------------------------------------------------------------------
if [ -r /usr/share/libvirt/cpu_map/index.xml ] && command -v virsh >/dev/null; then
	"$NV" cpu-models x86_64 >"$T/ours" 2>&1
	check "cpu-models x86_64 exits 0" test $? -eq 0
	virsh -c test:///default cpu-models x86_64 | sed '/^$/d' >"$T/virsh"
	check "cpu-models x86_64 lists what virsh cpu-models x86_64 lists" cmp -s "$T/ours" "$T/virsh"
	"$NV" cpu-models --root / x86_64 >/dev/null 2>&1
	check "cpu-models --root / works" test $? -eq 0
else
	skip "libvirt's CPU map or virsh is not installed"
fi
"$NV" cpu-models --root "$T/empty" x86_64 >/dev/null 2>&1
check "cpu-models without a CPU map fails (exit 1)" test $? -eq 1

done_testing
