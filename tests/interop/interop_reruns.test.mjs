// `sigtrust interop --reruns N`: a cell that deviates is run again, up to N
// times, and is met if a rerun meets its expectation; every earlier run is
// kept in the result and repeated after the totals line. A cell the attacker
// won where the stack was measured to resist is never run again: that is a
// finding, not a flake. Without --reruns a deviation stands at once.
//
// The stack is werift (npm, unpatched) behind a wrapper whose first adapter of
// a run crashes (SIGSEGV); every later adapter is werift's own.
// SIGTRUST_BINARY names the sigtrust binary (which enters its own private
// network namespace).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SIGTRUST = process.env.SIGTRUST_BINARY;
assert.ok(SIGTRUST, "SIGTRUST_BINARY must name the sigtrust binary");
const WERIFT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "interop", "werift", "client.mjs");
const WORK = mkdtempSync(join(tmpdir(), "sigtrust-interop-reruns-"));
const CRASHED = join(WORK, "crashed-once");

const registry = join(WORK, "stacks.yaml");
writeFileSync(registry, `
flaky:
  command: [sh, -c, 'if mkdir ${CRASHED} 2>/dev/null; then echo "flaky-adapter: first run" >&2; kill -SEGV $$; fi; exec node ${WERIFT} "$@"', flaky]
  version: [echo, flaky 1.0]
`);

// Runs the flaky stack with itself under `attack`, expecting `outcome`; its
// first adapter crashes unless `crash` is false.
const interop = (attack, outcome, extra, crash = true) => {
  rmSync(CRASHED, { recursive: true, force: true });
  if (!crash) mkdirSync(CRASHED);
  const expected = join(WORK, "expected.yaml");
  writeFileSync(expected, `flaky/flaky:\n  ${attack}: {outcome: ${outcome}, reason: "werift", version: flaky 1.0}\n`);
  const json = join(WORK, `${attack}-${extra.join("")}.json`);
  const r = spawnSync(SIGTRUST, ["interop", "--registry", registry, "--expectations", expected, "--stacks", "flaky",
                                 "--attacks", attack, "--deadline-ms", "8000", "--json", json, ...extra],
                      { encoding: "utf8", timeout: 120000 });
  const doc = JSON.parse(readFileSync(json, "utf8"));
  return { r, doc, cell: doc.cells[0] };
};

test("a cell that crashed once and met its expectation on the rerun is met, with the crash kept", () => {
  const { r, doc, cell } = interop("none", "secure", ["--reruns", "1"]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.ok(existsSync(CRASHED), "the first adapter crashed");
  assert.equal(cell.outcome, "secure", JSON.stringify(cell));
  assert.equal(cell.met, true);
  assert.equal(cell.earlier_runs.length, 1);
  assert.equal(cell.earlier_runs[0].outcome, "failed");
  assert.match(cell.earlier_runs[0].failure, /^(alice|bob) \(flaky\): killed by signal 11$/);
  assert.match(cell.earlier_runs[0].stderr_tail, /flaky-adapter: first run/);
  assert.deepEqual([doc.summary.deviations, doc.summary.met_on_rerun], [0, 1]);
  assert.match(r.stdout, /^1 cell\(s\), 0 deviation\(s\), 1 met only on a rerun$/m);
  assert.match(r.stdout, /^MET ON RERUN flaky\/flaky\/none: secure, expected secure\n    run 1 of 2: failed: (alice|bob) \(flaky\): killed by signal 11\nflaky-adapter: first run\n/m);
});

test("without --reruns the same crash is a deviation, repeated after the totals line", () => {
  const { r, doc, cell } = interop("none", "secure", []);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.equal(cell.outcome, "failed");
  assert.equal(cell.met, false);
  assert.deepEqual(cell.earlier_runs, []);
  assert.deepEqual([doc.summary.deviations, doc.summary.met_on_rerun], [1, 0]);
  assert.match(r.stdout, /^1 cell\(s\), 1 deviation\(s\)\nDEVIATION flaky\/flaky\/none: failed, expected secure\n    run 1 of 1: failed: (alice|bob) \(flaky\): killed by signal 11\n/m);
  assert.match(r.stdout, /flaky-adapter: first run/);
});

test("a cell the attacker won where the stack was measured to resist is never run again", () => {
  // werift under swap-mitm is mitm-undetected; expecting `detected` says the
  // stack should have caught the attacker. No adapter crashes here.
  const { r, doc, cell } = interop("swap-mitm", "detected", ["--reruns", "3"], false);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.equal(cell.outcome, "mitm-undetected", JSON.stringify(cell));
  assert.equal(cell.met, false);
  assert.deepEqual(cell.earlier_runs, [], "not run again");
  assert.deepEqual([doc.summary.deviations, doc.summary.met_on_rerun], [1, 0]);
  assert.match(r.stdout, /^DEVIATION flaky\/flaky\/swap-mitm: mitm-undetected, expected detected\n    run 1 of 1: mitm-undetected: /m);
});
