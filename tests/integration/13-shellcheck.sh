#!/bin/sh
# Every shell file is shellcheck-clean; dracut hooks may run under dash, so they are POSIX sh.
. "$(dirname "$0")/lib.sh"
cd "$SRCDIR" || exit 1
files=$(git ls-files '*.sh' '*.sh.in' 'tests/vm/probes/*' tests/vm/guest/nvtest-report tests/vm/guest/nvtest-uevent .ci/run 2>/dev/null)
plan 1
if command -v shellcheck >/dev/null; then
	# shellcheck disable=SC2086 # a list of paths without blanks
	check "shellcheck on $(echo $files | wc -w) files" shellcheck -x -e SC1091 -e SC2034 $files
else
	skip "shellcheck" "not installed"
fi
finish
