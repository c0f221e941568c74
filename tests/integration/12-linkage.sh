#!/bin/sh
# The boot helper goes into every initramfs: libc, and libkmod by dlopen() when it reloads a
# module; never libxml2 (ICU).
. "$(dirname "$0")/lib.sh"
plan 3

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' '; }
check "nestvirt-early needs exactly libc (libkmod is dlopen()ed)" eq "libc.so.6 " "$(needed "$EARLY")"
# The same extraction finds libxml2 where it is linked, so the check above can fail.
check "the NEEDED extraction sees libxml2 in xmllint" contains "$(needed "$(command -v xmllint)")" "libxml2.so.2"
check "the only library it dlopen()s is libkmod" \
	eq "libkmod.so.2" "$(strings "$EARLY" | grep -Ex 'lib[a-z0-9_+-]+\.so\.[0-9]+' | grep -vx libc.so.6 | sort -u)"
finish
