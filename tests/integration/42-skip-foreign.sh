#!/bin/sh
# --skip-foreign (for the first-boot unit): what is not a domain definition in the config dir
# is skipped with the reason; a domain file that fails to parse still fails.
set -u
# shellcheck source=tests/fault/lib.sh
. "$(dirname "$0")/../fault/lib.sh"
scratch

R=$T/root
Q=$R/etc/libvirt/qemu
make_clean_tree "$R"
ln -s web.xml "$Q/link.xml"
mkfifo "$Q/fifo.xml"
mknod "$Q/dev.xml" c 1 3
mkdir "$Q/dir.xml"
printf "<network>\n  <name>net</name>\n</network>\n" >"$Q/net.xml"

"$NV" rewrite --root "$R" --skip-foreign >"$T/out" 2>&1
check "--skip-foreign: only foreign files besides the domains: exit 0" test $? -eq 0
check "... a symlink is skipped with the reason" \
	grep -q "link.xml: skipped: not a domain definition: is a symbolic link" "$T/out"
check "... a FIFO is skipped" grep -q "fifo.xml: skipped: not a domain definition: is a FIFO" "$T/out"
check "... a device node is skipped" \
	grep -q "dev.xml: skipped: not a domain definition: is a device node" "$T/out"
check "... a directory named *.xml is skipped" \
	grep -q "dir.xml: skipped: not a domain definition: is a directory" "$T/out"
check "... a document whose root is not <domain> is skipped" \
	grep -q "net.xml: skipped: not a domain definition: the root element is <network>" "$T/out"
check "... and the domains are still rewritten" grep -q "web.xml: changed" "$T/out"

head -c 300 "$Q/db.xml" >"$Q/broken.xml"
"$NV" rewrite --root "$R" --skip-foreign >"$T/out" 2>&1
check "--skip-foreign: a domain file that fails to parse still fails (exit 1)" test $? -eq 1
check "... named as failed" grep -q "broken.xml: failed" "$T/out"
rm "$Q/broken.xml"

"$NV" rewrite --root "$R" >"$T/out" 2>&1
check "without --skip-foreign the same files fail (exit 1), as before" test $? -eq 1

done_testing
