#!/bin/sh
# A libvirt daemon that starts during a run cannot take its pid file lock: the run holds the
# locks of libvirtd's and virtqemud's pid files (and of a session daemon's for a --config-dir
# of another user) from before the first file is touched until the end.
set -u
# shellcheck source=tests/fault/lib.sh
. "$(dirname "$0")/../fault/lib.sh"
scratch

if [ ! -r "$SHIM" ]; then
	skip "the fault shim $SHIM is not built (make check builds it)"
	done_testing
	exit
fi

# try_lock FILE: exit 0 if an fcntl write lock on FILE's first byte can be taken now, as a
# starting libvirtd takes it (virPidFileAcquirePath), 1 if someone holds it.
try_lock() {
	"$PY" -c 'import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
except OSError:
    sys.exit(1)' "$1"
}

# stopped PID: wait until PID is stopped (SIGSTOP from the shim); 1 if it ended instead.
stopped() {
	while :; do
		case $(ps -o stat= -p "$1") in
		T*) return 0 ;;
		"" | Z*) return 1 ;;
		esac
		sleep 0.02
	done
}

R=$T/root
make_clean_tree "$R"
# Stop the run at its first rename, in the middle of replacing files.
NESTVIRT_FAULT_OPS=rename NESTVIRT_FAULT_STOP_AT=1 LD_PRELOAD=$SHIM \
	"$NV" rewrite --root "$R" >"$T/out" 2>&1 &
pid=$!
stopped $pid
for d in libvirtd virtqemud; do
	try_lock "$R/run/$d.pid"
	check "$d cannot take its pid file lock while a rewrite runs" test $? -eq 1
done
kill -CONT $pid
wait $pid
check "the rewrite finishes (exit 0)" test $? -eq 0
check "the pid files it created are gone again" test ! -e "$R/run/libvirtd.pid" -a ! -e "$R/run/virtqemud.pid"
try_lock "$R/run/libvirtd.pid"
check "libvirtd can take its lock after the run" test $? -eq 0
rm -f "$R/run/libvirtd.pid"

# Session mode: a --config-dir owned by a user; that user's session daemons are held off too.
S=$T/session
make_clean_tree "$S"
chown -R 65534 "$S/etc/libvirt/qemu"
mkdir -p "$R/run/user/65534/libvirt"
NESTVIRT_FAULT_OPS=rename NESTVIRT_FAULT_STOP_AT=1 LD_PRELOAD=$SHIM \
	"$NV" rewrite --root "$R" --config-dir "$S/etc/libvirt/qemu" >"$T/out" 2>&1 &
pid=$!
stopped $pid
try_lock "$R/run/user/65534/libvirt/virtqemud.pid"
check "a session virtqemud of the --config-dir's owner cannot start during the run" test $? -eq 1
kill -CONT $pid
wait $pid
check "the session-mode rewrite finishes (exit 0)" test $? -eq 0

# A pid file replaced during the run (the lock no longer covers its name): the next batch
# writes nothing. 100 files make two batches; the run stops in the first.
mkdir -p "$T/p/run"
cpuinfo "$T/p" intel
"$(dirname "$0")/../fault/gendomains.sh" "$T/p/etc/libvirt/qemu" 100 changing
NESTVIRT_FAULT_OPS=rename NESTVIRT_FAULT_STOP_AT=1 LD_PRELOAD=$SHIM \
	"$NV" rewrite --root "$T/p" >"$T/out" 2>&1 &
pid=$!
stopped $pid
echo 1 >"$T/p/run/libvirtd.pid.new" && mv "$T/p/run/libvirtd.pid.new" "$T/p/run/libvirtd.pid"
kill -CONT $pid
wait $pid
check "a run whose pid-file lock was lost fails the files left (exit 1)" test $? -eq 1
check "... each saying why" grep -q "vm00099.xml: failed: a libvirt daemon's pid file was replaced" "$T/out"
check "... and writes none of them" test ! -e "$T/p/etc/libvirt/qemu/vm00099.xml.nestvirt-orig"

done_testing
