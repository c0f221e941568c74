#!/bin/sh
# What nestvirt says must be true and whole: output that cannot be written fails the command,
# refusals under --json are JSON, odd file names cannot forge report lines.
# shellcheck disable=SC2016
set -u
# shellcheck source=tests/fault/lib.sh
. "$(dirname "$0")/../fault/lib.sh"
scratch

R=$T/root
Q=$R/etc/libvirt/qemu
make_clean_tree "$R"

# --- output that cannot be written ----------------------------------------------------------------
"$NV" rewrite --root "$R" --dry-run --json >/dev/full 2>"$T/err"
check "rewrite --json >/dev/full exits non-zero" test $? -ne 0
check "... saying why" grep -q "write error on standard output" "$T/err"
"$NV" rewrite --root "$R" --dry-run >/dev/full 2>/dev/null
check "rewrite (human report) >/dev/full exits non-zero" test $? -ne 0
"$NV" cpu-models --root / x86_64 >/dev/full 2>/dev/null
st=$?
if [ -r /usr/share/libvirt/cpu_map/index.xml ]; then
	check "cpu-models >/dev/full exits non-zero" test $st -ne 0
else
	skip "libvirt's CPU map is not installed"
fi
"$NV" rollback --root "$R" --json >/dev/full 2>/dev/null
check "rollback --json >/dev/full exits non-zero" test $? -ne 0
"$NV" status --help >/dev/full 2>/dev/null
check "status --help >/dev/full exits non-zero" test $? -ne 0
"$NV" --help >/dev/full 2>/dev/null
check "nestvirt --help >/dev/full exits non-zero" test $? -ne 0
"$NV" cpu-models --help >/dev/null
check "... while the same to /dev/null exits 0" test $? -eq 0

# --- refusals under --json are JSON documents ------------------------------------------------------
# refused_json FILE: FILE is one JSON document refusing with exit status 2.
refused_json() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); assert d["exit_status"] == 2 and d["refused"]' "$1" 2>/dev/null
}
cpuinfo "$T/weird" other
mkdir -p "$T/weird/etc/libvirt/qemu"
"$NV" rewrite --root "$T/weird" --json >"$T/j" 2>/dev/null
check "--json: an unknown CPU vendor (exit $?) prints its JSON refusal" refused_json "$T/j"
"$NV" rewrite --root "$R" --json --vendor via >"$T/j" 2>/dev/null
check "--json: an unknown --vendor prints its JSON refusal" refused_json "$T/j"
"$NV" rewrite --root "$R" --json --mode sideways >"$T/j" 2>/dev/null
check "--json: an unknown --mode prints its JSON refusal" refused_json "$T/j"
"$NV" rewrite --root "$R" --json --bogus >"$T/j" 2>/dev/null
check "--json: a usage error after --json prints its JSON refusal" refused_json "$T/j"
"$NV" rewrite --root "$R" --json --config-dir "$T/nonexistent" >"$T/j" 2>/dev/null
check "--json: a missing --config-dir prints its JSON refusal" refused_json "$T/j"
ln -s "$Q" "$T/qlink"
cp -a "$R" "$T/before"
"$NV" rewrite --root "$R" --json --config-dir "$T/qlink" >"$T/j" 2>/dev/null
check "--json: a symlinked --config-dir is refused with its JSON refusal" refused_json "$T/j"
check "... and nothing is changed through it" \
	test "$(tree_state "$R")" = "$(tree_state "$T/before")"
if [ -r "$R/usr/share/libvirt/cpu_map/index.xml" ]; then
	"$NV" rewrite --root "$R" --json --cpu NoSuchModel >"$T/j" 2>/dev/null
	check "--json: an unknown CPU model prints its JSON refusal" refused_json "$T/j"
else
	skip "libvirt's CPU map is not installed"
fi

# --- what is not a regular file is never opened ----------------------------------------------
# The shim makes opening the name fail: a report that says "Permission denied" opened it.
mknod "$Q/dev.xml" c 1 3
mkfifo "$Q/fifo.xml"
NESTVIRT_FAULT_DENY=dev.xml LD_PRELOAD=$SHIM "$NV" rewrite --root "$R" --dry-run >"$T/out" 2>&1
check "a device node named *.xml is reported without being opened" \
	grep -q "dev.xml: failed: is a device node, left unchanged" "$T/out"
NESTVIRT_FAULT_DENY=fifo.xml LD_PRELOAD=$SHIM "$NV" rewrite --root "$R" --dry-run >"$T/out" 2>&1
check "a FIFO named *.xml is reported without being opened" \
	grep -q "fifo.xml: failed: is a FIFO, left unchanged" "$T/out"
rm "$Q/dev.xml" "$Q/fifo.xml"

# --- file names that could forge lines or not fit -------------------------------------------------
N=$T/names
NQ=$N/etc/libvirt/qemu
make_clean_tree "$N"
rm "$NQ"/*.xml
nl='
'
evil="x${nl}forged: changed"
domain web kvm x86_64 "$CPU_MODEL" >"$NQ/$evil.xml"
long=$(printf '%0245d' 0)
domain long kvm x86_64 "$CPU_MODEL" >"$NQ/$long.xml"
cp -a "$N" "$T/names0"
"$NV" rewrite --root "$N" --dry-run >"$T/dry" 2>&1
check "a newline in a file name cannot forge a report line (the name is escaped)" \
	grep -q '/x\\nforged: changed.xml: would change' "$T/dry"
check "... no line of the report starts with the forged text" \
	test -z "$(grep "^forged" "$T/dry")"
check "a name too long for its backup: the dry run says it would fail" \
	grep -q "$long.xml: failed: the name is too long for its backup" "$T/dry"
"$NV" rewrite --root "$N" >"$T/real" 2>&1
check "... and so does the real run (exit 1)" test $? -eq 1
check "the real run's report is one line per file and the summary (3)" \
	test "$(wc -l <"$T/real")" -eq 3
check "... with the same reason" grep -q "$long.xml: failed: the name is too long for its backup" "$T/real"
check "... leaving the file unchanged" cmp -s "$NQ/$long.xml" "$T/names0/etc/libvirt/qemu/$long.xml"
sed -n '/^--- /,$p' "$T/dry" | sed '/: [0-9]* files\{0,1\}: /d' >"$T/patch"
if command -v patch >/dev/null; then
	(cd "$T/names0/etc/libvirt/qemu" && patch -s -p1 <"$T/patch") >"$T/perr" 2>&1
	check "the dry run's diff of a file with a newline in its name applies with patch -p1" \
		cmp -s "$T/names0/etc/libvirt/qemu/$evil.xml" "$NQ/$evil.xml"
else
	skip "patch is not installed"
fi

done_testing
