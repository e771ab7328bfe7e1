#!/usr/bin/env python3
"""Seconds per `sigtrust interop` cell, per stack, against issue 14's targets
(native stacks <= 1.5 s, Chromium <= 4 s, Firefox <= 15 s per cell).

Each stack with itself, one cell at a time (--jobs 1), under the attacks whose
cells run to the end of a session (none, swap-mitm: both peers connect, one of
them to the attacker) rather than out an adapter's time-out; R repetitions.
A cell's time is its wall time: the relay, both adapters' processes (their
runtimes starting included) and the judging. The browsers run as in every
`sigtrust interop` run, one for the run (the registry's `service`); how long
that start took is printed too, once per run. Prints the load average before
and after, each stack's cells, and the median per stack against its target.

usage: bench/interop_cells.py [SIGTRUST] [--stacks A,B] [--repeats R]
Figures: docs/performance.md, "Real WebRTC stacks: seconds per cell".
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("sigtrust", nargs="?", default=os.path.join(here, "..", "build", "sigtrust"))
parser.add_argument("--stacks", default="werift,node-datachannel,pion,aiortc,wrtc,gstreamer,chromium,firefox")
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()
TARGET = {"chromium": 4.0, "firefox": 15.0}  # every other stack is native: 1.5 s
work = tempfile.mkdtemp(prefix="sigtrust-interop-bench-")

print("load average before:", os.getloadavg())
cells = {s: [] for s in args.stacks.split(",")}
services = {s: [] for s in cells}
for r in range(args.repeats):
    out = os.path.join(work, f"run-{r}.json")
    p = subprocess.run([args.sigtrust, "interop", "--stacks", args.stacks, "--pairs", "same", "--attacks",
                        "none,swap-mitm", "--jobs", "1", "--deadline-ms", "20000", "--json", out],
                       stdout=subprocess.DEVNULL)
    doc = json.load(open(out))
    for c in doc["cells"]:
        if not c["met"]:
            print(f"run {r}: {c['cell']} {c['outcome']} (expected {c['expected']}): not counted")
            continue
        cells[c["offerer"]].append(c["seconds"])
    for s in doc["stacks"]:
        if "service" in s and "seconds" in s["service"]:
            services[s["name"]].append(s["service"]["seconds"])
    if p.returncode not in (0, 1):
        raise SystemExit(f"sigtrust interop exited {p.returncode}")
print("load average after:", os.getloadavg())

print(f"{'stack':18} {'cells':>5} {'median':>7} {'min':>6} {'max':>6} {'target':>7}  service start")
for stack, times in cells.items():
    if not times:
        print(f"{stack:18} no cell met its expectation")
        continue
    target = TARGET.get(stack, 1.5)
    median = statistics.median(times)
    svc = ", ".join(f"{t:.1f}" for t in services[stack]) or "-"
    print(f"{stack:18} {len(times):5} {median:6.2f}s {min(times):5.2f}s {max(times):5.2f}s {target:6.1f}s"
          f"  {svc}{'' if median <= target else '   MISSED'}")
