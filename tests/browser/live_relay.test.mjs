// Two headless Chromium instances (Debian's /usr/bin/chromium, driven by
// playwright-core; never a downloaded browser) chat over a WebRTC data channel
// through `sigtrust relay`: honest, under swap-mitm, and under swap-mitm with a
// rewrite rule; and the relay survives clients that misbehave.
//
// Run by CTest inside a private network namespace holding only lo
// (`unshare -rn`), so neither browser can gather or send off loopback.
// SIGTRUST_BINARY names the sigtrust binary.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";
import { killChildren, startSigtrust, stop } from "../support/process.mjs";

const SIGTRUST = process.env.SIGTRUST_BINARY;
// How long a wait for a connection (both pages' SAS, a refusal) may take
// before the test gives up: a bound against a hang, not a timing target. Two
// Chromium instances and a bridging relay took 20 s and more on this 2-core
// machine under a load average of 10 or more.
const CONNECT_WAIT_MS = 60000;
assert.ok(SIGTRUST, "SIGTRUST_BINARY must name the sigtrust binary");
const WORK = mkdtempSync(join(tmpdir(), "sigtrust-live-"));

const browsers = [];
async function launch() {
  const b = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--allow-loopback-in-peer-connection", "--use-fake-ui-for-media-stream",
           // Host candidates as addresses, never mDNS names (Chromium 156 leaves loopback
           // ones alone anyway; a browser on a real network would hide its LAN address).
           "--disable-features=WebRtcHideLocalIpsWithMdns"],
  });
  browsers.push(b);
  return b;
}
// Whatever a failed test left behind: browsers closed, relays killed (or node would wait for them).
after(async () => {
  for (const b of browsers) await b.close().catch(() => {});
  killChildren();
});

// `sigtrust relay --listen 127.0.0.1:0 ARGS`, once it printed its URL.
const startRelay = (args) => startSigtrust(SIGTRUST, "relay", args);

// Opens the demo page as alice (offers) in one browser and bob (answers) in
// another, waits until both data channels are open and both computed a SAS.
// If they do not, the error says where each page and the relay stood.
async function pair(relay, room) {
  const [ba, bb] = [await launch(), await launch()];
  const alice = await (await ba.newContext()).newPage();
  const bob = await (await bb.newContext()).newPage();
  await alice.goto(`${relay.url}/?room=${room}&peer=alice&role=offer`);
  await bob.goto(`${relay.url}/?room=${room}&peer=bob&role=answer`);
  try {
    for (const p of [alice, bob])
      await p.waitForFunction(() => window.sigtrust && window.sigtrust.sas !== null, null, { timeout: CONNECT_WAIT_MS });
  } catch (e) {
    const state = async (p) => p.evaluate(async () => window.sigtrust &&
                                          `${window.sigtrust.state}\n  ${await window.sigtrust.diagnose()}`)
                                   .catch((x) => `(${x.message})`);
    throw new Error(`${e.message}\nalice: ${await state(alice)}\nbob: ${await state(bob)}\n` +
                    `relay (running: ${relay.proc.exitCode === null && relay.proc.signalCode === null}):\n` +
                    `${relay.output()}${relay.errors()}`);
  }
  return { alice, bob, close: async () => { await ba.close(); await bb.close(); } };
}

async function say(from, to, text) {
  await from.fill("#text", text);
  await from.click("#send");
  await to.waitForFunction((t) => window.sigtrust.received.includes(t), text, { timeout: 10000 })
    .catch(() => {});
}
const view = (p) => p.evaluate(() => ({ ...window.sigtrust }));

test("honest relay: the chat works both ways, each browser sees the other's certificate, the SAS matches", async () => {
  const relay = await startRelay(["--json", join(WORK, "honest.json")]);
  const { alice, bob, close } = await pair(relay, "honest");
  await say(alice, bob, "hello bob");
  await say(bob, alice, "hello alice");
  const [a, b] = [await view(alice), await view(bob)];
  assert.deepEqual(b.received, ["hello bob"]);
  assert.deepEqual(a.received, ["hello alice"]);
  assert.equal(a.remoteCertificate, b.localCertificate);
  assert.equal(b.remoteCertificate, a.localCertificate);
  assert.equal(a.remoteSdpFingerprint, b.localSdpFingerprint, "the honest relay left the SDP alone");
  assert.match(a.sas, /^\d{3} \d{3}$/);
  assert.equal(a.sas, b.sas);
  await close();
  await stop(relay);
  const doc = JSON.parse(readFileSync(join(WORK, "honest.json"), "utf8"));
  const s = doc.runs[0].sessions;
  assert.equal(s.length, 1);
  assert.equal(s[0].outcome, "secure");
  assert.equal(s[0].offerer, "alice");
  assert.equal(s[0].answerer, "bob");
  assert.deepEqual(s[0].attacker.plaintext_read, []);
});

