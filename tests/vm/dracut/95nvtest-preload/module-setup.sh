#!/bin/bash
# Test-only dracut module: loads the kvm vendor module with nested=0 in a cmdline hook at
# priority 10, i.e. before nestvirt's hook (priority 50), to simulate an initramfs that already
# loaded it with the wrong value.

# called by dracut
check() {
    return 255
}

# called by dracut
depends() {
    return 0
}

# called by dracut
installkernel() {
    hostonly='' instmods kvm_amd kvm_intel
}

# called by dracut
install() {
    inst_multiple grep
    # shellcheck disable=SC2154 # moddir is set by dracut
    inst_hook cmdline 10 "$moddir/nvtest-preload.sh"
}
