#!/bin/sh
# Differential test of the <cpu> edit against virt-xml, the reference for --cpu SPEC:
#   virt-xml --connect test:///default --edit --cpu SPEC < FILE
#   nestvirt edit-cpu --no-map --override --cpu SPEC FILE
# over virt-manager's own --cpu cases (tests/data/domxml/virtxml-specs.txt) and a generated
# set, on every domain in tests/data/domxml/diff/. Both results must agree on mode, match,
# check, migratable, model (name, fallback, vendor_id), vendor, topology, cache and the set of
# (feature, policy) pairs, or differ only where docs/rewrite-edit.md says why:
#   - virt-xml's result is one libvirt's parser rejects (checked here with defineXML on the
#     test driver), and nestvirt refuses the SPEC or writes a <cpu> libvirt accepts;
#   - the SPEC needs a running libvirt (host-model-only, host-copy, default) or edits what
#     nestvirt does not (NUMA cells, raw XPath);
#   - a leading "+feature"/"-feature", which virt-xml takes as the model name;
#   - clearxml=yes or none on a <cpu> with <numa> that another element refers to (here
#     <numatune><memnode>): nestvirt refuses, naming it; virt-xml drops the cells and libvirt
#     rejects its result. Cells nothing refers to are dropped as virt-xml drops them.
# Every result of nestvirt is also checked on its own: only the <cpu> bytes differ from the
# input, libvirt accepts it, and a second run changes nothing.
# virt-xml runs in-process (as virt-manager's test suite runs it), which keeps this fast.
# NESTVIRT_EDIT_CPU overrides the command that runs the edit (default: "$NESTVIRT_BUILD/nestvirt
# edit-cpu").
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${NESTVIRT_BUILD:-$top/build}
edit=${NESTVIRT_EDIT_CPU:-$build/nestvirt edit-cpu}
py=/usr/bin/python3

if ! command -v virt-xml >/dev/null 2>&1 || [ ! -x "$py" ] ||
	! "$py" -c 'import libvirt, gi' >/dev/null 2>&1; then
	echo "1..0 # SKIP virt-xml (virtinst) or python3-libvirt not installed"
	exit 0
fi
# shellcheck disable=SC2086 # $edit is a command with arguments
if ! $edit --help >/dev/null 2>&1; then
	echo "1..0 # SKIP '$edit' is not available (nestvirt edit-cpu not wired yet?)"
	exit 0
fi

exec "$py" - "$top/tests/data/domxml" "$edit" <<'EOF'
import glob, io, os, random, re, shlex, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, "/usr/share/virt-manager")
import libvirt                                 # noqa: E402
from virtinst import cli, virtxml              # noqa: E402

data, edit = sys.argv[1], shlex.split(sys.argv[2])
libvirt.registerErrorHandler(lambda *a: None, None)
conn = cli.getConnection("test:///default")
lv = libvirt.open("test:///default")


def generated_specs(n=120, seed=4242):
    """A fixed pseudo-random set: a model token, feature options and <cpu> options."""
    rnd = random.Random(seed)
    models = ["Haswell", "Skylake-Client-IBRS", "EPYC-Rome", "qemu64", "host", "host-model",
              "host-passthrough", "none", "clear", "hv-default", "model=Penryn", "model="]
    feats = ["+vmx", "-vmx", "+svm", "-svm", "force=vmx", "require=vmx", "optional=vmx",
             "disable=vmx", "forbid=vmx", "require=x2apic", "-x2apic", "+pcid", "forbid=svm",
             "require=svm", "optional=x2apic"]
    opts = ["match=exact", "match=minimum", "match=strict", "match=", "check=none",
            "check=partial", "check=full", "check=", "mode=custom", "mode=host-model",
            "mode=host-passthrough", "mode=maximum", "mode=", "vendor=Intel", "vendor=AMD",
            "vendor=", "model.fallback=allow", "model.fallback=forbid", "model.fallback=",
            "migratable=on", "migratable=off", "migratable=", "clearxml=yes", "clearxml=no",
            "topology.sockets=2,topology.dies=1,topology.cores=2,topology.threads=1",
            "topology.threads=", "cache.mode=passthrough", "cache.level=3,cache.mode=emulate",
            "cache.level=", "model.vendor_id=AuthenticAMD", "model.vendor_id=", "secure=off"]
    out = []
    while len(out) < n:
        toks = rnd.sample(feats, rnd.randint(0, 3)) + rnd.sample(opts, rnd.randint(0, 2))
        rnd.shuffle(toks)
        if rnd.random() < 0.6:
            toks.insert(0, rnd.choice(models))
        elif len(out) % 10:
            # mostly keep a leading "+f"/"-f" away: virt-xml takes it as the model name
            toks.sort(key=lambda t: t[:1] in "+-")
        spec = ",".join(toks)
        if spec and spec not in out:
            out.append(spec)
    return out


def file_specs():
    with open(os.path.join(data, "virtxml-specs.txt")) as f:
        return [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]


