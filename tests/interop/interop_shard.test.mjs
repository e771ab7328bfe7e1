// `sigtrust interop --shard K/N` with a real stack: libdatachannel
// (node-datachannel) with itself under swap-mitm, append-mitm and prepend-mitm, run
// unsharded and as 2 shards (one process each, as 2 CI jobs would); `sigtrust
// report merge` of the shards gives the unsharded run's cells, in its order,
// with the same outcomes, and its exit status (0: every cell as expected).
//
// SIGTRUST_BINARY names the sigtrust binary (which enters its own private
// network namespace; CTest runs this inside `unshare -rn` with only lo up).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SIGTRUST = process.env.SIGTRUST_BINARY;
assert.ok(SIGTRUST, "SIGTRUST_BINARY must name the sigtrust binary");
const WORK = mkdtempSync(join(tmpdir(), "sigtrust-interop-shard-"));
// No shard variables from the machine running the test (a GitLab job has them).
const env = { ...process.env };
for (const v of ["CI_NODE_INDEX", "CI_NODE_TOTAL", "JOB_COMPLETION_INDEX", "SIGTRUST_SHARDS"]) delete env[v];

const INTEROP = ["interop", "--stacks", "node-datachannel", "--attacks", "swap-mitm,append-mitm,prepend-mitm",
                 "--deadline-ms", "12000"];
const run = (args) => spawnSync(SIGTRUST, args, { encoding: "utf8", timeout: 120000, env });
const load = (name) => JSON.parse(readFileSync(join(WORK, name), "utf8"));
const outcomes = (doc) => doc.cells.map((c) => `${c.cell}: ${c.outcome}${c.met ? "" : " DEVIATION"}`);

test("interop as 2 shards merges to the unsharded run's cells and outcomes", () => {
  const whole = run([...INTEROP, "--json", join(WORK, "all.json")]);
  assert.equal(whole.status, 0, whole.stdout + whole.stderr);
  const all = load("all.json");
  assert.equal(all.cells.length, 3);

  const seen = new Set();
  for (const k of [1, 2]) {
    const r = run([...INTEROP, "--shard", `${k}/2`, "--json", join(WORK, `s${k}.json`)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const s = load(`s${k}.json`);
    assert.deepEqual([s.shard.index, s.shard.total, s.shard.command], [k, 2, "interop"]);
    assert.deepEqual(s.shard.plan.cells, all.cells.map((c) => c.cell));
    assert.deepEqual(s.expectations, all.expectations);
    assert.ok(s.cells.length > 0, `shard ${k} ran nothing`);
    for (const c of s.cells) {
      assert.ok(!seen.has(c.cell), `${c.cell} in two shards`);
      seen.add(c.cell);
    }
  }
  assert.equal(seen.size, all.cells.length);

  const m = run(["report", "merge", join(WORK, "s2.json"), join(WORK, "s1.json"), "--json", join(WORK, "merged.json")]);
  assert.equal(m.status, 0, m.stdout + m.stderr);
  const merged = load("merged.json");
  assert.deepEqual(outcomes(merged), outcomes(all));
  assert.deepEqual(merged.summary, all.summary);
  assert.deepEqual(merged.stacks, all.stacks);
  // Not `none`: libdatachannel offering honestly is a race (scenarios/interop/expected.yaml).
  assert.deepEqual(outcomes(all), ["node-datachannel/node-datachannel/swap-mitm: mitm-undetected",
                                   "node-datachannel/node-datachannel/append-mitm: detected",
                                   "node-datachannel/node-datachannel/prepend-mitm: mitm-undetected"]);
});
