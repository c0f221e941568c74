#!/bin/sh
# nestvirt status for a fleet: the Ansible local fact through Debian's ansible-core (setup
# module, fact_path pointed at the test's dir, local connection), the node_exporter textfile
# written atomically (temp + rename: a reader never sees half a file, the old one stays on a
# failure), and the timer and service that refresh it, checked by systemd-analyze verify.
. "$(dirname "$0")/lib.sh"
plan 9

H=$SRCDIR/tests/data/hosts

# The fact as installed, its nestvirt pointed at the build and the fixture host.
mkdir -p "$TMP/facts"
sed "s|@BINDIR@/nestvirt status|$NESTVIRT status --root $H/pending-reboot|" \
	"$SRCDIR/etc/ansible/nestvirt.fact.in" >"$TMP/facts/nestvirt.fact"
chmod 0755 "$TMP/facts/nestvirt.fact"
# shellcheck disable=SC2016 # expanded by the inner shell
check "the fact prints the status document and exits 0 though the host is not ok" \
	sh -c '"$1" | python3 -c "import json,sys; assert json.load(sys.stdin)[\"class\"] == \"pending-reboot\""' \
	sh "$TMP/facts/nestvirt.fact"
ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_NOCOLOR=1 \
	HOME=$TMP ansible localhost -c local -m setup \
	-a "filter=ansible_local fact_path=$TMP/facts" >"$TMP/ansible.out" 2>"$TMP/ansible.err"
check "ansible localhost -m setup -a filter=ansible_local: succeeds" eq 0 "$?"
# "localhost | SUCCESS => {json}"
sed -n '1s/^[^{]*//; 1,$p' "$TMP/ansible.out" >"$TMP/ansible.json"
check "... ansible_local.nestvirt is the status document (verdict, class, check code)" \
	eq "pending-reboot 13 True" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["ansible_facts"]["ansible_local"]["nestvirt"]
print(d["class"], d["check_code"], d["verdict"].startswith("pending reboot"))' "$TMP/ansible.json")"

# The textfile: atomic, and an unwritable directory leaves the old file and says so.
mkdir "$TMP/tf"
"$NESTVIRT" status --root "$H/intel-ok" --textfile "$TMP/tf"
check "--textfile DIR: exit 0, nestvirt.prom written, no temp file left" \
	eq "0 nestvirt.prom" "$? $(ls -A "$TMP/tf")"
"$NESTVIRT" status --root "$H/intel-ok" --textfile="$TMP/tf" >"$TMP/tf.out"
check "--textfile=DIR: the same, nothing on stdout" eq "0 " "$? $(cat "$TMP/tf.out")"
cp "$TMP/tf/nestvirt.prom" "$TMP/old.prom"
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c 'mount --bind -o ro "$1" "$1" && mount -o remount,bind,ro "$1" &&
		"$2" status --root "$3" --textfile "$1"' sh "$TMP/tf" "$NESTVIRT" "$H/pending-reboot" \
		2>"$TMP/tf.err"
	check "a read-only DIR: exit 1, the reason named, the old file untouched" \
		eq "1 yes yes" "$? $(grep -q "nestvirt.prom: not written: Read-only file system" "$TMP/tf.err" && echo yes) $(cmp -s "$TMP/old.prom" "$TMP/tf/nestvirt.prom" && echo yes)"
else
	skip "a read-only textfile dir" "no mount namespaces here"
fi
mkdir -p "$TMP/r/var/lib/prometheus/node-exporter"
cp -a "$H/intel-ok/." "$TMP/r/"
"$NESTVIRT" status --root "$TMP/r" --textfile
check "--textfile without DIR: /var/lib/prometheus/node-exporter below the root" \
	test -s "$TMP/r/var/lib/prometheus/node-exporter/nestvirt.prom"

# The units, as installed.
make -s -C "$SRCDIR" B="$NESTVIRT_BUILD" install-status DESTDIR="$TMP/inst" PREFIX=/usr \
	SYSTEMDSYSTEMUNITDIR=/lib/systemd/system SYSCONFDIR=/etc >/dev/null 2>&1
# shellcheck disable=SC2016 # expanded by the inner shell
check "make install-status: the timer, the service and the executable fact" \
	sh -c 'test -f "$1/lib/systemd/system/nestvirt-status-textfile.timer" &&
		grep -q "^ExecStart=/usr/bin/nestvirt status --textfile" "$1/lib/systemd/system/nestvirt-status-textfile.service" &&
		test -x "$1/etc/ansible/facts.d/nestvirt.fact"' sh "$TMP/inst"
sed -i "s|^ExecStart=/usr/bin/nestvirt|ExecStart=$NESTVIRT|" \
	"$TMP/inst/lib/systemd/system/nestvirt-status-textfile.service"
out=$(cd "$TMP/inst/lib/systemd/system" && systemd-analyze verify --man=no \
	./nestvirt-status-textfile.timer ./nestvirt-status-textfile.service 2>&1 |
	grep nestvirt-status-textfile)
check "systemd-analyze verify: no complaint about the timer or the service" eq "" "$out"
finish
