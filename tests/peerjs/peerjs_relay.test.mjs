// PeerJS 1.5 clients (npm `peerjs`, unpatched, in Debian's headless Chromium)
// through `sigtrust relay --protocol peerjs`: the wallet demo's two
// co-signers, honest and under signaling-position attacks; and the relay
// against PeerJS clients that misbehave.
//
// Run by CTest inside a private network namespace holding only lo
// (`unshare -rn`). SIGTRUST_BINARY names the sigtrust binary.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import WebSocket from "ws";
import { SIGTRUST, startSigtrust, stop, wallet, cleanup, readJson, PEERJS_BUNDLE, WAIT_MS } from "./helpers.mjs";

const WORK = mkdtempSync(join(tmpdir(), "sigtrust-peerjs-"));
after(cleanup);

const relay = (args) => startSigtrust("relay", ["--protocol", "peerjs", "--peerjs-script", PEERJS_BUNDLE, ...args]);

test("honest PeerServer: the co-signers agree, each browser authenticated the other's certificate, the SAS matches", async () => {
  const r = await relay(["--json", join(WORK, "honest.json")]);
  const w = await wallet(r.url);
  const [a, b] = await w.view();
  assert.equal(b.proposal, "pay 0.5 BTC to bc1qalice");
  assert.equal(a.cosignatureValid, true, "bob co-signed the proposal alice sent");
  assert.equal(a.remoteCertificate, b.localCertificate);
  assert.equal(b.remoteCertificate, a.localCertificate);
  assert.match(a.sas, /^\d{3} \d{3}$/);
  assert.equal(a.sas, b.sas);
  await w.close();
  await stop(r);
  const doc = readJson(join(WORK, "honest.json"));
  assert.equal(doc.runs[0].scenario, "live-relay-peerjs");
  const s = doc.runs[0].sessions;
  assert.equal(s.length, 1);
  assert.equal(s[0].outcome, "secure");
  assert.equal(s[0].room, a.connectionId, "one session per PeerJS connection");
  assert.equal(s[0].offerer, "alice");
  assert.equal(s[0].answerer, "bob");
  assert.equal(s[0].peers.alice.dtls_peer_fingerprint, a.remoteCertificate);
  assert.equal(s[0].peers.alice.dtls_peer_owner, "bob");
  assert.equal(s[0].peers.bob.dtls_peer_owner, "alice");
  assert.deepEqual(s[0].attacker.plaintext_read, []);
});

test("swap-mitm: the attacker reads the proposal and the co-signature; both browsers authenticated its certificate", async () => {
  const r = await relay(["--attack", "swap-mitm", "--json", join(WORK, "swap.json")]);
  const w = await wallet(r.url);
  const [a, b] = await w.view();
  assert.equal(b.proposal, "pay 0.5 BTC to bc1qalice");
  assert.equal(a.cosignatureValid, true, "nothing was changed: the co-signature is over what alice sent");
  assert.notEqual(a.remoteCertificate, b.localCertificate);
  assert.notEqual(b.remoteCertificate, a.localCertificate);
  assert.equal(a.remoteCertificate, b.remoteCertificate, "both authenticated the same (the attacker's) certificate");
  assert.notEqual(a.sas, b.sas, "the SAS tells them");
  await w.close();
  await stop(r);
  const s = readJson(join(WORK, "swap.json")).runs[0].sessions[0];
  assert.equal(s.outcome, "mitm-undetected");
  assert.deepEqual(s.attacker.plaintext_read, ["pay 0.5 BTC to bc1qalice", b.cosignature]);
  assert.equal(s.attacker.dtls_legs, 2);
  for (const [name, v] of [["alice", a], ["bob", b]]) {
    assert.equal(s.peers[name].dtls_peer_owner, "mallory");
    assert.equal(s.peers[name].dtls_peer_fingerprint, v.remoteCertificate, `${name}'s getStats certificate is the attacker's`);
  }
});

test("swap-mitm --rewrite: the co-signer sees and signs the attacker's address; the proposer's page sees a co-signature over another transaction", async () => {
  const r = await relay(["--attack", "swap-mitm", "--rewrite", "bc1qalice=bc1qmallory", "--json", join(WORK, "rewrite.json")]);
  const w = await wallet(r.url);
  const [a, b] = await w.view();
  assert.equal(a.proposal, "pay 0.5 BTC to bc1qalice");
  assert.equal(b.proposal, "pay 0.5 BTC to bc1qmallory", "the co-signer sees the changed address");
  assert.equal(a.cosignatureValid, false);
  await w.close();
  await stop(r);
  const s = readJson(join(WORK, "rewrite.json")).runs[0].sessions[0];
  assert.equal(s.outcome, "mitm-undetected");
  assert.deepEqual(s.attacker.rewritten, ["pay 0.5 BTC to bc1qalice -> pay 0.5 BTC to bc1qmallory"]);
  assert.equal(s.attacker.plaintext_read[0], "pay 0.5 BTC to bc1qalice");
  assert.equal(s.peers.bob.dtls_peer_fingerprint, b.remoteCertificate);
  assert.equal(s.peers.bob.dtls_peer_owner, "mallory");
});

