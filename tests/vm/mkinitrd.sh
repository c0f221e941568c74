#!/bin/bash
# Builds an initramfs with the real dracut from a private copy of /usr/lib/dracut.
#   tests/vm/mkinitrd.sh OUT.img [--flavour systemd|shell] [--moddir DIR]... [--add "MODS"]
#                        [--preload] [--destdir DIR] [--dracut-arg ARG]...
set -u
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 OUT.img [--flavour systemd|shell] [--moddir DIR]... [--add MODS] [--preload] [--destdir DIR]" >&2; exit 2; }
nvvm_mkinitrd "$@"
