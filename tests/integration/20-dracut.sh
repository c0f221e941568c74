#!/bin/sh
# The dracut module, through the real dracut and lsinitrd: what goes into the image.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dracut.sh"
plan 9

if ! command -v dracut >/dev/null || ! command -v lsinitrd >/dev/null; then
	for i in 1 2 3 4 5 6 7 8 9; do skip "dracut test $i" "dracut is not installed"; done
	exit 0
fi
for d in /lib/modules/*; do kver=${d##*/}; done

dracut_stage "$TMP/d"
# Only "base" is asked for: nestvirt must come in through the dracut.conf.d drop-in.
dracut_build "$TMP/d" "$TMP/with.img" "$kver" -m base --no-kernel 2>"$TMP/err"
check "dracut builds an image with the drop-in" eq 0 $?
list=$(lsinitrd "$TMP/with.img")
check "the helper is in the image" contains "$list" " usr/libexec/nestvirt/nestvirt-early"
check "the cmdline hook is in the image at priority 50" \
	contains "$list" " usr/lib/dracut/hooks/cmdline/50-nestvirt-cmdline.sh"
check "the udev rule is in the image" contains "$list" "/udev/rules.d/90-nestvirt.rules"
check "libkmod came along with the helper" contains "$list" "libkmod.so.2"
check "no libxml2 and no ICU in the image" lacks "$list" "libxml2|libicu"
hook=$(lsinitrd -f usr/lib/dracut/hooks/cmdline/50-nestvirt-cmdline.sh "$TMP/with.img")
check "the hook runs the installed helper with --kmsg" \
	contains "$hook" "/usr/libexec/nestvirt/nestvirt-early --kmsg"
check "the hook never exits (it is sourced)" lacks "$hook" "^[[:space:]]*exit"

dracut_build "$TMP/d" "$TMP/without.img" "$kver" -m base --no-kernel -o nestvirt 2>>"$TMP/err"
check "omitting the module leaves no trace of it" \
	lacks "$(lsinitrd "$TMP/without.img")" "nestvirt-early"
diag "image size with the module: $(stat -c %s "$TMP/with.img") B, without: $(stat -c %s "$TMP/without.img") B"
finish
