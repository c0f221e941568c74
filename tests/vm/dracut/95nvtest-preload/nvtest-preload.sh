#!/bin/sh
# Sourced by dracut (cmdline hook, priority 10): load the vendor module with nested=N before
# nestvirt's hook runs. N comes from "nvtest.preload_nested=N" (default 0).
# Every outcome is logged to the kernel log as "nvtest-preload: ..." (the VM report reads it).

# shellcheck source=/dev/null
type getarg >/dev/null 2>&1 || . /lib/dracut-lib.sh

nvtest_nested=$(getarg nvtest.preload_nested=)
[ -n "$nvtest_nested" ] || nvtest_nested=0
nvtest_mod=
if grep -qw svm /proc/cpuinfo; then
    nvtest_mod=kvm_amd
elif grep -qw vmx /proc/cpuinfo; then
    nvtest_mod=kvm_intel
fi
if [ -z "$nvtest_mod" ]; then
    echo "nvtest-preload: no svm/vmx, nothing loaded" >/dev/kmsg
elif modprobe "$nvtest_mod" nested="$nvtest_nested"; then
    echo "nvtest-preload: loaded $nvtest_mod nested=$(cat "/sys/module/$nvtest_mod/parameters/nested")" >/dev/kmsg
else
    echo "nvtest-preload: modprobe $nvtest_mod nested=$nvtest_nested failed" >/dev/kmsg
fi
unset nvtest_nested nvtest_mod
