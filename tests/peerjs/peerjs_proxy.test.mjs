// `sigtrust proxy` in front of unmodified signaling servers: a real
// PeerServer (npm `peer`) with the wallet demo's PeerJS clients in Debian's
// headless Chromium, and a small JSON-over-WebSocket server of another shape
// (json_server.mjs) in the generic JSON mode; and upstreams and clients that
// misbehave.
//
// Run by CTest inside a private network namespace holding only lo
// (`unshare -rn`). SIGTRUST_BINARY names the sigtrust binary.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { SIGTRUST, start, startSigtrust, stop, wallet, browserInstance, cleanup, readJson, PEERJS_BUNDLE, WAIT_MS } from "./helpers.mjs";

const WORK = mkdtempSync(join(tmpdir(), "sigtrust-proxy-"));
after(cleanup);

let peerServer = null;
async function upstream() {
  if (!peerServer) peerServer = await start("node", ["peer_server.mjs"], /peerserver on (http:\/\/127\.0\.0\.1:\d+)/);
  return peerServer.match[1];
}
after(() => peerServer && peerServer.proc.kill());

const proxy = async (args) =>
  startSigtrust("proxy", ["--upstream", await upstream(), "--peerjs-script", PEERJS_BUNDLE, ...args]);

test("honest proxy in front of PeerServer: the co-signers agree and authenticated each other's certificates", async () => {
  const p = await proxy(["--json", join(WORK, "honest.json")]);
  const w = await wallet(p.url);
  const [a, b] = await w.view();
  assert.equal(b.proposal, "pay 0.5 BTC to bc1qalice");
  assert.equal(a.cosignatureValid, true);
  assert.equal(a.remoteCertificate, b.localCertificate);
  assert.equal(b.remoteCertificate, a.localCertificate);
  assert.equal(a.sas, b.sas);
  await w.close();
  await stop(p);
  const doc = readJson(join(WORK, "honest.json"));
  assert.equal(doc.runs[0].scenario, "live-proxy-peerjs");
  const s = doc.runs[0].sessions;
  assert.equal(s.length, 1);
  assert.equal(s[0].outcome, "secure");
  assert.equal(s[0].peers.alice.dtls_peer_owner, "bob");
  assert.deepEqual(s[0].attacker.plaintext_read, []);
});

test("swap-mitm in front of PeerServer: the attacker reads the proposal; with --rewrite the co-signer sees its address", async () => {
  const p = await proxy(["--attack", "swap-mitm", "--rewrite", "bc1qalice=bc1qmallory", "--json", join(WORK, "swap.json")]);
  const w = await wallet(p.url);
  const [a, b] = await w.view();
  assert.equal(a.proposal, "pay 0.5 BTC to bc1qalice");
  assert.equal(b.proposal, "pay 0.5 BTC to bc1qmallory");
  assert.equal(a.cosignatureValid, false, "the co-signature is over the attacker's transaction");
  assert.equal(a.remoteCertificate, b.remoteCertificate, "both authenticated the attacker's certificate");
  assert.notEqual(a.remoteCertificate, b.localCertificate);
  assert.notEqual(a.sas, b.sas);
  await w.close();
  await stop(p);
  const s = readJson(join(WORK, "swap.json")).runs[0].sessions[0];
  assert.equal(s.outcome, "mitm-undetected");
  assert.deepEqual(s.attacker.plaintext_read, ["pay 0.5 BTC to bc1qalice", b.cosignature]);
  assert.deepEqual(s.attacker.rewritten, ["pay 0.5 BTC to bc1qalice -> pay 0.5 BTC to bc1qmallory"]);
  for (const [name, v] of [["alice", a], ["bob", b]]) {
    assert.equal(s.peers[name].dtls_peer_owner, "mallory");
    assert.equal(s.peers[name].dtls_peer_fingerprint, v.remoteCertificate);
  }
});

