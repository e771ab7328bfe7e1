// Shared by the PeerJS tests: Debian's headless Chromium (driven by
// playwright-core; never a downloaded browser), sigtrust processes, and the
// wallet demo page's two co-signers.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";

export const SIGTRUST = process.env.SIGTRUST_BINARY;
assert.ok(SIGTRUST, "SIGTRUST_BINARY must name the sigtrust binary");
const HERE = dirname(fileURLToPath(import.meta.url));
export const PEERJS_BUNDLE = join(HERE, "node_modules/peerjs/dist/peerjs.min.js");

let browser = null;
const children = [];

export async function browserInstance() {
  if (!browser)
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox", "--allow-loopback-in-peer-connection", "--use-fake-ui-for-media-stream",
             "--disable-features=WebRtcHideLocalIpsWithMdns"],
    });
  return browser;
}

export async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

// Starts a process and resolves when its output matches `ready` (with the match).
export function start(cmd, args, ready, { env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env });
    children.push(proc);
    let out = "", err = "", done = false;
    const exited = new Promise((res) => proc.on("exit", (code, signal) => res({ code, signal, out, err })));
    const look = () => {
      const m = ready.exec(out + err);
      if (m && !done) { done = true; resolve({ proc, match: m, exited, output: () => out, errors: () => err }); }
    };
    proc.stdout.on("data", (d) => { out += d; look(); });
    proc.stderr.on("data", (d) => { err += d; look(); });
    proc.on("exit", (code) => { if (!done) reject(new Error(`${cmd} exited (${code}) before it was ready: ${out}${err}`)); });
    setTimeout(() => { if (!done) reject(new Error(`${cmd} was not ready in 15 s: ${out}${err}`)); }, 15000).unref();
  });
}

// `sigtrust relay --protocol peerjs`, or `sigtrust proxy` (cmd "proxy"), on port 0.
export async function startSigtrust(cmd, args) {
  const p = await start(SIGTRUST, [cmd, "--listen", "127.0.0.1:0", ...args], /demo page: (http:\/\/[0-9.]+:\d+)\//);
  return { ...p, url: p.match[1] };
}

export async function stop(p) {
  p.proc.kill("SIGTERM");
  const r = await p.exited;
  assert.equal(r.code, 0, `exit status (stderr: ${r.err})`);
  return r;
}

export const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));

// Opens the wallet page as the co-signer (bob, waits) and the proposer
// (alice, proposes to bob), each in its own browser context.
export async function wallet(url, { address = "bc1qalice", waitFor = "cosigned" } = {}) {
  const b = await browserInstance();
  const [ca, cb] = [await b.newContext(), await b.newContext()];
  const bob = await cb.newPage();
  await bob.goto(`${url}/?id=bob`);
  await bob.waitForFunction(() => window.sigtrust && window.sigtrust.state.startsWith("registered"), null, { timeout: 15000 });
  const alice = await ca.newPage();
  await alice.goto(`${url}/?id=alice&to=bob&amount=0.5&address=${address}`);
  if (waitFor === "cosigned") {
    for (const p of [alice, bob])  // each page has the co-signature and its report reached the server
      await p.waitForFunction(() => window.sigtrust.cosignature !== null && window.sigtrust.sas !== null &&
                                    window.sigtrust.reportsDelivered > 0, null, { timeout: 20000 });
    await alice.waitForFunction(() => window.sigtrust.cosignatureValid !== null, null, { timeout: 10000 });
  }
  const view = async () => [await alice.evaluate(() => ({ ...window.sigtrust, peerjs: undefined })),
                            await bob.evaluate(() => ({ ...window.sigtrust, peerjs: undefined }))];
  return { alice, bob, view, close: async () => { await ca.close(); await cb.close(); } };
}
