// `sigtrust interop` with deliberately broken adapters: one that crashes (a
// signal), one that hangs, one that prints garbage. Each cell is `failed` with
// that adapter's stderr tail, the run goes on to the next cell, the deviation
// makes it exit 1, and no adapter process outlives the run — also with
// --jobs 3, where the three cells run at once and are written in the same
// order.
//
// SIGTRUST_BINARY names the sigtrust binary (which enters its own private
// network namespace).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SIGTRUST = process.env.SIGTRUST_BINARY;
assert.ok(SIGTRUST, "SIGTRUST_BINARY must name the sigtrust binary");
const WORK = mkdtempSync(join(tmpdir(), "sigtrust-interop-cmd-"));

// A process whose command line holds `marker`, if one still runs.
const running = (marker) =>
  readdirSync("/proc").filter((p) => /^\d+$/.test(p)).some((p) => {
    try { return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(marker); } catch { return false; }
  });

for (const jobs of [1, 3])
test(`broken adapters (--jobs ${jobs}): crash, hang, garbage and a line after the exit event each give a failed cell with their stderr tail; the run goes on`, () => {
  const hangMarker = `sleep ${600 + (process.pid % 97) + jobs}`;
  const registry = join(WORK, "stacks.yaml");
  // Ends with its exit event, then prints one more event (as adapters did when
  // closing the peer connection fired a state change).
  const chatty = join(WORK, "chatty.sh");
  writeFileSync(chatty, `echo '{"event":"exit","code":0,"received":[]}'\necho '{"event":"connection","state":"closed"}'\necho "chatty-adapter: closed" >&2\n`);
  writeFileSync(registry, `
crash:
  command: [sh, -c, 'echo "crash-adapter: about to die" >&2; kill -SEGV $$']
  version: [echo, crash 1.0]
hang:
  command: [sh, -c, 'echo "hang-adapter: waiting forever" >&2; exec ${hangMarker}']
  version: [echo, hang 1.0]
garbage:
  command: [sh, -c, 'echo "this is not JSON"; echo "garbage-adapter: said nonsense" >&2']
  version: [echo, garbage 1.0]
chatty:
  command: [sh, ${chatty}]
  version: [echo, chatty 1.0]
absent:
  command: [node, /nonexistent/client.mjs]
  version: [sh, -c, 'exit 1']
`);
  const expected = join(WORK, "expected.yaml");
  writeFileSync(expected, ["crash", "hang", "garbage", "chatty"].map((s) =>
    `${s}/${s}:\n  none: {outcome: secure, reason: "a real stack would connect", version: ${s} 1.0}\n`).join(""));
  const json = join(WORK, "out.json");
  const started = Date.now();
  const r = spawnSync(SIGTRUST, ["interop", "--registry", registry, "--expectations", expected, "--stacks",
                                 "crash,hang,garbage,chatty", "--attacks", "none", "--deadline-ms", "3000", "--jobs", String(jobs),
                                 "--json", json],
                      { encoding: "utf8", timeout: 60000 });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const doc = JSON.parse(readFileSync(json, "utf8"));
  const cell = (s) => doc.cells.find((c) => c.offerer === s);
  assert.deepEqual(doc.cells.map((c) => c.cell), ["crash/crash/none", "hang/hang/none", "garbage/garbage/none", "chatty/chatty/none"],
                   "every cell ran, in the canonical order");
  for (const c of doc.cells) {
    assert.equal(c.outcome, "failed");
    assert.equal(c.met, false);
  }
  assert.match(cell("crash").failure, /^alice \(crash\): killed by signal 11$/);
  assert.match(cell("crash").stderr_tail, /crash-adapter: about to die/);
  assert.match(cell("hang").failure, /^alice \(hang\): hung: killed at the cell's deadline$/);
  assert.match(cell("hang").stderr_tail, /hang-adapter: waiting forever/);
  assert.ok(cell("hang").seconds >= 3 && cell("hang").seconds < 15, `hang cell took ${cell("hang").seconds} s`);
  assert.match(cell("garbage").failure, /^alice \(garbage\): printed something other than JSON events: this is not JSON$/);
  assert.match(cell("garbage").stderr_tail, /garbage-adapter: said nonsense/);
  assert.match(cell("chatty").failure, /^alice \(chatty\): printed after its exit event: \{"event":"connection","state":"closed"\}$/);
  assert.match(cell("chatty").stderr_tail, /chatty-adapter: closed/);
  assert.deepEqual(doc.summary.missing_stacks, []);
  assert.equal(running(hangMarker), false, "the hanging adapter was killed");
  assert.ok(Date.now() - started < 30000);

  // A stack whose version probe fails is reported missing: exit 2 (it was asked for by --stacks).
  const m = spawnSync(SIGTRUST, ["interop", "--registry", registry, "--expectations", expected, "--stacks",
                                 "absent", "--attacks", "none", "--json", json], { encoding: "utf8", timeout: 30000 });
  assert.equal(m.status, 2, m.stdout + m.stderr);
  assert.match(m.stdout, /absent: MISSING/);
  assert.deepEqual(JSON.parse(readFileSync(json, "utf8")).summary.missing_stacks, ["absent"]);
});

// The relay infers `secure` for a client that sent no report over unaltered
// signaling; an adapter that then ends failed (exit 1) has shown no session.
test("a cell the relay inferred secure while an adapter ended failed is failed, not secure", () => {
  const registry = join(WORK, "silent.yaml");
  writeFileSync(registry, `silent:\n  command: [node, ${join(import.meta.dirname, "silent_adapter.mjs")}]\n  version: [echo, silent 1.0]\n`);
  const expected = join(WORK, "silent-expected.yaml");
  writeFileSync(expected, `silent/silent:\n  none: {outcome: secure, reason: "a real stack would connect", version: silent 1.0}\n`);
  const json = join(WORK, "silent.json");
  const r = spawnSync(SIGTRUST, ["interop", "--registry", registry, "--expectations", expected, "--stacks", "silent",
                                 "--attacks", "none", "--deadline-ms", "8000", "--json", json],
                      { encoding: "utf8", timeout: 60000 });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const [c] = JSON.parse(readFileSync(json, "utf8")).cells;
  assert.equal(c.outcome, "failed", JSON.stringify(c));
  assert.match(c.failure, /^alice \(silent\): judged secure by inference, but the adapter ended with exit 1: never connected$/);
});

test("a bad registry file exits 2 with file:line:column", () => {
  const registry = join(WORK, "bad.yaml");
  writeFileSync(registry, "werift:\n  command: [node, x.mjs]\n  colour: blue\n  version: [echo, v]\n");
  const r = spawnSync(SIGTRUST, ["interop", "--registry", registry], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`${registry}:3:3: unknown key 'colour'`));
});