test("strip-mitm in front of PeerServer: refused by Chromium, detected", async () => {
  const p = await proxy(["--attack", "strip-mitm", "--json", join(WORK, "strip.json")]);
  const w = await wallet(p.url, { waitFor: "none" });
  await w.bob.waitForFunction(() => window.sigtrust.errors.length > 0 && window.sigtrust.reportsDelivered > 0, null,
                              { timeout: WAIT_MS });
  const [a, b] = await w.view();
  assert.deepEqual(b.errors, ["webrtc: (PeerJS gives no message)"]);
  assert.deepEqual(a.errors, []);
  await w.close();
  await stop(p);
  const s = readJson(join(WORK, "strip.json")).runs[0].sessions[0];
  assert.equal(s.outcome, "detected");
  assert.deepEqual(s.attacker.plaintext_read, []);
});

// ---- the generic JSON mode -----------------------------------------------------

async function jsonPair(url, room, say) {
  const b = await browserInstance();
  const [ca, cb] = [await b.newContext(), await b.newContext()];
  const answerer = await cb.newPage();
  await answerer.goto(`${url}/?room=${room}&peer=bob&role=answer`);
  const offerer = await ca.newPage();
  await offerer.goto(`${url}/?room=${room}&peer=alice&role=offer&say=${encodeURIComponent(say)}`);
  await answerer.waitForFunction((t) => window.sigtrust.received.includes(t), say, { timeout: WAIT_MS });
  await offerer.waitForFunction(() => window.sigtrust.received.length > 0, null, { timeout: WAIT_MS });
  const view = async (p) => p.evaluate(() => ({ ...window.sigtrust }));
  return { a: await view(offerer), b: await view(answerer), close: async () => { await ca.close(); await cb.close(); } };
}

test("generic JSON mode: honest, then swap-mitm on an application's own message shape found by JSON Pointers", async () => {
  const app = await start("node", ["json_server.mjs"], /json server on (http:\/\/127\.0\.0\.1:\d+)/);
  const args = ["--upstream", app.match[1], "--protocol", "json", "--sdp-path", "/body/desc/sdp",
                "--candidate-path", "/body/line"];
  const honest = await startSigtrust("proxy", [...args, "--json", join(WORK, "json-honest.json")]);
  const h = await jsonPair(honest.url, "r1", "hello over json");
  assert.deepEqual(h.b.received, ["hello over json"]);
  assert.equal(h.a.remoteCertificate, h.b.localCertificate);
  await h.close();
  await stop(honest);
  const sh = readJson(join(WORK, "json-honest.json")).runs[0].sessions[0];
  assert.equal(sh.outcome, "secure");
  assert.equal(sh.room, "/rooms/r1");

  const swap = await startSigtrust("proxy", [...args, "--attack", "swap-mitm", "--json", join(WORK, "json-swap.json")]);
  const m = await jsonPair(swap.url, "r2", "pay 1 BTC to bc1qalice");
  assert.deepEqual(m.b.received, ["pay 1 BTC to bc1qalice"]);
  assert.equal(m.a.remoteCertificate, m.b.remoteCertificate, "both authenticated the attacker's certificate");
  assert.notEqual(m.a.remoteCertificate, m.b.localCertificate);
  await m.close();
  await stop(swap);
  app.proc.kill();
  const s = readJson(join(WORK, "json-swap.json")).runs[0].sessions[0];
  assert.equal(s.outcome, "mitm-undetected");
  assert.deepEqual(s.attacker.plaintext_read, ["pay 1 BTC to bc1qalice", "ack pay 1 BTC to bc1qalice"]);
  assert.equal(s.peers.alice.dtls_peer_fingerprint, m.a.remoteCertificate);
  assert.equal(s.peers.alice.dtls_peer_owner, "mallory");
});

// ---- misbehaving upstreams and clients ---------------------------------------

const wsClose = (url) => new Promise((res) => {
  const ws = new WebSocket(url);
  const frames = [];
  ws.on("message", (d) => frames.push(d.toString()));
  ws.on("error", () => {});
  ws.on("close", (code) => res({ code, frames }));
  ws.on("open", () => ws.send(JSON.stringify({ type: "HEARTBEAT" })));
});

