#!/bin/bash
# Builds the VM root disk image (ext4, no mount) from the cached Debian 12 debootstrap tree.
#   tests/vm/mkroot.sh OUT.img [--overlay DIR]... [--file SRC:DEST]... [--packages a,b]
# See README.md. The first run debootstraps (about a minute); later runs reuse the cache.
set -u
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 OUT.img [--overlay DIR]... [--file SRC:DEST]... [--packages a,b]" >&2; exit 2; }
nvvm_mkimage "$@"
