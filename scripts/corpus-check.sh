#!/bin/sh
# corpus-check.sh NESTVIRT [CORPUS]: run `nestvirt rewrite` over every domain XML file under
# CORPUS (default: libvirt's own test suite from Debian's source package, fetched once into
# $NESTVIRT_CORPUS_CACHE) and check, for every file it changes, that the output
#   - validates against libvirt's domain schema wherever the input did (virt-xml-validate's
#     check: xmllint --relaxng domain.rng, batched; failures are confirmed by virt-xml-validate),
#   - is accepted by libvirt's parser (virsh -c test:///default define) wherever the input was,
#   - has exactly one vendor feature with the requested policy (--mode feature, disable), or
#     the requested mode without model and features (host-passthrough, host-model),
#   - on AMD with --mode feature, exactly one npt feature, 'require' (unless the input disabled
#     it), except where libvirt's map lists npt for the model; otherwise as many npt features
#     as the input had (Intel never gets one),
#   - keeps every byte outside <cpu>,
# and that a second run changes nothing. Prints the counts and the time taken; exits 1 on any
# violation. Runs JOBS (default 2) shards in parallel.
#
# Most of libvirt's test files are type='qemu' (TCG), which the rewrite rightly skips. So each
# mode runs twice: on the files as stored, and on a copy where the root's type='qemu' reads
# type='kvm' ("kvm-" in the report): that puts every <cpu> variant of the suite through the edit.
#
# Environment: NESTVIRT_CORPUS_MODES (default "feature disable host-passthrough host-model"),
# NESTVIRT_CORPUS_VENDOR (intel or amd: --vendor, default intel),
# NESTVIRT_CORPUS_CACHE (default /var/cache/nestvirt-corpus), JOBS.

# sh -c '…' sh ARGS: the single quotes are meant, the arguments come in as $1, $2.
# shellcheck disable=SC2016
set -eu

