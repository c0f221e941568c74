#!/bin/sh
# nestvirt status on every fixture host (tests/data/hosts/*): the --check code of each
# situation, the human text, --json and --textfile against their goldens
# (tests/data/status-golden/; NESTVIRT_UPDATE_GOLDEN=1 rewrites them), every JSON document
# validated against docs/status.schema.json by python3-jsonschema, every textfile by promtool.
. "$(dirname "$0")/lib.sh"

H=$SRCDIR/tests/data/hosts
G=$SRCDIR/tests/data/status-golden
# situation and its --check code (docs/status.md)
codes="amd-nested-off 17
amd-not-loaded 0
builtin 12
conflict-cmdline 14
conflict-modprobe 14
firstboot-failed 16
firstboot-not-run 0
guests 15
intel-ok 0
l1-novmx 11
l1-svm 0
not-requested 10
off-ok 0
pending-reboot 13
persistent 0"
n=$(echo "$codes" | wc -l)
plan $((n * 6 + 3))

validate() {
	python3 -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
doc = json.loads(open(sys.argv[2], "rb").read().decode("utf-8"))
jsonschema.Draft202012Validator(schema).validate(doc)' "$SRCDIR/docs/status.schema.json" "$1"
}

# golden NAME FILE: FILE equals the golden NAME (or becomes it in update mode).
golden() {
	if [ -n "${NESTVIRT_UPDATE_GOLDEN:-}" ]; then
		cp "$2" "$G/$1"
		return 0
	fi
	if cmp -s "$G/$1" "$2"; then
		return 0
	fi
	diag "differs from tests/data/status-golden/$1 (NESTVIRT_UPDATE_GOLDEN=1 to accept):"
	diff -u "$G/$1" "$2" | head -n 30 | while IFS= read -r l; do diag "$l"; done
	return 1
}

while read -r s code; do
	"$NESTVIRT" status --root "$H/$s" --check >"$TMP/$s.txt" 2>"$TMP/$s.err"
	check "$s: --check exits $code" eq "$code" "$?"
	check "$s: human text as the golden" golden "$s.txt" "$TMP/$s.txt"
	"$NESTVIRT" status --root "$H/$s" --json >"$TMP/$s.json" 2>>"$TMP/$s.err"
	check "$s: --json as the golden" golden "$s.json" "$TMP/$s.json"
	check "$s: --json is valid against docs/status.schema.json" validate "$TMP/$s.json"
	mkdir -p "$TMP/prom-$s"
	"$NESTVIRT" status --root "$H/$s" --textfile "$TMP/prom-$s" 2>>"$TMP/$s.err"
	promtool check metrics <"$TMP/prom-$s/nestvirt.prom" >"$TMP/$s.promtool" 2>&1
	check "$s: --textfile passes promtool check metrics" eq "0" "$?"
	sed 's/^nestvirt_status_timestamp_seconds [0-9]*$/nestvirt_status_timestamp_seconds TIME/' \
		"$TMP/prom-$s/nestvirt.prom" >"$TMP/$s.prom"
	check "$s: --textfile as the golden" golden "$s.prom" "$TMP/$s.prom"
done <<END
$codes
END

# Without --check: 0 when as requested or nothing requested, 1 otherwise.
"$NESTVIRT" status --root "$H/not-requested" >/dev/null
a=$?
"$NESTVIRT" status --root "$H/pending-reboot" >/dev/null
check "without --check: nothing requested exits 0, a problem exits 1" eq "0 1" "$a $?"
check "the verdict is the first line" eq \
	"NOT OK: pending reboot: kvm_amd is loaded with nested=0 and held (refcnt 3); its next load gets nested=1" \
	"$("$NESTVIRT" status --root "$H/pending-reboot" | head -n 1)"
check "one do: line per problem" eq \
	"$("$NESTVIRT" status --root "$H/builtin" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["problems"]))')" \
	"$("$NESTVIRT" status --root "$H/builtin" | grep -c '^do:')"
finish