test("strip-mitm: Chromium refuses the offer without a fingerprint; PeerJS says only 'webrtc'; the result says detected", async () => {
  const r = await relay(["--attack", "strip-mitm", "--json", join(WORK, "strip.json")]);
  const w = await wallet(r.url, { waitFor: "none" });
  await w.bob.waitForFunction(() => window.sigtrust.errors.length > 0 && window.sigtrust.reportsDelivered > 0, null,
                              { timeout: WAIT_MS });
  const [a, b] = await w.view();
  assert.deepEqual(b.errors, ["webrtc: (PeerJS gives no message)"], "PeerJS drops the browser's reason");
  assert.equal(b.remoteCertificate, null);
  assert.deepEqual(a.errors, [], "PeerJS tells the proposer nothing");
  assert.equal(a.state, "registered as alice");
  await w.close();
  const out = await stop(r);
  const s = readJson(join(WORK, "strip.json")).runs[0].sessions[0];
  assert.equal(s.outcome, "detected", out.out);
  assert.equal(s.peers.bob.failure, "webrtc: (PeerJS gives no message)");
  assert.deepEqual(s.attacker.plaintext_read, []);
});

test("fingerprint-only: DTLS fails at both ends; PeerJS raises no error, only the page's own watch of the RTCPeerConnection sees it; detected", async () => {
  const r = await relay(["--attack", "fingerprint-only", "--json", join(WORK, "fponly.json")]);
  const w = await wallet(r.url, { waitFor: "none" });
  for (const p of [w.alice, w.bob])
    await p.waitForFunction(() => window.sigtrust.errors.length > 0 && window.sigtrust.reportsDelivered > 0, null,
                            { timeout: WAIT_MS });
  const [a, b] = await w.view();
  // Everything in `errors` but this line would have come from PeerJS (peer or connection "error" events).
  assert.deepEqual(a.errors, ["connection failed (ICE or DTLS)"]);
  assert.deepEqual(b.errors, ["connection failed (ICE or DTLS)"]);
  assert.equal(a.remoteCertificate, null, "no DTLS session: getStats names no peer certificate");
  await w.close();
  await stop(r);
  const s = readJson(join(WORK, "fponly.json")).runs[0].sessions[0];
  assert.equal(s.outcome, "detected");
  assert.deepEqual(s.attacker.plaintext_read, []);
});

// ---- misbehaving clients ------------------------------------------------------

// A raw PeerJS-protocol client: resolves once OPEN (or the first frame) came.
function client(base, { id, token = "t-" + id, key = "peerjs", query } = {}) {
  const url = base.replace("http:", "ws:") + "/peerjs?" + (query ?? `key=${key}&id=${id}&token=${token}&version=1.5.5`);
  const ws = new WebSocket(url);
  const frames = [];
  const waiters = [];
  const closed = new Promise((res) => ws.on("close", (code) => res(code)));
  ws.on("message", (d) => {
    frames.push(JSON.parse(d.toString()));
    for (const w of waiters.splice(0)) w();
  });
  ws.on("error", () => {});
  const next = (pred, ms = 8000) => new Promise((res, rej) => {
    const look = () => {
      const f = frames.find(pred);
      if (f) return res(f);
      waiters.push(look);
    };
    look();
    setTimeout(() => rej(new Error("no such frame in " + JSON.stringify(frames))), ms).unref();
  });
  const opened = new Promise((res) => ws.on("open", res));
  return { ws, frames, next, closed, opened, send: (o) => ws.send(typeof o === "string" ? o : JSON.stringify(o)) };
}