test("swap-mitm: the chat still works, the attacker reads every message, both browsers saw its certificate, the SAS differs", async () => {
  const relay = await startRelay(["--attack", "swap-mitm", "--json", join(WORK, "swap.json")]);
  const { alice, bob, close } = await pair(relay, "swap");
  const messages = [["alice", "the address is bc1qexample"], ["bob", "got it, signing"], ["alice", "thanks"]];
  for (const [who, text] of messages)
    await (who === "alice" ? say(alice, bob, text) : say(bob, alice, text));
  const [a, b] = [await view(alice), await view(bob)];
  assert.deepEqual(b.received, ["the address is bc1qexample", "thanks"]);
  assert.deepEqual(a.received, ["got it, signing"]);
  // Each browser authenticated a certificate that is not the other browser's.
  assert.notEqual(a.remoteCertificate, b.localCertificate);
  assert.notEqual(b.remoteCertificate, a.localCertificate);
  assert.equal(a.remoteCertificate, b.remoteCertificate, "both saw the same (the attacker's) certificate");
  assert.equal(a.remoteCertificate, a.remoteSdpFingerprint, "and it matched the rewritten SDP, so no browser objected");
  assert.notEqual(a.sas, b.sas);
  await close();
  await stop(relay);
  const doc = JSON.parse(readFileSync(join(WORK, "swap.json"), "utf8"));
  const s = doc.runs[0].sessions[0];
  assert.equal(doc.runs[0].attack, "swap-mitm");
  assert.equal(s.outcome, "mitm-undetected");
  assert.deepEqual(s.attacker.plaintext_read, messages.map(([, t]) => t));
  assert.equal(s.attacker.dtls_legs, 2);
  for (const [name, v] of [["alice", a], ["bob", b]]) {
    assert.equal(s.peers[name].dtls_peer_owner, "mallory");
    assert.equal(s.peers[name].dtls_peer_fingerprint, v.remoteCertificate, `${name}'s getStats certificate is the attacker's`);
    // The fingerprint table: what each browser sent and what it was given (the attacker's).
    assert.deepEqual(s.peers[name].sdp_fingerprints, [v.remoteSdpFingerprint]);
  }
  // The diagram's inputs: each browser's offer/answer under its name, as sent and as delivered,
  // and each report with the certificate the browser showed.
  const kinds = (who) => doc.runs[0].timeline.filter((e) => e.actor === who).map((e) => e.kind);
  assert.ok(kinds("alice").includes("signaling.offer-sent") && kinds("alice").includes("signaling.answer-received"));
  assert.ok(kinds("bob").includes("signaling.offer-received") && kinds("bob").includes("signaling.answer-sent"));
  const shown = doc.runs[0].timeline.filter((e) => e.kind === "relay.client-report" && e.data && e.data.client === "alice");
  assert.ok(shown.some((e) => e.data.remote_certificate === a.remoteCertificate));
  // Drawn: arrows, and the certificate alice's browser showed, as an alarm.
  const html = execFileSync(SIGTRUST, ["report", join(WORK, "swap.json"), "--format", "html"], { encoding: "utf8" });
  assert.match(html, /marker-end=/, "the live diagram has arrows");
  assert.ok(html.includes("its browser shows peer certificate " + a.remoteCertificate), "the certificate alice's browser showed is drawn");
});

test("swap-mitm: a reloaded page starts a new session, which the attacker bridges again", async () => {
  const relay = await startRelay(["--attack", "swap-mitm", "--json", join(WORK, "reload.json")]);
  const { alice, bob, close } = await pair(relay, "reload");
  await say(alice, bob, "before the reload");
  const bobCertificate = (await view(bob)).localCertificate;
  await alice.reload();
  await alice.waitForFunction(() => window.sigtrust && window.sigtrust.sas !== null, null, { timeout: CONNECT_WAIT_MS });
  await bob.waitForFunction((old) => window.sigtrust.sas !== null && window.sigtrust.localCertificate !== old,
                           bobCertificate, { timeout: CONNECT_WAIT_MS });
  await say(alice, bob, "after the reload");
  const [a, b] = [await view(alice), await view(bob)];
  assert.deepEqual(b.received, ["before the reload", "after the reload"]);
  assert.notEqual(b.localCertificate, bobCertificate, "bob's page made a new connection (and certificate)");
  assert.notEqual(a.remoteCertificate, b.localCertificate);
  assert.equal(a.remoteCertificate, b.remoteCertificate);
  assert.notEqual(a.sas, b.sas);
  await close();
  const r = await stop(relay);
  assert.match(r.out, /attack\.rebridge/);
  const s = JSON.parse(readFileSync(join(WORK, "reload.json"), "utf8")).runs[0].sessions[0];
  assert.equal(s.outcome, "mitm-undetected");
  assert.deepEqual(s.attacker.plaintext_read, ["before the reload", "after the reload"]);
});