test("an upstream that is not there, never answers, closes, or sends garbage: events and closed connections, no hang", async () => {
  // Nothing listening.
  const dead = net.createServer();
  await new Promise((r) => dead.listen(0, "127.0.0.1", r));
  const deadPort = dead.address().port;
  await new Promise((r) => dead.close(r));
  // Accepts and never says a word.
  const silentSockets = [];
  const silent = net.createServer((s) => silentSockets.push(s));
  await new Promise((r) => silent.listen(0, "127.0.0.1", r));
  // A WebSocket server that sends what no PeerServer would, then a frame over the limit.
  const rude = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((r) => rude.on("listening", r));
  rude.on("connection", (ws) => { ws.send("not JSON at all"); ws.send("x".repeat(70000)); });

  for (const [name, url] of [["dead", `http://127.0.0.1:${deadPort}`],
                             ["silent", `http://127.0.0.1:${silent.address().port}`],
                             ["rude", `http://127.0.0.1:${rude.address().port}`]]) {
    const p = await startSigtrust("proxy", ["--upstream", url, "--upstream-timeout", "1", "--json", join(WORK, `${name}.json`)]);
    const ws = p.url.replace("http:", "ws:") + "/peerjs?key=peerjs&id=zed&token=t&version=1.5.5";
    const closed = await wsClose(ws);
    if (name === "rude") assert.deepEqual(closed.frames, ["not JSON at all"], "forwarded as it came; the oversized one was not");
    if (name !== "rude") {
      const res = await fetch(`${p.url}/peerjs/id`);
      assert.ok([502, 504].includes(res.status), `${name}: HTTP ${res.status}`);
    }
    const out = await stop(p);
    assert.match(out.out, name === "rude" ? /proxy\.upstream-closed/ : /proxy\.upstream-error/, `${name}: ${out.out}`);
    if (name === "rude") assert.match(out.out, /proxy\.upstream-malformed/);
  }
  for (const s of silentSockets) s.destroy();
  silent.close();
  rude.close();
});

test("garbage from a client goes to the real PeerServer unchanged, with events; the proxy carries on", async () => {
  const p = await proxy(["--attack", "swap-mitm", "--json", join(WORK, "garbage.json")]);
  const ws = new WebSocket(p.url.replace("http:", "ws:") + "/peerjs?key=peerjs&id=junk&token=t&version=1.5.5");
  const frames = [];
  ws.on("message", (d) => frames.push(JSON.parse(d.toString())));
  await new Promise((r) => ws.on("message", r));  // the PeerServer's OPEN, through the proxy
  ws.send("this is not JSON");
  ws.send(JSON.stringify({ type: "OFFER", dst: "bob" }));
  ws.send(JSON.stringify({ type: "CANDIDATE", dst: "bob", payload: { connectionId: "dc_none", candidate: { candidate: "x" } } }));
  ws.send(JSON.stringify({ type: "WHATEVER" }));
  ws.send("y".repeat(70000));
  const code = await new Promise((r) => ws.on("close", r));
  assert.ok([1006, 1009].includes(code), `closed for the oversized frame (${code})`);
  assert.deepEqual(frames, [{ type: "OPEN" }], "the PeerServer's OPEN came through the proxy");
  const out = await stop(p);
  assert.match(out.out, /junk: message is not JSON; forwarded unchanged/);
  assert.match(out.out, /OFFER has no object "payload"/);
  assert.match(out.out, /that no OFFER between these peers opened/);
  assert.match(out.out, /junk left/);
});

test("the proxy refuses what is not loopback and bad JSON Pointers (exit 2)", () => {
  for (const args of [["--upstream", "http://10.0.0.1:9000"], ["--upstream", "http://localhost:9000"],
                      ["--upstream", "http://127.0.0.1:9000", "--listen", "0.0.0.0:0"],
                      ["--upstream", "ftp://127.0.0.1:9000"], ["--upstream", "http://127.0.0.1:9000/app"],
                      ["--upstream", "http://127.0.0.1:9000", "--protocol", "json"],
                      ["--upstream", "http://127.0.0.1:9000", "--protocol", "json", "--sdp-path", "body/sdp"],
                      ["--upstream", "http://127.0.0.1:9000", "--protocol", "json", "--sdp-path", "/a/~2"],
                      ["--upstream", "http://127.0.0.1:9000", "--attack", "turn-mitm"]]) {
    const r = spawnSync(SIGTRUST, ["proxy", ...args], { encoding: "utf8" });
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
  }
});
