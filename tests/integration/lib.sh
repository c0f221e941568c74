# shellcheck shell=sh
# TAP helpers for the integration tests. Source it; then plan N, ok/fail, and finish.
# NESTVIRT_BUILD (set by make) is the build dir with the binaries.

: "${NESTVIRT_BUILD:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
EARLY=$NESTVIRT_BUILD/nestvirt-early
NESTVIRT=$NESTVIRT_BUILD/nestvirt
_tap_n=0
_tap_failed=0

plan() { echo "1..$1"; }

# check NAME CMD...: one test point from a command's exit status.
check() {
	_name=$1
	shift
	_tap_n=$((_tap_n + 1))
	if "$@"; then
		echo "ok $_tap_n - $_name"
	else
		echo "not ok $_tap_n - $_name"
		_tap_failed=$((_tap_failed + 1))
	fi
}

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

diag() { printf '# %s\n' "$@" >&2; }

# eq EXPECTED ACTUAL: equal, or say what differed.
eq() {
	[ "$1" = "$2" ] && return 0
	diag "expected: $1" "  actual: $2"
	return 1
}

# contains HAYSTACK NEEDLE
contains() {
	case "$1" in
	*"$2"*) return 0 ;;
	esac
	diag "expected to contain: $2" "in: $1"
	return 1
}

# lacks HAYSTACK EXTENDED_REGEX: no line matches.
lacks() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		diag "expected no match for: $2" "found: $(printf '%s\n' "$1" | grep -E -- "$2" | head -n 3)"
		return 1
	fi
	return 0
}

# A fresh temporary tree removed at exit.
TMP=$(mktemp -d /tmp/nestvirt-it.XXXXXX)
trap 'chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT

# host ROOT CMDLINE CPUINFO_SAMPLE: a fake host tree.
host() {
	mkdir -p "$1/proc" "$1/sys/module" "$1/run" "$1/etc/modprobe.d"
	printf '%s\n' "$2" >"$1/proc/cmdline"
	cp "$SRCDIR/tests/data/cpuinfo/$3" "$1/proc/cpuinfo"
}

finish() {
	[ "$_tap_failed" -eq 0 ]
}
