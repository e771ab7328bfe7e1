// Shared by the PeerJS tests: Debian's headless Chromium (driven by
// playwright-core; never a downloaded browser), sigtrust processes, and the
// wallet demo page's two co-signers.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";
import { killChildren, start, startSigtrust as startProcess, stop } from "../support/process.mjs";

export { start, stop };

export const SIGTRUST = process.env.SIGTRUST_BINARY;
assert.ok(SIGTRUST, "SIGTRUST_BINARY must name the sigtrust binary");
const HERE = dirname(fileURLToPath(import.meta.url));
export const PEERJS_BUNDLE = join(HERE, "node_modules/peerjs/dist/peerjs.min.js");

let browser = null;

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
  killChildren();
}

// `sigtrust relay --protocol peerjs`, or `sigtrust proxy` (cmd "proxy"), on port 0.
export const startSigtrust = (cmd, args) => startProcess(SIGTRUST, cmd, args);

export const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));

// How long a page may take to reach a state the test waits on: a bound
// against a hang, not a timing target. Two Chromium pages, PeerJS and a
// bridging sigtrust took over 20 s on this 2-core machine under load.
export const WAIT_MS = 60000;

// Opens the wallet page as the co-signer (bob, waits) and the proposer
// (alice, proposes to bob), each in its own browser context.
export async function wallet(url, { address = "bc1qalice", waitFor = "cosigned" } = {}) {
  const b = await browserInstance();
  const [ca, cb] = [await b.newContext(), await b.newContext()];
  const bob = await cb.newPage();
  await bob.goto(`${url}/?id=bob`);
  await bob.waitForFunction(() => window.sigtrust && window.sigtrust.state.startsWith("registered"), null, { timeout: WAIT_MS });
  const alice = await ca.newPage();
  await alice.goto(`${url}/?id=alice&to=bob&amount=0.5&address=${address}`);
  if (waitFor === "cosigned") {
    for (const p of [alice, bob])  // each page has the co-signature and its report reached the server
      await p.waitForFunction(() => window.sigtrust.cosignature !== null && window.sigtrust.sas !== null &&
                                    window.sigtrust.reportsDelivered > 0, null, { timeout: WAIT_MS });
    await alice.waitForFunction(() => window.sigtrust.cosignatureValid !== null, null, { timeout: WAIT_MS });
  }
  const view = async () => [await alice.evaluate(() => ({ ...window.sigtrust, peerjs: undefined })),
                            await bob.evaluate(() => ({ ...window.sigtrust, peerjs: undefined }))];
  return { alice, bob, view, close: async () => { await ca.close(); await cb.close(); } };
}
