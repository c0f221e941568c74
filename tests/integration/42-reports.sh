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

done_testing
