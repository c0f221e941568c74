#!/bin/bash
# The manual pages against the programs (issue 10): every option in each --help is a tagged
# entry of the OPTIONS section of the page that documents the command, and every tagged entry
# is an option of one of those commands; every subcommand is in nestvirt(8)'s SYNOPSIS; every
# page renders without a groff warning and has a NAME lexgrog reads.
# shellcheck disable=SC2016 # expanded by the inner shells
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

D=$SRCDIR/docs
# help_opts TEXT: the long options of a help text's usage lines and option list (lines that
# start with "usage:" or with blanks: the prose may name other commands' options).
help_opts() { printf '%s\n' "$1" | grep -E '^(usage:|[[:space:]])' | grep -o -- '--[a-z][a-z-]*'; }
# man_opts PAGE: the options tagged (.TP) in the OPTIONS section of PAGE.
man_opts() {
	awk '/^\.SH OPTIONS/ {o = 1; next} /^\.SH/ {o = 0} o && t {print; t = 0} o && /^\.TP/ {t = 1}' "$1" |
		sed 's/\\-/-/g; s/\\f[BIRP]//g' | grep -o -- '--[a-z][a-z-]*' | sort -u
}
# page CMD: the page that documents a subcommand.
page() {
	case $1 in
	rewrite | rollback) echo "$D/nestvirt-rewrite.8" ;;
	status) echo "$D/nestvirt-status.8" ;;
	*) echo "$D/nestvirt.8" ;;
	esac
}

cmds=$("$NESTVIRT" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && !/^commands:/ {print $1}')
pages=$(ls "$D"/*.[1-8])
plan $((1 + $(echo "$cmds" | wc -w) * 2 + 3 + $(echo "$pages" | wc -w) * 2))

check "nestvirt-early --help and nestvirt-early(8) OPTIONS name the same options" \
	eq "$(help_opts "$("$EARLY" --help 2>&1)" | sort -u)" "$(man_opts "$D/nestvirt-early.8")"

for c in $cmds; do
	p=$(page "$c")
	missing=$(help_opts "$("$NESTVIRT" "$c" --help 2>&1)" | sort -u | comm -23 - <(man_opts "$p"))
	check "every option of nestvirt $c --help is in $(basename "$p") OPTIONS" eq "" "$missing"
	syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$D/nestvirt.8" | sed 's/\\-/-/g')
	check "nestvirt(8) SYNOPSIS has nestvirt $c" contains "$syn" ".B nestvirt $c"
done
for p in "$D/nestvirt.8" "$D/nestvirt-rewrite.8" "$D/nestvirt-status.8"; do
	all=$(for c in $cmds; do
		[ "$(page "$c")" = "$p" ] && help_opts "$("$NESTVIRT" "$c" --help 2>&1)"
	done | sort -u)
	check "every option in $(basename "$p") OPTIONS is in the --help of a command it documents" \
		eq "" "$(man_opts "$p" | comm -23 - <(printf '%s\n' "$all"))"
done

for p in $pages; do
	check "groff -ww renders $(basename "$p") without a warning" \
		eq "" "$(groff -ww -z -man "$p" 2>&1)"
	check "lexgrog reads the NAME of $(basename "$p")" sh -c 'lexgrog "$1" >/dev/null' sh "$p"
done

finish