// A registry `service`: started once for the run (not once a cell), its first
// line handed to each of the stack's adapters as --service, killed when the run
// ends; a service that gives no endpoint fails its stack's cells with its
// stderr tail, and the other stacks' cells run as ever.
test("a stack's service starts once a run, its endpoint reaches every adapter, and it is killed at the end", () => {
  const marker = `sleep ${700 + (process.pid % 89)}`;
  const starts = join(WORK, "service-starts.txt");
  const argvs = join(WORK, "adapter-argv.txt");
  const adapter = join(WORK, "argv-adapter.sh");
  writeFileSync(adapter, `printf '%s\\n' "$*" >> ${argvs}\necho '{"event":"exit","code":0,"received":[]}'\n`);
  const registry = join(WORK, "service.yaml");
  writeFileSync(registry, `
shared:
  command: [sh, ${adapter}]
  version: [echo, shared 1.0]
  service: [sh, -c, 'echo started >> ${starts}; echo ws://127.0.0.1:9/stand-in; exec ${marker}']
broken:
  command: [sh, ${adapter}]
  version: [echo, broken 1.0]
  service: [sh, -c, 'echo "broken-service: no browser here" >&2; exit 3']
`);
  const expected = join(WORK, "service-expected.yaml");
  // The stand-in adapters never join the room: their cells are failed, as expected.
  writeFileSync(expected, [["shared", "failed"], ["broken", "secure"]].map(([s, o]) =>
    `${s}/${s}:\n  none: {outcome: ${o}, reason: "stand-in", version: ${s} 1.0}\n  swap-mitm: {outcome: ${o}, reason: "stand-in", version: ${s} 1.0}\n`).join(""));
  const json = join(WORK, "service.json");
  const r = spawnSync(SIGTRUST, ["interop", "--registry", registry, "--expectations", expected, "--stacks", "shared,broken",
                                 "--pairs", "same", "--attacks", "none,swap-mitm", "--deadline-ms", "4000", "--jobs", "2",
                                 "--json", json], { encoding: "utf8", timeout: 60000 });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const doc = JSON.parse(readFileSync(json, "utf8"));
  assert.equal(readFileSync(starts, "utf8"), "started\n", "the service started once for the run's two cells");
  const lines = readFileSync(argvs, "utf8").trim().split("\n");
  assert.equal(lines.length, 4, "two shared cells, two adapters each");
  for (const line of lines) assert.match(line, /--service ws:\/\/127\.0\.0\.1:9\/stand-in$/);
  assert.equal(running(marker), false, "the service was killed when the run ended");
  const shared = doc.stacks.find((s) => s.name === "shared");
  assert.ok(shared.service.seconds >= 0 && shared.service.seconds < 60, JSON.stringify(shared));
  const broken = doc.stacks.find((s) => s.name === "broken");
  assert.equal(broken.service.failure, "service ended before it gave its endpoint");
  for (const c of doc.cells.filter((c) => c.offerer === "broken")) {
    assert.equal(c.outcome, "failed");
    assert.equal(c.failure, "broken: service ended before it gave its endpoint");
    assert.match(c.stderr_tail, /broken-service: no browser here/);
  }
  for (const c of doc.cells.filter((c) => c.offerer === "shared")) {
    assert.equal(c.outcome, "failed");
    assert.equal(c.failure, "the relay judged no session");
    assert.equal(c.met, true);
  }
});