const offer = (dst, cid = "dc_test1") => ({ type: "OFFER", dst,
  payload: { type: "data", connectionId: cid, sdp: { type: "offer", sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" } } });

test("misbehaving PeerJS clients become events, errors or closed connections; the relay carries on", async () => {
  const r = await relay(["--json", join(WORK, "rough.json")]);
  const base = r.url;

  // HTTP: a fresh id for the right key, PeerServer's refusal for another.
  const id = await (await fetch(`${base}/peerjs/id`)).text();
  assert.match(id, /^[0-9a-f-]{36}$/);
  const wrong = await fetch(`${base}/nokey/id`);
  assert.equal(wrong.status, 401);
  assert.equal(await wrong.text(), "Invalid key provided");

  // A bad key, missing parameters: ERROR, then the connection closes.
  const badKey = client(base, { id: "eve", key: "nokey" });
  assert.deepEqual(await badKey.next(() => true), { type: "ERROR", payload: { msg: "Invalid key provided" } });
  await badKey.closed;
  const noToken = client(base, { query: "key=peerjs&id=eve" });
  assert.deepEqual(await noToken.next(() => true),
                   { type: "ERROR", payload: { msg: "No id, token, or key supplied to websocket server" } });
  await noToken.closed;

  // A message for a peer that is not connected yet is held and delivered after its OPEN.
  const carol = client(base, { id: "carol" });
  await carol.next((f) => f.type === "OPEN");
  carol.send(offer("dave", "dc_held"));
  const dave = client(base, { id: "dave" });
  await dave.next((f) => f.type === "OPEN");
  const held = await dave.next((f) => f.type === "OFFER");
  assert.equal(held.src, "carol");
  assert.equal(held.payload.connectionId, "dc_held");
  assert.deepEqual(dave.frames.map((f) => f.type).slice(0, 2), ["OPEN", "OFFER"]);

  // The same id with another token: ID-TAKEN and closed; the first keeps its place.
  const impostor = client(base, { id: "dave", token: "other" });
  assert.deepEqual(await impostor.next(() => true), { type: "ID-TAKEN", payload: { msg: "ID is taken" } });
  await impostor.closed;

  // Not JSON, an unknown type, a frame missing its fields, a claimed src: dropped, the connection stays.
  carol.send("this is not JSON");
  carol.send({ type: "HELLO", dst: "dave" });
  carol.send({ type: "OFFER", dst: "dave", payload: { connectionId: "dc_x" } });
  carol.send({ type: "CANDIDATE", dst: "dave" });
  carol.send({ type: "HEARTBEAT" });
  carol.send({ type: "LEAVE", dst: "dave", src: "mallory" });
  const leave = await dave.next((f) => f.type === "LEAVE");
  assert.deepEqual(leave, { type: "LEAVE", src: "carol", dst: "dave" }, "the relay names the real sender");
  assert.equal(dave.frames.filter((f) => f.type === "OFFER").length, 1, "none of the malformed frames was relayed");

  // A message for a peer that never comes: EXPIRE to its sender (after 5 s, as PeerServer).
  carol.send(offer("nobody", "dc_lost"));
  assert.deepEqual(await carol.next((f) => f.type === "EXPIRE", 9000), { type: "EXPIRE", src: "nobody", dst: "carol" });

  // A frame over the size limit (64 KiB) closes that client only.
  const big = client(base, { id: "bigmouth" });
  await big.next((f) => f.type === "OPEN");
  big.send(offer("dave", "dc_big").payload.sdp.sdp.padEnd(70000, "x"));
  // libsoup answers with close code 1009 and drops the TCP connection: ws sees 1009 or 1006.
  assert.ok([1006, 1009].includes(await big.closed));
  carol.send(offer("dave", "dc_after"));
  assert.equal((await dave.next((f) => f.payload && f.payload.connectionId === "dc_after")).src, "carol");

  for (const c of [carol, dave]) c.ws.close();
  const out = await stop(r);
  for (const kind of ["signaling.malformed", "signaling.rejected", "signaling.queued", "signaling.expired"])
    assert.match(out.out, new RegExp(kind.replace(".", "\\.")));
  assert.match(out.out, /not JSON/);
  assert.match(out.out, /unknown PeerJS message type "HELLO"/);
  assert.match(out.out, /payload\.sdp\.sdp/);
  assert.match(out.out, /id dave is taken/);
  assert.match(out.out, /bigmouth left/);
  assert.match(out.out, /relay\.stopped/, "and nothing crashed on the way");
});

test("relay --protocol refuses what it cannot serve (exit 2)", () => {
  for (const args of [["--protocol", "xmpp"], ["--peerjs-script", PEERJS_BUNDLE],
                      ["--protocol", "peerjs", "--peerjs-script", join(WORK, "missing.js")],
                      ["--protocol", "peerjs", "--listen", "0.0.0.0:0"],
                      ["--protocol", "peerjs", "--attack", "turn-mitm"]]) {
    const r = spawnSync(SIGTRUST, ["relay", ...args], { encoding: "utf8" });
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
  }
});
