#!/bin/bash
# The manual pages against the programs (issue 10): each subcommand has its page
# (docs/nestvirt-CMD.8, or a ".so" link to the page that documents it; nestvirt.8 for one
# without), every option in its --help is a tagged entry of that page's OPTIONS section and
# every tagged entry is an option of a command the page documents; nestvirt(8), the overview,
# has every subcommand in its SYNOPSIS and names every subcommand page; nestvirt.cmdline(7)
# names every word the command line parser (src/cmdline.c) accepts and no other; every page
# renders without a groff warning and has a NAME lexgrog reads.
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
# so_target PAGE: the page a ".so manN/NAME" page points to, or nothing.
so_target() { sed -n '1s|^\.so man[0-9]/||p' "$1"; }
# page CMD: the page that documents a subcommand (a .so link resolved).
page() {
	local p=$D/nestvirt-$1.8 t
	[ -f "$p" ] || p=$D/nestvirt.8
	t=$(so_target "$p")
	[ -n "$t" ] && p=$D/$t
	echo "$p"
}
# text PAGE: the page's text with groff's escapes for - and fonts removed.
text() { sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\(em/-/g' "$1"; }

cmds=$("$NESTVIRT" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && !/^commands:/ {print $1}')

check "nestvirt-early --help and nestvirt-early(8) OPTIONS name the same options" \
	eq "$(help_opts "$("$EARLY" --help 2>&1)" | sort -u)" "$(man_opts "$D/nestvirt-early.8")"

syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$D/nestvirt.8" | sed 's/\\-/-/g')
overview=$(text "$D/nestvirt.8")
for c in $cmds; do
	p=$(page "$c")
	check "nestvirt $c is documented by an existing page ($(basename "$p"))" test -f "$p"
	missing=$(help_opts "$("$NESTVIRT" "$c" --help 2>&1)" | sort -u | comm -23 - <(man_opts "$p"))
	check "every option of nestvirt $c --help is in $(basename "$p") OPTIONS" eq "" "$missing"
	check "nestvirt(8) SYNOPSIS has nestvirt $c" contains "$syn" ".B nestvirt $c"
	if [ "$p" != "$D/nestvirt.8" ]; then
		n=$(basename "$p" .8)
		check "nestvirt(8) names $n(8) for nestvirt $c" contains "$overview" ".BR $n (8)"
	fi
done
for p in $(for c in $cmds; do page "$c"; done | sort -u); do
	all=$(for c in $cmds; do
		[ "$(page "$c")" = "$p" ] && help_opts "$("$NESTVIRT" "$c" --help 2>&1)"
	done | sort -u)
	check "every option in $(basename "$p") OPTIONS is in the --help of a command it documents" \
		eq "" "$(man_opts "$p" | comm -23 - <(printf '%s\n' "$all"))"
done

for p in "$D"/*.[1-8]; do
	t=$(so_target "$p")
	if [ -n "$t" ]; then
		check "$(basename "$p") links to an existing page ($t)" test -f "$D/$t"
		continue
	fi
	check "groff -ww renders $(basename "$p") without a warning" \
		eq "" "$(groff -ww -z -man "$p" 2>&1)"
	check "lexgrog reads the NAME of $(basename "$p")" sh -c 'lexgrog "$1" >/dev/null' sh "$p"
done

# --- nestvirt.cmdline(7) against the parser ------------------------------------------------------
C=$SRCDIR/src/cmdline.c
cl=$(text "$D/nestvirt.cmdline.7")
# The keys the parser compares a word with, and the values of a request.
keys=$(grep -oE '(key_is\(tok, keylen, |OVERRIDE\()"nestvirt[a-z.]*"' "$C" | grep -o '"[^"]*"' | tr -d '"' | sort -u)
vals=$(sed -n '/parse_request(const char/,/^}/p' "$C" | grep -oE '\{"[^}]*\}' | grep -o '"[^"]*"' | tr -d '"')
check "the parser's keys are found (nestvirt, nestvirt.cpu, ...)" test "$(echo "$keys" | wc -w)" -ge 5
check "the parser's request values are found (1, yes, ..., 0, no, ...)" test "$(echo "$vals" | wc -w)" -eq 8
for k in $keys; do
	check "nestvirt.cmdline(7) documents $k=" contains "$cl" "$k="
done
for v in $vals; do
	check "nestvirt.cmdline(7) documents nestvirt=$v" contains "$cl" "nestvirt=$v"
done
check "nestvirt.cmdline(7) documents the bare word nestvirt" contains "$cl" ".BR nestvirt \", \""
extra=$(printf '%s\n' "$cl" | grep -oE 'nestvirt(\.[a-z]+)?=' | sed 's/=$//' | sort -u | comm -23 - <(printf '%s\n' "$keys"))
check "nestvirt.cmdline(7) names no word the parser does not accept" eq "" "$extra"
check "nestvirt.cmdline(7) states the last-wins rule" contains "$cl" "The last occurrence of each option wins"
for m in kvm_intel kvm_amd; do
	check "nestvirt.cmdline(7) says how $m.nested= interplays" contains "$cl" "$m.nested="
	check "the parser reads $m.nested= (kvm_module_name + .nested)" grep -q '"%s.nested", kvm_module_name' "$C"
done
# Every token of the README's command line table is in the page.
readme=$(sed -n '/^## The kernel command line/,/^## /p' "$SRCDIR/README.md" | grep -oE '`nestvirt[a-z.]*(=[^`|\\]*)?' | tr -d '`' | sed 's/=.*/=/' | sort -u)
for t in $readme; do
	check "README's token $t is in nestvirt.cmdline(7)" contains "$cl" "$t"
done

plan "$_tap_n"
finish