// A cell measured to go either way lists its outcomes: any of them meets it;
// another is a deviation naming them all; an empty list is refused.
test("an expectation may list the outcomes of a racy cell: any meets it, another is a deviation", () => {
  const registry = join(WORK, "racy.yaml");
  writeFileSync(registry, `silent:\n  command: [node, ${join(import.meta.dirname, "silent_adapter.mjs")}]\n  version: [echo, silent 1.0]\n`);
  const run = (outcome) => {
    const expected = join(WORK, "racy-expected.yaml");
    writeFileSync(expected, `silent/silent:\n  none: {outcome: ${outcome}, reason: "a race", version: silent 1.0}\n`);
    const json = join(WORK, "racy.json");
    const r = spawnSync(SIGTRUST, ["interop", "--registry", registry, "--expectations", expected, "--stacks", "silent",
                                   "--attacks", "none", "--deadline-ms", "8000", "--json", json],
                        { encoding: "utf8", timeout: 60000 });
    return { r, cell: r.status === 2 ? null : JSON.parse(readFileSync(json, "utf8")).cells[0] };
  };
  const met = run("[detected, failed]");  // the silent adapters' cell is failed
  assert.equal(met.r.status, 0, met.r.stdout + met.r.stderr);
  assert.equal(met.cell.expected, "detected or failed");
  assert.equal(met.cell.met, true);
  const missed = run("[secure, detected]");
  assert.equal(missed.r.status, 1, missed.r.stdout + missed.r.stderr);
  assert.match(missed.r.stdout, /DEVIATION: expected secure or detected/);
  assert.equal(missed.cell.met, false);
  const empty = run("[]");
  assert.equal(empty.r.status, 2);
  assert.match(empty.r.stderr, /racy-expected\.yaml:2:\d+: outcome: expected an outcome or a list of them/);
});
