// `sigtrust interop --jobs 2` with real stacks: pion and libdatachannel
// (node-datachannel), each with itself, under none, swap-mitm, append-mitm
// and prepend-mitm (8 cells, none of which waits out a deadline; the two
// stacks that start fastest: werift needs over 10 s to join under a load of
// 15 on 2 cores), run once with --jobs 1 and once with --jobs 2. Both give the
// same cells in the same canonical order with the same outcomes, print them
// in that order, exit 0 (every cell as expected), leave no process of any
// cell running, and `--report-dir` writes every report with the stack ×
// attack table holding every cell.
//
// SIGTRUST_BINARY names the sigtrust binary (which enters its own private
// network namespace; CTest runs this inside `unshare -rn` with only lo up).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SIGTRUST = process.env.SIGTRUST_BINARY;
assert.ok(SIGTRUST, "SIGTRUST_BINARY must name the sigtrust binary");
const WORK = mkdtempSync(join(tmpdir(), "sigtrust-interop-jobs-"));
const env = { ...process.env };
for (const v of ["CI_NODE_INDEX", "CI_NODE_TOTAL", "JOB_COMPLETION_INDEX", "SIGTRUST_SHARDS"]) delete env[v];

const ATTACKS = ["none", "swap-mitm", "append-mitm", "prepend-mitm"];
const INTEROP = ["interop", "--stacks", "pion,node-datachannel", "--pairs", "same", "--attacks", ATTACKS.join(","),
                 "--deadline-ms", "20000"];
const run = (args) => spawnSync(SIGTRUST, args, { encoding: "utf8", timeout: 240000, env });
// A cell measured to go either way (its expectation lists outcomes: libdatachannel
// offering honestly, scenarios/interop/expected.yaml) need only meet it.
const outcomes = (doc) => doc.cells.map((c) =>
  `${c.cell}: ${c.expected.includes(" or ") && c.met ? c.expected : c.outcome}${c.met ? "" : " DEVIATION"}`);
// The cells as printed, in the order printed ("pion/werift × none").
const printed = (stdout) => stdout.split("\n").map((l) => l.match(/^(\S+ × \S+)/)).filter(Boolean).map((m) => m[1]);

// A process that holds a file of `dir` open (every process of a cell writes
// its output into the cell's directory there), if one still runs.
const holdsFileIn = (dir) =>
  readdirSync("/proc").filter((p) => /^\d+$/.test(p)).some((p) => {
    try {
      return readdirSync(`/proc/${p}/fd`).some((fd) => {
        try { return readlinkSync(`/proc/${p}/fd/${fd}`).startsWith(dir); } catch { return false; }
      });
    } catch { return false; }
  });

test("--jobs 2 gives --jobs 1's cells, order and outcomes, and leaves nothing running", () => {
  const docs = {};
  for (const jobs of [1, 2]) {
    const cells = join(WORK, `cells-${jobs}`), reports = join(WORK, `reports-${jobs}`);
    const r = run([...INTEROP, "--jobs", String(jobs), "--work-dir", cells, "--report-dir", reports]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(holdsFileIn(cells), false, `a process of a cell outlived --jobs ${jobs}`);
    docs[jobs] = JSON.parse(readFileSync(join(reports, "result.json"), "utf8"));
    docs[jobs].printed = printed(r.stdout);
    for (const f of ["report.md", "report.html", "junit.xml", "results.sarif"])
      assert.ok(existsSync(join(reports, f)), `--jobs ${jobs}: no ${f}`);
  }
  const pairs = ["pion/pion", "node-datachannel/node-datachannel"];
  const canonical = pairs.flatMap((p) => ATTACKS.map((a) => `${p}/${a}`));
  assert.deepEqual(docs[1].cells.map((c) => c.cell), canonical);
  assert.deepEqual(docs[2].cells.map((c) => c.cell), canonical);
  assert.deepEqual(outcomes(docs[2]), outcomes(docs[1]));
  assert.deepEqual(docs[2].printed, docs[1].printed);
  assert.equal(docs[2].printed.length, canonical.length);
  assert.deepEqual(docs[2].summary, docs[1].summary);
  assert.deepEqual(docs[2].stacks, docs[1].stacks);
  assert.ok(outcomes(docs[1]).every((o) => !o.endsWith("DEVIATION")), outcomes(docs[1]).join("\n"));

  // The table of the report holds every cell: a row per attack, a column per ordered pair.
  const md = readFileSync(join(WORK, "reports-2", "report.md"), "utf8");
  assert.match(md, /\| attack \\\\ offerer → answerer \| pion → pion \| node-datachannel → node-datachannel \|/);
  for (const attack of ATTACKS) {
    const row = md.split("\n").find((l) => l.startsWith(`| ${attack} |`));
    assert.ok(row, `no row for ${attack}`);
    const cellsOfRow = row.split("|").slice(2, -1).map((s) => s.trim().split(" ")[0]);
    assert.deepEqual(cellsOfRow, pairs.map((p) => docs[2].cells.find((c) => c.cell === `${p}/${attack}`).outcome));
  }
  const html = readFileSync(join(WORK, "reports-2", "report.html"), "utf8");
  for (const s of docs[2].stacks) assert.ok(html.includes(`<tr><td>${s.name}</td><td>${s.version}</td></tr>`), s.name);
});
