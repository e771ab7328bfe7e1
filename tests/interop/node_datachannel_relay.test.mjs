// libdatachannel (via node-datachannel, npm, unpatched, its prebuilt binary,
// pinned by interop/node-datachannel/package-lock.json) talks to itself
// through `sigtrust relay`: honest and under swap-mitm, strip-mitm and
// append-mitm, each asserting what libdatachannel measurably does and the
// outcome the relay judged. Each client is interop/node-datachannel/client.mjs
// in its own Node process; the certificate it reports is the hash
// libdatachannel's DTLS layer computed from the certificate the peer presented.
//
// Run by CTest inside a private network namespace holding only lo
// (`unshare -rn`). SIGTRUST_BINARY names the sigtrust binary.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { killChildren, runClient, startSigtrust, stop } from "../support/process.mjs";

const SIGTRUST = process.env.SIGTRUST_BINARY;
assert.ok(SIGTRUST, "SIGTRUST_BINARY must name the sigtrust binary");
const CLIENT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "interop", "node-datachannel", "client.mjs");
const WORK = mkdtempSync(join(tmpdir(), "sigtrust-ndc-"));
const FINGERPRINT = /^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

after(killChildren);

const client = (url, room, peer, role, extra = []) => runClient(CLIENT, url, room, peer, role, extra);

// The relay with `attack`, alice (offerer) and bob (answerer) saying one line
// each; resolves with both clients and the relay's judged session.
async function pair(attack, { aliceExtra = [], bobExtra = [] } = {}) {
  const json = join(WORK, `${attack}.json`);
  const relay = await startSigtrust(SIGTRUST, "relay", ["--attack", attack, "--json", json], { websocket: true });
  const [alice, bob] = await Promise.all([
    client(relay.url, attack, "alice", "offer", ["--say", "hello bob", "--expect", "1", ...aliceExtra]),
    client(relay.url, attack, "bob", "answer", ["--say", "hello alice", "--expect", "1", ...bobExtra]),
  ]);
  await stop(relay);
  const doc = JSON.parse(readFileSync(json, "utf8"));
  assert.equal(doc.runs[0].sessions.length, 1);
  return { alice, bob, s: doc.runs[0].sessions[0] };
}

// libdatachannel 0.24.5 (node-datachannel 0.33.4) can lose a race as the
// offerer: the answerer's ICE checks arrive before its answer, ICE connects
// inside setRemoteDescription, and DTLS checks the answerer's certificate
// before the answer's fingerprint is stored (upstream issue #1390, PR #1612).
// Measured 2026-12-03: 1 of 40 honest cells beside a build, 1 of 14 in a
// loaded matrix. Then both ends refuse (the offerer's DTLS transport fails,
// and the rest of its setRemoteDescription may throw "Got a remote candidate
// without ICE transport", as seen). This is what libdatachannel does, so the
// test accepts it, but only with exactly that signature.
function lostTheOfferersRace(alice, bob, s) {
  return (
    alice.code === 1 &&
    bob.code === 1 &&
    /^connection failed \(ICE or DTLS\)$|Got a remote candidate without ICE transport/.test(
      alice.find("refused")?.reason ?? "",
    ) &&
    bob.find("refused")?.reason === "connection failed (ICE or DTLS)" &&
    alice.find("open") === undefined &&
    bob.find("open") === undefined &&
    s.outcome === "detected"
  );
}

test("honest relay: libdatachannel and libdatachannel chat, each DTLS layer saw the other's certificate (or the offerer loses libdatachannel's #1390 race and both refuse)", async () => {
  const { alice, bob, s } = await pair("none");
  // Nobody but the two peers presented a certificate, whatever happened.
  assert.equal(s.peers.alice.dtls_peer_owner, "bob");
  assert.equal(s.peers.bob.dtls_peer_owner, "alice");
  assert.deepEqual(s.attacker.plaintext_read, []);
  if (lostTheOfferersRace(alice, bob, s)) {
    console.log("# libdatachannel's offerer race (#1390): both refused the honest handshake");
    return;
  }
  assert.equal(alice.code, 0, alice.err + JSON.stringify(alice.events));
  assert.equal(bob.code, 0, bob.err + JSON.stringify(bob.events));
  assert.deepEqual(alice.find("exit").received, ["hello alice"]);
  assert.deepEqual(bob.find("exit").received, ["hello bob"]);
  const [a, b] = [alice.find("open"), bob.find("open")];
  assert.match(a.remoteCertificate, FINGERPRINT);
  assert.equal(a.remoteCertificate, b.localCertificate);
  assert.equal(b.remoteCertificate, a.localCertificate);
  assert.equal(s.outcome, "secure");
});

test("swap-mitm: libdatachannel accepts the attacker's certificate on both sides; the attacker reads the chat", async () => {
  const { alice, bob, s } = await pair("swap-mitm");
  assert.equal(alice.code, 0, alice.err + JSON.stringify(alice.events));
  assert.equal(bob.code, 0, bob.err + JSON.stringify(bob.events));
  const mallory = s.attacker.certificate_fingerprint;
  assert.match(mallory, FINGERPRINT);
  // What libdatachannel's DTLS layer hashed: the attacker's certificate, not the other peer's.
  assert.equal(alice.find("open").remoteCertificate, mallory);
  assert.equal(bob.find("open").remoteCertificate, mallory);
  assert.equal(s.outcome, "mitm-undetected");
  assert.equal(s.peers.alice.dtls_peer_owner, "mallory");
  assert.equal(s.peers.bob.dtls_peer_owner, "mallory");
  assert.deepEqual([...s.attacker.plaintext_read].sort(), ["hello alice", "hello bob"]);
});

test("strip-mitm: libdatachannel refuses an offer without a=fingerprint; the offerer is never told and waits out its deadline", async () => {
  // alice's deadline is short: she waits for an answer that bob never sends
  // (the relay protocol has no message for "the answerer refused the offer").
  const { alice, bob, s } = await pair("strip-mitm", { aliceExtra: ["--timeout-ms", "4000"] });
  assert.equal(bob.code, 1);
  assert.match(bob.find("refused").reason, /Remote description has no valid fingerprint/);
  assert.equal(alice.code, 1);
  assert.match(alice.find("exit").error, /timed out after 4000 ms/);
  assert.equal(alice.find("open"), undefined);
  assert.equal(s.outcome, "detected");
  assert.match(s.peers.bob.failure, /no valid fingerprint/);
  assert.deepEqual(s.attacker.legs_connected ?? [], []);
  assert.deepEqual(s.attacker.plaintext_read, []);
});

test("append-mitm: libdatachannel checks one fingerprint line, the first (the real one), so the attacker's handshake fails on both sides", async () => {
  const { alice, bob, s } = await pair("append-mitm");
  assert.equal(alice.code, 1);
  assert.equal(bob.code, 1);
  assert.equal(alice.find("refused").reason, "connection failed (ICE or DTLS)");
  assert.equal(bob.find("refused").reason, "connection failed (ICE or DTLS)");
  assert.equal(alice.find("open"), undefined);
  assert.equal(s.outcome, "detected");
  // libdatachannel refused the attacker's certificate: the result does not say it authenticated it
  // (remoteFingerprint() names the certificate presented, refused or not, so the adapter reports it
  // only once the connection is up), and the attacker completed DTLS with nobody.
  assert.notEqual(s.peers.alice.dtls_peer_owner, "mallory");
  assert.notEqual(s.peers.bob.dtls_peer_owner, "mallory");
  assert.deepEqual(s.attacker.legs_connected ?? [], []);
  assert.deepEqual(s.attacker.plaintext_read, []);
});