def virt_xml(xml, spec):
    """virt-xml --connect test:///default --edit --cpu SPEC, fed XML on stdin."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr, sys.argv
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(xml), out, err
    sys.argv = ["virt-xml", "--connect", "test:///default", "--edit", "--cpu", spec]
    try:
        try:
            rc = virtxml.main(conn=conn)
        except SystemExit as e:
            rc = e.code
        except Exception as e:  # a virt-xml crash counts as a refusal
            rc = -1
            err.write("exception: %r" % e)
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved
    msg = " ".join(l for l in err.getvalue().splitlines() if "ERROR" in l or "exception" in l)
    return (rc or 0), out.getvalue(), msg


def ours(path, spec):
    p = subprocess.run(edit + ["--no-map", "--override", "--cpu", spec, path],
                       capture_output=True, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode().strip()


def summary(xml):
    """What the comparison looks at; None for no <cpu> (or an empty one)."""
    d = ET.fromstring(xml[xml.index("<domain"):])
    c = d.find("cpu")
    if c is None or (not c.attrib and len(c) == 0):
        return None
    m, v = c.find("model"), c.find("vendor")
    t, ca = c.find("topology"), c.find("cache")
    return {
        "mode": c.get("mode"), "match": c.get("match"), "check": c.get("check"),
        "migratable": c.get("migratable"),
        "model": (m.text or None) if m is not None else None,
        "fallback": m.get("fallback") if m is not None else None,
        "vendor_id": m.get("vendor_id") if m is not None else None,
        "vendor": (v.text or None) if v is not None else None,
        "features": sorted((f.get("name"), f.get("policy")) for f in c.findall("feature")),
        "topology": dict(t.attrib) if t is not None else None,
        "cache": dict(ca.attrib) if ca is not None else None,
        "numa": c.find("numa") is not None,
    }


def libvirt_error(xml):
    """None if libvirt's parser accepts the domain, else its message."""
    try:
        lv.defineXML(xml).undefine()
        return None
    except libvirt.libvirtError as e:
        return str(e)


CPU_RE = re.compile(r"\n[ \t]*<cpu\b(?:[^>]*/>|.*?</cpu>)", re.S)


TMP = tempfile.mkdtemp(prefix="nestvirt-diff.")


def check_ours(spec, src, out):
    """Problems with nestvirt's own result, [] when it is sound."""
    probs = []
    if CPU_RE.sub("", src, count=1) != CPU_RE.sub("", out, count=1):
        probs.append("bytes outside <cpu> changed")
    err = libvirt_error(out)
    if err:
        probs.append("libvirt rejects nestvirt's result: " + err)
    tmp = os.path.join(TMP, "again.xml")
    with open(tmp, "w") as f:
        f.write(out)
    rc, again, msg = ours(tmp, spec)
    os.unlink(tmp)
    if rc != 0 or again != out or not msg.startswith("unchanged"):
        probs.append("second run not a no-op: rc=%d %s" % (rc, msg))
    return probs


LIVE = ("host-model-only", "host-copy", "default")
UNSUPPORTED = re.compile(r"(^|,)(numa\.|cell|xpath)")


def documented(spec, a_rc, a_out, b_rc, b_msg):
    """Why a difference is expected, or None."""
    first = spec.split(",")[0]
    if first in LIVE or first in ("model=" + x for x in LIVE):
        return "needs a running libvirt"
    if UNSUPPORTED.search(spec) and b_rc == 2:
        return "NUMA/XPath options are not edited by nestvirt"
    if first[:1] in "+-" and b_rc == 2:
        return "a leading +/-feature is virt-xml's model name"
    if b_rc == 4 and "drop <cpu><numa>" in b_msg and " refers to" in b_msg:
        return "nestvirt keeps the NUMA cells other elements refer to"
    if a_rc == 0:
        err = libvirt_error(a_out)
        if err:
            return "libvirt rejects virt-xml's result (%s)" % err.split("\n")[0][:90]
    return None


inputs = sorted(glob.glob(os.path.join(data, "diff", "*.xml")))
specs = file_specs()
nfile = len(specs)
specs += [s for s in generated_specs() if s not in specs]
cases = [(p, s, i < nfile) for i, s in enumerate(specs) for p in inputs]
print("1..%d" % len(cases))
counts = {"agree": 0, "documented": 0, "failed": 0}
agree_split = {True: 0, False: 0}
reasons = {}
for n, (path, spec, from_file) in enumerate(cases, 1):
    name = "%s: --cpu %s" % (os.path.basename(path), spec)
    with open(path) as f:
        src = f.read()
    a_rc, a_out, a_msg = virt_xml(src, spec)
    b_rc, b_out, b_msg = ours(path, spec)
    probs = check_ours(spec, src, b_out) if b_rc == 0 and b_out != src else []
    a_sum = summary(a_out) if a_rc == 0 else "refused"
    b_sum = summary(b_out) if b_rc == 0 else "refused"
    why = None
    if a_sum == b_sum:
        verdict = "agree"
    else:
        why = documented(spec, a_rc, a_out, b_rc, b_msg)
        verdict = "documented" if why else "failed"
    if probs:
        verdict = "failed"
    counts[verdict] += 1
    if verdict == "agree":
        agree_split[from_file] += 1
    if verdict == "documented":
        key = re.sub(r" \(.*", "", why)
        reasons[key] = reasons.get(key, 0) + 1
    if verdict == "failed":
        print("not ok %d - %s" % (n, name))
        print("#   virt-xml: rc=%s %s %s" % (a_rc, a_msg, a_sum))
        print("#   nestvirt: rc=%s %s %s" % (b_rc, b_msg, b_sum))
        for p in probs:
            print("#   " + p)
    else:
        print("ok %d - %s (%s)" % (n, name, why or verdict))
print("# %d SPECs (%d from virt-manager, %d generated) x %d domains = %d cases"
      % (len(specs), nfile, len(specs) - nfile, len(inputs), len(cases)))
print("# agree %d (virt-manager %d, generated %d), documented differences %d, failed %d"
      % (counts["agree"], agree_split[True], agree_split[False], counts["documented"],
         counts["failed"]))
for k, v in sorted(reasons.items()):
    print("#   %4d  %s" % (v, k))
os.rmdir(TMP)
sys.exit(0)
EOF
