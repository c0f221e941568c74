#!/bin/bash
# Boots the test VM once and prints its report ("key=value" lines) on stdout.
#   tests/vm/boot.sh OUTDIR --initrd FILE --image FILE [--cpu MODEL] [--append "ARGS"]
#                    [--timeout S] [--mem MiB]
# Exit status 0 only when the guest reported "NVTEST done".
set -u
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR --initrd FILE --image FILE [--cpu MODEL] [--append ARGS] [--timeout S]" >&2; exit 2; }
rc=0
nvvm_boot "$@" || rc=$?
cat "$1/nvtest.txt" 2>/dev/null || true
exit "$rc"
