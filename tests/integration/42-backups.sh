#!/bin/sh
# Backups and rollback never put the wrong file back: an existing NAME.xml.nestvirt-orig is
# trusted only if it is the original of this domain as nestvirt left it; rollback restores
# only over a file that is still exactly what nestvirt wrote.
# shellcheck disable=SC2016
set -u
# shellcheck source=tests/fault/lib.sh
. "$(dirname "$0")/../fault/lib.sh"
scratch

# libvirt_save FILE SED-EXPR: save an edited FILE the way libvirt does (FILE.new + rename).
libvirt_save() {
	sed "$2" "$1" >"$1.new" && mv "$1.new" "$1"
}
ADD_DISK='s#</devices>#  <disk type="file" device="disk"><source file="/var/lib/libvirt/images/added.qcow2"/><target dev="vdb" bus="virtio"/></disk>\n  </devices>#'

# --- an existing backup name that is not this domain's original --------------------------------
R=$T/a
Q=$R/etc/libvirt/qemu
make_clean_tree "$R"
# An earlier domain "web", undefined and re-defined since: another uuid, another disk.
sed -e 's#<uuid>.*</uuid>#<uuid>11111111-2222-3333-4444-555555555555</uuid>#' \
	-e 's#web.qcow2#old-web.qcow2#' "$Q/web.xml" >"$Q/web.xml.nestvirt-orig"
cp "$Q/web.xml" "$T/web.before"
cp "$Q/web.xml.nestvirt-orig" "$T/webbak.before"
mkdir "$Q/nocpu.xml.nestvirt-orig"
cp "$Q/nocpu.xml" "$T/nocpu.before"
"$NV" rewrite --root "$R" >"$T/out" 2>&1
check "a backup name already taken makes the run exit 1" test $? -eq 1
check "a backup of another domain (other uuid) fails the file, naming the reason" \
	grep -q "web.xml: failed: web.xml.nestvirt-orig holds another domain" "$T/out"
check "... the file is left unchanged" cmp -s "$Q/web.xml" "$T/web.before"
check "... the old backup is left unchanged" cmp -s "$Q/web.xml.nestvirt-orig" "$T/webbak.before"
check "a directory as backup name fails the file" \
	grep -q "nocpu.xml: failed: nocpu.xml.nestvirt-orig exists and is not a regular file" "$T/out"
check "... the file is left unchanged" cmp -s "$Q/nocpu.xml" "$T/nocpu.before"
"$NV" rollback --root "$R" >"$T/out" 2>&1
check "rollback does not put another domain's backup over the file (exit 1)" test $? -eq 1
check "... the file is left unchanged" cmp -s "$Q/web.xml" "$T/web.before"

# --- rollback after later edits -------------------------------------------------------------------
R=$T/b
Q=$R/etc/libvirt/qemu
make_clean_tree "$R"
cp "$Q/web.xml" "$T/web.orig"
"$NV" rewrite --root "$R" >/dev/null 2>&1
check "the rewrite exits 0" test $? -eq 0
libvirt_save "$Q/web.xml" "$ADD_DISK"
cp "$Q/web.xml" "$T/web.edited"
"$NV" rollback --root "$R" >"$T/out" 2>&1
check "rollback over a file changed since the rewrite exits 1" test $? -eq 1
check "... naming the file and the reason" \
	grep -q "web.xml: failed: web.xml is not what nestvirt wrote" "$T/out"
check "... the later edit (the added disk) is kept" cmp -s "$Q/web.xml" "$T/web.edited"
check "... the backup is kept" cmp -s "$Q/web.xml.nestvirt-orig" "$T/web.orig"
check "... files still as nestvirt wrote them are restored" \
	grep -q "nocpu.xml: restored" "$T/out"
"$NV" rewrite --root "$R" --mode host-passthrough --domain web >"$T/out" 2>&1
check "a second rewrite over later edits does not reuse the older backup (exit 1)" test $? -eq 1
check "... saying the backup is older than later edits" grep -q "is older than later edits" "$T/out"
check "... the file is left unchanged" cmp -s "$Q/web.xml" "$T/web.edited"
printf 'x' >>"$Q/db.xml" # an in-place edit of a file nestvirt never wrote: no backup, no harm
"$NV" rollback --root "$R" --discard-later-edits >"$T/out" 2>&1
check "rollback --discard-later-edits puts the original back anyway (exit 0)" test $? -eq 0
check "... web.xml is the original" cmp -s "$Q/web.xml" "$T/web.orig"

# --- prune --------------------------------------------------------------------------------------
R=$T/c
Q=$R/etc/libvirt/qemu
make_clean_tree "$R"
"$NV" rewrite --root "$R" >/dev/null 2>&1
cp "$Q/web.xml" "$T/web.new"
"$NV" rollback --root "$R" --prune --domain web >"$T/out" 2>&1
check "rollback --prune exits 0" test $? -eq 0
check "... drops the selected backup" test ! -e "$Q/web.xml.nestvirt-orig"
check "... restores nothing" cmp -s "$Q/web.xml" "$T/web.new"
check "... keeps the others" test -e "$Q/nocpu.xml.nestvirt-orig"
check "... says so" grep -q "web.xml: removed: backup web.xml.nestvirt-orig removed" "$T/out"
"$NV" rollback --root "$R" --prune --discard-later-edits >/dev/null 2>&1
check "--prune with --discard-later-edits is a usage error (exit 2)" test $? -eq 2

done_testing