test("the pages report what their browsers saw: append-mitm goes unnoticed, strip-mitm is refused by Chromium", async () => {
  const append = await startRelay(["--attack", "append-mitm", "--json", join(WORK, "append.json")]);
  const p = await pair(append, "append");
  await say(p.alice, p.bob, "two fingerprints, one accepted");
  const [a, b] = [await view(p.alice), await view(p.bob)];
  assert.deepEqual(b.received, ["two fingerprints, one accepted"]);
  assert.equal(a.remoteCertificate, b.remoteCertificate, "both authenticated the attacker's certificate");
  assert.notEqual(a.sas, b.sas);
  await p.close();
  await stop(append);
  const sa = JSON.parse(readFileSync(join(WORK, "append.json"), "utf8")).runs[0].sessions[0];
  assert.equal(sa.outcome, "mitm-undetected");
  assert.equal(sa.peers.alice.dtls_peer_fingerprint, a.remoteCertificate);
  assert.equal(sa.peers.alice.dtls_peer_owner, "mallory");

  const strip = await startRelay(["--attack", "strip-mitm", "--json", join(WORK, "strip.json")]);
  const [ba, bb] = [await launch(), await launch()];
  const alice = await (await ba.newContext()).newPage();
  const bob = await (await bb.newContext()).newPage();
  await alice.goto(`${strip.url}/?room=strip&peer=alice&role=offer`);
  await bob.goto(`${strip.url}/?room=strip&peer=bob&role=answer`);
  await bob.waitForFunction(() => window.sigtrust.state.startsWith("error:"), null, { timeout: CONNECT_WAIT_MS });
  assert.match((await view(bob)).state, /fingerprint/i, "Chromium names the missing fingerprint");
  await strip.printed(/relay\.client-report\s+bob in room \/strip reported an error/);  // the report reached the relay
  await ba.close();
  await bb.close();
  await stop(strip);
  const ss = JSON.parse(readFileSync(join(WORK, "strip.json"), "utf8")).runs[0].sessions[0];
  assert.equal(ss.outcome, "detected");
  assert.match(ss.peers.bob.failure, /fingerprint/i);
  assert.deepEqual(ss.attacker.plaintext_read, []);
});

test("swap-mitm with --rewrite: the attacker changes a chat message in flight", async () => {
  const relay = await startRelay(["--attack", "swap-mitm", "--rewrite", "bc1qalice=bc1qmallory", "--json",
                                  join(WORK, "rewrite.json")]);
  const { alice, bob, close } = await pair(relay, "rewrite");
  await say(alice, bob, "pay to bc1qmallory");  // warms the channel; no rule matches the attacker's own address
  await alice.fill("#text", "pay to bc1qalice");
  await alice.click("#send");
  await bob.waitForFunction(() => window.sigtrust.received.length === 2, null, { timeout: 10000 });
  const b = await view(bob);
  assert.deepEqual(b.received, ["pay to bc1qmallory", "pay to bc1qmallory"]);
  await close();
  await stop(relay);
  const s = JSON.parse(readFileSync(join(WORK, "rewrite.json"), "utf8")).runs[0].sessions[0];
  assert.deepEqual(s.attacker.plaintext_read, ["pay to bc1qmallory", "pay to bc1qalice"]);
  assert.deepEqual(s.attacker.rewritten, ["pay to bc1qalice -> pay to bc1qmallory"]);
});

// A raw TCP client: sends `bytes`; with `keepOpen` resolves with the open
// socket (a client that never finishes), else ends its side and resolves
// when the relay has closed the connection.
function rawClient(url, bytes, { keepOpen = false } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname, () => {
      if (keepOpen) {
        s.write(bytes);
        resolve(s);
      } else {
        s.end(bytes);
      }
    });
    s.resume();  // read (and drop) whatever the relay answers, so its close arrives
    s.once("close", () => resolve(null));
    s.on("error", () => resolve(null));
  });
}

// Sends `request` on a raw TCP connection; resolves with the first bytes of the answer.
function exchange(url, request) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname, () => s.write(request));
    s.once("data", (d) => { resolve(d.toString()); s.destroy(); });
    s.on("error", (e) => resolve("error: " + e.message));
    setTimeout(() => { resolve("timeout"); s.destroy(); }, 5000);
  });
}

