#!/bin/sh
# The replacement ends with exactly the original's mode, owner, ACL and xattrs: in a directory
# with a default ACL, the new file must not keep the ACL it inherits there.
set -u
# shellcheck source=tests/fault/lib.sh
. "$(dirname "$0")/../fault/lib.sh"
scratch

if ! command -v setfacl >/dev/null || ! command -v getfacl >/dev/null; then
	skip "setfacl/getfacl (package acl) are not installed"
	done_testing
	exit
fi
R=$T/root
Q=$R/etc/libvirt/qemu
make_clean_tree "$R"
chmod 640 "$Q/web.xml" "$Q/nocpu.xml"
# The originals were written before the default ACL existed: they have none.
if ! setfacl -d -m u:65534:r "$Q" 2>"$T/err"; then
	skip "this filesystem takes no POSIX ACLs: $(cat "$T/err")"
	done_testing
	exit
fi
setfacl -m u:65534:rw "$Q/nocpu.xml" # one original with an ACL entry of its own
getfacl -cp "$Q/web.xml" >"$T/web.acl"
getfacl -cp "$Q/nocpu.xml" >"$T/nocpu.acl"
xattrs "$Q/web.xml" >"$T/web.x"
"$NV" rewrite --root "$R" >"$T/out" 2>&1
check "the rewrite exits 0" test $? -eq 0
check "web.xml was replaced" grep -q "web.xml: changed" "$T/out"
check "a file without an ACL does not inherit the directory's default ACL" \
	test "$(getfacl -cp "$Q/web.xml")" = "$(cat "$T/web.acl")"
check "... nor any xattr the original lacked" test "$(xattrs "$Q/web.xml")" = "$(cat "$T/web.x")"
check "... and keeps its mode (640)" test "$(stat -c %a "$Q/web.xml")" = 640
check "a file with its own ACL keeps exactly that ACL" \
	test "$(getfacl -cp "$Q/nocpu.xml")" = "$(cat "$T/nocpu.acl")"

done_testing
