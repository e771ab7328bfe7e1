// The child processes of the JavaScript tests (browser, interop, PeerJS):
// started, waited on by what they print, stopped, and killed if a failed
// test left them behind. Node's own modules only, so every test folder can
// import it whatever its npm packages.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

const children = [];

// What a failed test left behind: killed (or node would wait for it).
export function killChildren() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

// Starts `cmd args` and resolves, once its output matches `ready`, with
//   { proc, match, exited, output(), errors(), printed(re) }:
// `exited` resolves with { code, signal, out, err }; `printed(re)` resolves
// once its standard output matches `re` (a sigtrust process prints its
// timeline one event a line): what tests wait on instead of pausing.
export function start(cmd, args, ready, { env = process.env, readyWithinMs = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env });
    children.push(proc);
    let out = "", err = "", started = false;
    const waiters = [];
    const printed = (re) => new Promise((res) => {
      if (re.test(out)) res();
      else waiters.push({ re, res });
    });
    const exited = new Promise((res) => proc.on("exit", (code, signal) => res({ code, signal, out, err })));
    const look = () => {
      for (let i = waiters.length - 1; i >= 0; --i)
        if (waiters[i].re.test(out)) waiters.splice(i, 1)[0].res();
      const m = ready.exec(out + err);
      if (m && !started) {
        started = true;
        resolve({ proc, match: m, exited, output: () => out, errors: () => err, printed });
      }
    };
    proc.stdout.on("data", (d) => { out += d; look(); });
    proc.stderr.on("data", (d) => { err += d; look(); });
    proc.on("exit", (code) => {
      if (!started) reject(new Error(`${cmd} exited (${code}) before it was ready: ${out}${err}`));
    });
    setTimeout(() => {
      if (!started) reject(new Error(`${cmd} was not ready in ${readyWithinMs} ms: ${out}${err}`));
    }, readyWithinMs).unref();
  });
}

// `sigtrust CMD --listen 127.0.0.1:0 ARGS` (relay or proxy); `url` is the
// demo page's base URL, or with `{ websocket: true }` the relay's ws:// URL.
export async function startSigtrust(binary, cmd, args, { websocket = false } = {}) {
  const ready = websocket ? /relay on (ws:\/\/[0-9.]+:\d+)\// : /demo page: (http:\/\/[0-9.]+:\d+)\//;
  const p = await start(binary, [cmd, "--listen", "127.0.0.1:0", ...args], ready);
  return { ...p, url: p.match[1] };
}

// SIGTERM, then the process must exit 0; resolves with what `exited` gives.
export async function stop(p) {
  p.proc.kill("SIGTERM");
  const r = await p.exited;
  assert.equal(r.code, 0, `exit status (stderr: ${r.err})`);
  return r;
}

// Runs one interop client (interop/<stack>/client.mjs) in its own Node process
// to its end: resolves with { code, events, err, find(name) }, the JSON events
// it printed one a line.
export function runClient(script, url, room, peer, role, extra = []) {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [script, "--url", `${url}/${room}`, "--peer", peer, "--role", role, ...extra],
                       { stdio: ["ignore", "pipe", "pipe"] });
    children.push(proc);
    let out = "", err = "";
    proc.stdout.on("data", (d) => { out += d; });
    proc.stderr.on("data", (d) => { err += d; });
    proc.on("exit", (code) => {
      const events = out.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      resolve({ code, events, err, find: (name) => events.find((e) => e.event === name) });
    });
  });
}
