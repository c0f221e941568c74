#!/bin/bash
# Bash completion (issue 10): bash's own completion machinery driven with COMP_WORDS set, as
# a shell does it: every subcommand of `nestvirt --help` and every option of each
# `nestvirt COMMAND --help` is completed (and nothing else), the --mode and --vendor values of
# the help text, domain names from the domain directory, CPU models from `nestvirt cpu-models`.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

COMPL=$SRCDIR/completion/nestvirt.bash
if ! command -v bash >/dev/null; then
	plan 1
	skip "bash completion" "no bash"
	exit 0
fi

# comp LINE: the completions bash offers for LINE (a trailing space starts a new word), sorted,
# one a line. The words are split as bash splits them (= is a word break).
comp() {
	bash -c '
		. "$1" || exit 1
		line=$2
		read -r -a words <<<"${line//=/ = }"
		[[ $line == *" " || $line == *"=" ]] && words+=("")
		words[0]=$3
		COMP_WORDS=("${words[@]}")
		COMP_CWORD=$((${#words[@]} - 1))
		COMP_LINE=$line
		COMP_POINT=${#line}
		_nestvirt
		printf "%s\n" "${COMPREPLY[@]}" | sort -u | sed "/^\$/d"
	' sh "$COMPL" "$1" "$NESTVIRT"
}
# opts TEXT: the long options of a help text's usage lines and option list (the lines that
# start with "usage:" or with blanks; the prose may name other commands' options), sorted.
opts() { printf '%s\n' "$1" | grep -E '^(usage:|[[:space:]])' | grep -o -- '--[a-z][a-z-]*' | sort -u; }

cmds=$("$NESTVIRT" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && !/^commands:/ {print $1}' | sort)
n=$(printf '%s\n' "$cmds" | wc -l)
plan $((n + 14))

check "sourcing the file registers _nestvirt for nestvirt" \
	eq "complete -F _nestvirt nestvirt" "$(bash -c '. "$1" && complete -p nestvirt' sh "$COMPL")"
# shellcheck disable=SC2016 # expanded by the inner shell
check "shellcheck completion/nestvirt.bash" sh -c '! command -v shellcheck >/dev/null || shellcheck "$1"' sh "$COMPL"
check "nestvirt <TAB>: exactly the subcommands of --help, and --help" \
	eq "$(printf '%s\n' "$cmds" --help | sort)" "$(comp 'nestvirt ')"
check "nestvirt cpu<TAB>: cpu-models" eq "cpu-models" "$(comp 'nestvirt cpu')"

for c in $cmds; do
	want=$( (opts "$("$NESTVIRT" "$c" --help 2>&1)"; echo --help) | sort -u)
	check "nestvirt $c --<TAB>: exactly the options of its --help" eq "$want" "$(comp "nestvirt $c --")"
done

help=$("$NESTVIRT" rewrite --help)
modes=$(printf '%s\n' "$help" | sed -n 's/.*--mode \([a-z|-]*\).*/\1/p' | tr '|' '\n' | sort)
check "--mode <TAB>: the modes of rewrite --help" eq "$modes" "$(comp 'nestvirt rewrite --mode ')"
check "--mode=host-<TAB>: the modes starting host-" \
	eq "$(printf '%s\n' "$modes" | grep '^host-')" "$(comp 'nestvirt rewrite --mode=host-')"
vendors=$(printf '%s\n' "$help" | sed -n 's/.*--vendor \([a-z|]*\).*/\1/p' | tr '|' '\n' | sort)
check "--vendor <TAB>: the vendors of rewrite --help" eq "$vendors" "$(comp 'nestvirt rewrite --vendor ')"

R=$TMP/root
mkdir -p "$R/etc/libvirt/qemu/autostart" "$TMP/other"
touch "$R/etc/libvirt/qemu/web.xml" "$R/etc/libvirt/qemu/db.xml" "$R/etc/libvirt/qemu/web.xml.nestvirt-orig" \
	"$TMP/other/mail.xml"
check "--domain <TAB> with --root: the domains of ROOT/etc/libvirt/qemu" \
	eq "$(printf 'db\nweb')" "$(comp "nestvirt rewrite --root $R --domain ")"
check "--exclude w<TAB> with --root=ROOT: web" eq "web" "$(comp "nestvirt rollback --root=$R --exclude w")"
check "--domain <TAB> with --config-dir: the domains of that directory" \
	eq "mail" "$(comp "nestvirt rewrite --config-dir $TMP/other --domain ")"
check "--root <TAB>: directories" eq "$TMP/root/" "$(comp "nestvirt status --root $TMP/ro")/"

models=$("$NESTVIRT" cpu-models | grep '^Has' | sort -u)
check "--cpu Has<TAB>: the models of nestvirt cpu-models" eq "$models" "$(comp 'nestvirt rewrite --cpu Has')"
check "--cpu MODEL,<TAB>: no model offered after the model" eq "" "$(comp 'nestvirt rewrite --cpu Haswell,+')"
arches_ok() {
	local a
	for a in $(comp 'nestvirt cpu-models '); do
		"$NESTVIRT" cpu-models "$a" | grep -q . || { diag "cpu-models $a lists nothing"; return 1; }
	done
	[ -n "$(comp 'nestvirt cpu-models ')" ]
}
check "cpu-models <TAB>: architectures, each with models in the CPU map" arches_ok

finish