[ $# -ge 1 ] || { echo "usage: $0 NESTVIRT [CORPUS]" >&2; exit 2; }
NV=$(realpath "$1")
CORPUS=${2:-}
CACHE=${NESTVIRT_CORPUS_CACHE:-/var/cache/nestvirt-corpus}
MODES=${NESTVIRT_CORPUS_MODES:-feature disable host-passthrough host-model}
VENDOR=${NESTVIRT_CORPUS_VENDOR:-intel}
JOBS=${JOBS:-2}
SCHEMA=/usr/share/libvirt/schemas/domain.rng
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
t0=$(date +%s)

need() {
	command -v "$1" >/dev/null || { echo "corpus-check: $1 is missing (package $2)" >&2; exit 2; }
}
need xmllint libxml2-utils
need virsh libvirt-clients
need virt-xml-validate libvirt-clients
[ -r "$SCHEMA" ] || { echo "corpus-check: $SCHEMA is missing (libvirt-clients)" >&2; exit 2; }

# Debian's libvirt source package, unpacked under $CACHE; prints the directory.
fetch() {
	dir=$(find "$CACHE" -maxdepth 1 -type d -name 'libvirt-*' 2>/dev/null | sort | tail -n 1)
	if [ -n "$dir" ] && [ -d "$dir/tests" ]; then
		echo "$dir"
		return
	fi
	[ "$(id -u)" = 0 ] || { echo "corpus-check: give CORPUS=DIR, or run as root to fetch libvirt's source" >&2; exit 2; }
	need dpkg-source dpkg-dev
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
	    ! grep -qs '^deb-src' /etc/apt/sources.list; then
		echo "corpus-check: adding a deb-src entry for bookworm" >&2
		cat >/etc/apt/sources.list.d/nestvirt-deb-src.sources <<-EOF
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: bookworm
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		apt-get update -qq >&2
	fi
	mkdir -p "$CACHE"
	(cd "$CACHE" && apt-get source -qq libvirt >&2)
	find "$CACHE" -maxdepth 1 -type d -name 'libvirt-*' | sort | tail -n 1
}

[ -n "$CORPUS" ] || CORPUS=$(fetch)
CORPUS=$(realpath "$CORPUS")
# tmpfs when there is one: durability is not what this checks, and fsyncs would dominate.
tmp=${TMPDIR:-/tmp}
[ -n "${TMPDIR:-}" ] || ! [ -w /dev/shm ] || tmp=/dev/shm
W=$(mktemp -d "$tmp/corpus-check.XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 130' HUP INT PIPE TERM

# Every *.xml under CORPUS whose root element is <domain> (a line starting with it).
(cd "$CORPUS" && grep -rl --include='*.xml' -m1 '^<domain[ >]' . | LC_ALL=C sort) >"$W/list"
echo "corpus: $CORPUS: $(wc -l <"$W/list") domain files; modes: $MODES; vendor: $VENDOR; $JOBS jobs"

# in-stored/NAME, in-kvm/NAME: the inputs, flattened to unique names. Each run (variant and
# mode: "kvm-feature" …) gets JOBS fake roots, the files dealt round-robin.
RUNS=
for mode in $MODES; do
	RUNS="$RUNS stored-$mode kvm-$mode"
done
"$PY" - "$CORPUS" "$W" "$JOBS" "$RUNS" <<'EOF'
import os, re, shutil, sys
corpus, w, jobs, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
for v in ("stored", "kvm"):
    os.makedirs(os.path.join(w, "in-" + v))
names = []
for rel in open(os.path.join(w, "list")).read().split("\n"):
    if not rel:
        continue
    name = rel[2:].replace("/", "__")
    data = open(os.path.join(corpus, rel), "rb").read()
    open(os.path.join(w, "in-stored", name), "wb").write(data)
    data = re.sub(rb"(<domain\b[^>]*?\btype=)(['\"])qemu\2", rb"\1\2kvm\2", data, count=1)
    open(os.path.join(w, "in-kvm", name), "wb").write(data)
    names.append(name)
for run in runs:
    for j in range(jobs):
        root = os.path.join(w, run, "s%d" % j)
        os.makedirs(os.path.join(root, "etc/libvirt/qemu"))
        os.makedirs(os.path.join(root, "run"))
        if os.path.isdir("/usr/share/libvirt/cpu_map"):
            shutil.copytree("/usr/share/libvirt/cpu_map", os.path.join(root, "usr/share/libvirt/cpu_map"))
    src = os.path.join(w, "in-" + run.split("-")[0])
    for i, name in enumerate(names):
        os.link(os.path.join(src, name), os.path.join(w, run, "s%d" % (i % jobs), "etc/libvirt/qemu", name))
EOF

# Rewrite every shard of every mode, then once more (nothing may change), JOBS at a time.
t1=$(date +%s)
for run in $RUNS; do
	j=0
	while [ $j -lt "$JOBS" ]; do
		echo "$run/s$j"
		j=$((j + 1))
	done
done | xargs -P "$JOBS" -I{} sh -c '
	m=${1%%/*}
	m=${m#*-}
	"$2" rewrite --root "$3/$1" --vendor "$4" --mode "$m" --no-backup --json >"$3/$1.json" 2>"$3/$1.err"
	echo $? >"$3/$1.rc"
	(cd "$3/$1/etc/libvirt/qemu" && sha256sum -- *.xml) >"$3/$1.sums1"
	"$2" rewrite --root "$3/$1" --vendor "$4" --mode "$m" --no-backup --json >"$3/$1.json2" 2>>"$3/$1.err"
	(cd "$3/$1/etc/libvirt/qemu" && sha256sum -- *.xml) >"$3/$1.sums2"
' sh {} "$NV" "$W" "$VENDOR"
t2=$(date +%s)

# Sort the results; list what the tools must check: inputs and outputs of changed files.
"$PY" - "$W" "$JOBS" "$RUNS" <<'EOF'
import json, os, re, sys
w, jobs, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()

def name_of(text):
    m = re.search(r"<name>([^<]*)</name>", text)
    return m.group(1) if m else None

def q(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"

inputs = set()
out = open(os.path.join(w, "validate.list"), "w")
for mode in modes:
    for j in range(jobs):
        shard = os.path.join(w, mode, "s%d" % j)
        doc = json.load(open(shard + ".json"))
        cmds = open(shard + ".virsh", "w")
        for f in doc["files"]:
            if f["result"] != "changed":
                continue
            name = os.path.basename(f["file"])
            src = os.path.join(w, "in-" + mode.split("-")[0], name)
            dst = os.path.join(shard, "etc/libvirt/qemu", name)
            inputs.add(src)
            out.write(dst + "\n")
            dom = name_of(open(src, errors="replace").read())
            for path in (src, dst):
                cmds.write("define %s\n" % q(path))
                if dom:
                    cmds.write("undefine %s\n" % q(dom))
for src in sorted(inputs):
    out.write(src + "\n")
EOF

# Schema: xmllint --relaxng on every input and output in the lists, batched.
xargs -P "$JOBS" -n 250 xmllint --noout --relaxng "$SCHEMA" <"$W/validate.list" \
	>/dev/null 2>"$W/xmllint.out" || true
# Parser: one virsh per shard reads its defines from stdin (test:///default needs no daemon).
for run in $RUNS; do
	j=0
	while [ $j -lt "$JOBS" ]; do
		echo "$W/$run/s$j"
		j=$((j + 1))
	done
done | xargs -P "$JOBS" -I{} sh -c 'virsh -c test:///default <"$1.virsh" >"$1.define" 2>&1 || true' sh {}
t3=$(date +%s)

st=0
"$PY" - "$W" "$JOBS" "$RUNS" "$((t2 - t1))" "$((t3 - t2))" "$VENDOR" <<'EOF' || st=$?
import collections, glob, json, os, re, subprocess, sys
w, jobs, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
t_rewrite, t_check, vendor = sys.argv[4], sys.argv[5], sys.argv[6]
vf = "svm" if vendor == "amd" else "vmx"

def map_models():
    """libvirt's map, offline: model -> (its features, the ancestor it names)."""
    models = {}
    for path in glob.glob("/usr/share/libvirt/cpu_map/x86_*.xml"):
        text = open(path, errors="replace").read()
        for m in re.finditer(r"<model name='([^']*)'>(.*?)</model>", text, re.S):
            parent = re.search(r"<model name='([^']*)'/>", m.group(2))
            models.setdefault(m.group(1), (set(re.findall(r"<feature name='([^']*)'/>", m.group(2))),
                                           parent.group(1) if parent else None))
    return models

MODELS = map_models()

def model_lists(model, feature):
    for _ in range(16):
        if model not in MODELS:
            return False
        feats, model = MODELS[model]
        if feature in feats:
            return True
    return False

def features_named(cpu, name):
    return [f for f in re.findall(r"<feature\b[^>]*>", cpu) if re.search(r"name=['\"]%s['\"]" % name, f)]

valid = {}
for line in open(os.path.join(w, "xmllint.out"), errors="replace"):
    m = re.match(r"(\S+) (validates|fails to validate)$", line.rstrip("\n"))
    if m:
        valid[m.group(1)] = m.group(2) == "validates"

def outside_cpu(text):
    """The document without its <cpu> element; the element's own line goes with it."""
    for pat, flags in ((r"^[ \t]*<cpu\b[^>]*?/>[ \t]*\n", re.M), (r"^[ \t]*<cpu\b.*?</cpu>[ \t]*\n", re.M | re.S),
                       (r"<cpu\b[^>]*?/>", 0), (r"<cpu\b.*?</cpu>", re.S)):
        new, n = re.subn(pat, "", text, count=1, flags=flags)
        if n:
            return new
    return text

def cpu_of(text):
    m = re.search(r"<cpu\b[^>]*?/>|<cpu\b.*?</cpu>", text, re.S)
    return m.group(0) if m else ""

def check_npt(mode, cpu, cpu_in):
    """npt comes with svm in --mode feature, where the model's map entry lacks it."""
    npt, npt_in = features_named(cpu, "npt"), features_named(cpu_in, "npt")
    model = re.search(r"<model\b[^>]*>([^<]*)</model>", cpu)
    custom = not re.match(r"<cpu\b[^>]*\bmode=['\"](host-model|host-passthrough|maximum)['\"]", cpu)
    if vf != "svm" or mode != "feature":
        return None if len(npt) == len(npt_in) else "npt features: %d in, %d out" % (len(npt_in), len(npt))
    if not npt_in and custom and model and model_lists(model.group(1), "npt"):
        return None if not npt else "npt added although the map lists it for " + model.group(1)
    if len(npt) != 1:
        return "%d npt features" % len(npt)
    if re.search(r"policy=['\"](disable|forbid)['\"]", npt[0]):
        return None if npt_in and npt_in[0] == npt[0] else "npt turned off: " + npt[0]
    if not re.search(r"policy=['\"](require|force)['\"]|^<feature name=", npt[0]):
        return "npt is not 'require': " + npt[0]
    return None

def check_cpu(mode, cpu, cpu_in):
    feats = features_named(cpu, vf)
    if mode in ("feature", "disable"):
        want = "require" if mode == "feature" else "disable"
        if len(feats) != 1:
            return "%d %s features" % (len(feats), vf)
        if not re.search(r"policy=['\"]%s['\"]" % want, feats[0]):
            return "%s is not '%s': %s" % (vf, want, feats[0])
        return check_npt(mode, cpu, cpu_in)
    if not re.match(r"<cpu\b[^>]*\bmode=['\"]%s['\"]" % mode, cpu):
        return "mode is not %s" % mode
    if re.search(r"<(model|vendor|feature)\b", cpu) and not re.search(r"<model\b[^>]*/>", cpu):
        return "model, vendor or features left: " + cpu
    return None

bad = collections.defaultdict(list)
failed = False
print("rewrite: %s s for %d runs (each twice); checks: %s s" % (t_rewrite, len(modes), t_check))
for run in modes:
    mode = run.split("-", 1)[1]
    res = collections.Counter()
    reasons = collections.Counter()
    n = collections.Counter()
    for j in range(jobs):
        shard = os.path.join(w, run, "s%d" % j)
        doc = json.load(open(shard + ".json"))
        doc2 = json.load(open(shard + ".json2"))
        n["second"] += doc2["summary"]["changed"]
        if doc2["summary"]["changed"]:
            bad[run].append("s%d: the second run changed %d files" % (j, doc2["summary"]["changed"]))
        if open(shard + ".sums1").read() != open(shard + ".sums2").read():
            bad[run].append("s%d: the second run changed bytes" % j)
        defined = {}
        for line in open(shard + ".define", errors="replace"):
            m = re.match(r"Domain '.*' defined from (.*)$", line.rstrip("\n"))
            if m:
                defined[m.group(1)] = True
            m = re.match(r"error: Failed to define domain from (.*)$", line.rstrip("\n"))
            if m:
                defined[m.group(1)] = False
        for f in doc["files"]:
            res[f["result"]] += 1
            if f["result"] != "changed":
                reasons["%s: %s" % (f["result"], re.sub(r"'[^']*'", "'…'", f.get("reason", ""))[:90])] += 1
                continue
            name = os.path.basename(f["file"])
            src = os.path.join(w, "in-" + run.split("-")[0], name)
            dst = os.path.join(shard, "etc/libvirt/qemu", name)
            a, b = open(src, errors="surrogateescape").read(), open(dst, errors="surrogateescape").read()
            why = check_cpu(mode, cpu_of(b), cpu_of(a))
            if why:
                bad[run].append("%s: %s" % (name, why))
            else:
                n["cpu ok"] += 1
            if outside_cpu(a) != outside_cpu(b):
                bad[run].append("%s: bytes outside <cpu> changed" % name)
            else:
                n["outside ok"] += 1
            vi, vo = valid.get(src), valid.get(dst)
            n["schema in"] += bool(vi)
            n["schema out"] += bool(vo)
            if vi and not vo:
                # Confirm with the tool itself before calling it a regression.
                if subprocess.run(["virt-xml-validate", dst], capture_output=True).returncode:
                    bad[run].append("%s: no longer validates against the schema" % name)
                else:
                    n["schema out"] += 1
            di, do = defined.get(src), defined.get(dst)
            n["define in"] += bool(di)
            n["define out"] += bool(do)
            if di and not do:
                bad[run].append("%s: virsh define accepted the input, not the output" % name)
    total = sum(res.values())
    print("%s (--mode %s): %d files: %d changed, %d unchanged, %d skipped, %d failed" %
          (run, mode, total, res["changed"], res["unchanged"], res["skipped"], res["failed"]))
    print("  of the %d changed: schema-valid %d in, %d out; virsh define accepts %d in, %d out; "
          "%s %d; bytes outside <cpu> kept %d; the second run changed %d" %
          (res["changed"], n["schema in"], n["schema out"], n["define in"], n["define out"],
           "one %s with the policy, npt as asked" % vf if mode in ("feature", "disable") else "mode " + mode + " without model/features",
           n["cpu ok"], n["outside ok"], n["second"]))
    for r, c in reasons.most_common(8):
        print("  %5d %s" % (c, r))
    if bad[run]:
        failed = True
        print("  %d VIOLATIONS:" % len(bad[run]))
        for b in bad[run][:40]:
            print("    " + b)
    else:
        print("  every check passed")
sys.exit(1 if failed else 0)
EOF
echo "corpus-check: $(($(date +%s) - t0)) s in all"
exit $st
