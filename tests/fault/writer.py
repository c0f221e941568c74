#!/usr/bin/python3
# writer.py DIR LOG: a second writer that saves domain files the way libvirt does (NAME.xml.new,
# then rename over NAME.xml), as fast as it can, until SIGTERM. Each version carries a marker,
# <description>writer N</description>, N counting up; at exit LOG gets "NAME N" for the last
# version written to each file. Started in the background by tests/integration/42-race.sh.
import os
import random
import signal
import sys

d, log = sys.argv[1], sys.argv[2]
names = sorted(n for n in os.listdir(d) if n.endswith(".xml"))
base = {}
for n in names:
    with open(os.path.join(d, n), "rb") as f:
        base[n] = f.read()
last = {}
stop = False


def on_term(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
# Tell the test the writer is running (it waits for this file).
open(log + ".ready", "w").close()
k = 0
rnd = random.Random(int(os.environ.get("RACE_SEED", "1")))
while not stop:
    k += 1
    n = rnd.choice(names)
    data = base[n].replace(b"</name>\n", b"</name>\n  <description>writer %d</description>\n" % k, 1)
    tmp = os.path.join(d, n + ".new")
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(d, n))
    last[n] = k
with open(log, "w") as f:
    for n, v in sorted(last.items()):
        f.write("%s %d\n" % (n, v))