test("the relay survives clients that disconnect mid-handshake, send garbage or never answer", async () => {
  const relay = await startRelay(["--attack", "swap-mitm", "--json", join(WORK, "rough.json")]);
  const rough = await (await (await launch()).newContext()).newPage();
  await rough.goto(`${relay.url}/`);
  const ws = relay.url.replace("http:", "ws:");
  // From a page: WebSocket clients that misbehave in every way the protocol allows.
  const notes = await rough.evaluate(async (base) => {
    const open = (path) => new Promise((res) => {
      const w = new WebSocket(base + path);
      w.onopen = () => res(w);
      w.onerror = () => res(null);
    });
    // Events to wait on, never pauses: ICE gathering done, a message of a
    // type arriving at a client, a client's connection closed.
    const gathered = (pc) => new Promise((r) => {
      if (pc.iceGatheringState === "complete") return r();
      pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") r(); });
    });
    const arrives = (w, type) => new Promise((r) => {
      w.addEventListener("message", (e) => {
        try { if (JSON.parse(e.data).type === type) r(); } catch { /* not ours */ }
      });
    });
    const closed = (w) => new Promise((r) => {
      if (w.readyState === WebSocket.CLOSED) return r();
      w.addEventListener("close", () => r());
    });
    const out = [];
    // Garbage: not JSON, unknown type, binary, oversized, an offer whose SDP is nonsense.
    const g = await open("/garbage?peer=junk");
    g.send("not json {");
    g.send(JSON.stringify({ type: "launch-missiles" }));
    g.send(new Uint8Array([0, 1, 2, 3]));
    g.send(JSON.stringify({ type: "offer", sdp: "v=0\r\nthis is not sdp" }));
    g.send(JSON.stringify({ type: "candidate", candidate: { candidate: "candidate:garbage" } }));
    g.send("x".repeat(200000));
    out.push("garbage sent");
    // Mid-handshake: a real offer (from a real RTCPeerConnection), then gone before any answer.
    const pc = new RTCPeerConnection();
    pc.createDataChannel("chat");
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const m = await open("/midway?peer=alice");
    const other = await open("/midway?peer=bob");
    const forwarded = other ? arrives(other, "offer") : Promise.resolve();
    m.send(JSON.stringify({ type: "ready" }));
    m.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }));
    await forwarded;  // the attacker took the offer and started bridging
    m.close();
    pc.close();
    out.push("offered and left");
    // Never answers: joins, gets an offer, stays silent.
    const pc2 = new RTCPeerConnection();
    pc2.createDataChannel("chat");
    await pc2.setLocalDescription(await pc2.createOffer());
    await gathered(pc2);
    const silentOfferer = await open("/silent?peer=alice");
    const silent = await open("/silent?peer=bob");
    const reached = silent ? arrives(silent, "offer") : Promise.resolve();
    silentOfferer.send(JSON.stringify({ type: "offer", sdp: pc2.localDescription.sdp }));
    await reached;
    out.push("silent " + (silent ? silent.readyState : "refused") + " " + (other ? "ok" : "refused"));
    // A third client in a full room is refused, the room goes on.
    const third = await open("/silent?peer=carol");
    if (third) await closed(third);
    out.push("third " + (third ? third.readyState : "refused"));
    return out;
  }, ws);
  assert.deepEqual(notes, ["garbage sent", "offered and left", "silent 1 ok", "third 3"],
                   "the silent answerer stays connected; a third client (new label) is refused");
  // An upgrade as a browser sends it from another site's page (Origin header) is refused;
  // the same request from the relay's own page's origin is accepted.
  const upgrade = (origin) => exchange(relay.url, "GET /rough?peer=mallet HTTP/1.1\r\nHost: x\r\n" +
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: " + origin + "\r\n\r\n");
  assert.match(await upgrade("https://evil.example"), /^HTTP\/1\.1 403/);
  assert.match(await upgrade(relay.url), /^HTTP\/1\.1 101/);
  // Raw TCP: a half-written HTTP request left hanging, and bytes that are not HTTP at all.
  const hanging = await rawClient(relay.url, "GET /hang HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n", { keepOpen: true });
  await rawClient(relay.url, Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0, 0, 0]));
  // The same relay still carries a real session afterwards.
  const { alice, bob, close } = await pair(relay, "after-the-storm");
  await say(alice, bob, "still here?");
  await say(bob, alice, "still here.");
  assert.deepEqual((await view(bob)).received, ["still here?"]);
  assert.deepEqual((await view(alice)).received, ["still here."]);
  await close();
  if (hanging) hanging.destroy();
  const r = await stop(relay);
  assert.match(r.out, /signaling\.malformed/, "garbage became timeline events");
  assert.match(r.out, /WebSocket from origin https:\/\/evil\.example refused/);
  const doc = JSON.parse(readFileSync(join(WORK, "rough.json"), "utf8"));
  const byRoom = Object.fromEntries(doc.runs[0].sessions.map((s) => [s.room, s]));
  assert.equal(byRoom["/after-the-storm"].outcome, "mitm-undetected");
  assert.equal(byRoom["/midway"].outcome, "failed", "an offer that was never answered");
  assert.equal(byRoom["/silent"].outcome, "failed");
});
