#!/bin/sh
# The whole test suite, as CI runs it: installs what it needs, then unit tests (plain and
# ASan+UBSan), integration tests, VM boot tests under QEMU, the rewriter over libvirt's own
# test-suite domains (fetched once from Debian's source package), and a short run of every
# fuzzer.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh test
make -s -j2 all
make -s -j2 check
make -s check-pkg
make -s check-vm
make -s corpus-check
# A fixed seed: the suite replays inputs already explored; open-ended fuzzing is "make fuzz".
make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}" FUZZ_SEED="${FUZZ_SEED:-1}"
