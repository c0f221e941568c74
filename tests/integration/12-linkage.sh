#!/bin/sh
# The boot helper goes into every initramfs: libc and libkmod only, never libxml2 (ICU).
. "$(dirname "$0")/lib.sh"
plan 2

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' '; }
check "nestvirt-early needs exactly libc and libkmod" eq "libc.so.6 libkmod.so.2 " "$(needed "$EARLY")"
# The same extraction finds libxml2 where it is linked, so the check above can fail.
check "the NEEDED extraction sees libxml2 in xmllint" contains "$(needed "$(command -v xmllint)")" "libxml2.so.2"
finish
