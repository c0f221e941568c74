# The whole promise, proven (issue 11): libvirt-started L2 guests inside the booted host image
# see svm and npt (tests/vm/l2-tests.sh, docs/l2-proof.md).
VM_TESTS += tests/vm/l2-tests.sh
