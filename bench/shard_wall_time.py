#!/usr/bin/env python3
"""Wall time of the whole matrix as N shards in N processes at once (each
--jobs 1) against one process with --jobs N, on this machine; the same cells
(the merged shards are checked against the unsharded run, cell for cell).
Prints the load average before and after, every repetition, and the medians.

usage: bench/shard_wall_time.py [SIGTRUST] [--shards N] [--repeats R]
Figures: docs/performance.md, "Shards against --jobs".
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("sigtrust", nargs="?", default=os.path.join(here, "..", "build", "sigtrust"))
parser.add_argument("--shards", type=int, default=2)
parser.add_argument("--repeats", type=int, default=10)
args = parser.parse_args()
n = args.shards
work = tempfile.mkdtemp(prefix="sigtrust-shard-bench-")


def unsharded(out):
    start = time.monotonic()
    subprocess.run([args.sigtrust, "matrix", "--jobs", str(n), "-q", "--json", out], check=True)
    return time.monotonic() - start


def sharded(prefix):
    start = time.monotonic()
    procs = [subprocess.Popen([args.sigtrust, "matrix", "--shard", f"{k}/{n}", "--jobs", "1", "-q", "--json",
                               f"{prefix}{k}.json"]) for k in range(1, n + 1)]
    for p in procs:
        if p.wait() != 0:
            raise SystemExit(f"a shard exited {p.returncode}")
    return time.monotonic() - start


def cells(path):
    with open(path) as f:
        doc = json.load(f)
    return {r["cell"]: [s["outcome"] for s in r["sessions"]] for r in doc["runs"]}


print(f"load average before: {os.getloadavg()}")
one, split = [], []
for i in range(args.repeats):  # alternated, so both see the same load
    one.append(unsharded(os.path.join(work, "all.json")))
    split.append(sharded(os.path.join(work, "s")))
    print(f"run {i + 1}: --jobs {n} {one[-1]:.3f} s, {n} shards {split[-1]:.3f} s")
print(f"load average after: {os.getloadavg()}")

merged = os.path.join(work, "merged.json")
shards = [os.path.join(work, f"s{k}.json") for k in range(1, n + 1)]
subprocess.run([args.sigtrust, "report", "merge", *shards, "--json", merged, "-q"], check=True)
same = cells(merged) == cells(os.path.join(work, "all.json"))
sizes = [len(cells(s)) for s in shards]
print(f"cells: {len(cells(merged))} ({' + '.join(map(str, sizes))}), same cells and outcomes as unsharded: {same}")
a, b = statistics.median(one), statistics.median(split)
print(f"median: --jobs {n} {a:.3f} s, {n} shards {b:.3f} s, ratio {b / a:.2f}")
print(f"min:    --jobs {n} {min(one):.3f} s, {n} shards {min(split):.3f} s, ratio {min(split) / min(one):.2f}")
