// werift (npm, unpatched, pinned by interop/werift/package-lock.json) talks to
// werift through `sigtrust relay`: honest, under swap-mitm, and under
// swap-mitm with clients that refuse a certificate they did not expect.
// Each client is interop/werift/client.mjs in its own Node process; the
// certificate it reports is the one werift's DTLS layer authenticated.
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
const CLIENT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "interop", "werift", "client.mjs");
const WORK = mkdtempSync(join(tmpdir(), "sigtrust-werift-"));

after(killChildren);

const startRelay = (args) => startSigtrust(SIGTRUST, "relay", args, { websocket: true });

const client = (url, room, peer, role, extra = []) => runClient(CLIENT, url, room, peer, role, extra);

const session = (file) => {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(doc.runs[0].sessions.length, 1);
  return doc.runs[0].sessions[0];
};

test("honest relay: werift and werift chat, each DTLS layer saw the other's certificate", async () => {
  const relay = await startRelay(["--json", join(WORK, "honest.json")]);
  const [alice, bob] = await Promise.all([
    client(relay.url, "honest", "alice", "offer", ["--say", "hello bob", "--expect", "1"]),
    client(relay.url, "honest", "bob", "answer", ["--say", "hello alice", "--expect", "1"]),
  ]);
  assert.equal(alice.code, 0, alice.err + JSON.stringify(alice.events));
  assert.equal(bob.code, 0, bob.err + JSON.stringify(bob.events));
  assert.deepEqual(alice.find("exit").received, ["hello alice"]);
  assert.deepEqual(bob.find("exit").received, ["hello bob"]);
  const [a, b] = [alice.find("open"), bob.find("open")];
  assert.match(a.remoteCertificate, /^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(a.remoteCertificate, b.localCertificate);
  assert.equal(b.remoteCertificate, a.localCertificate);
  await stop(relay);
  const s = session(join(WORK, "honest.json"));
  assert.equal(s.outcome, "secure");
  assert.deepEqual(s.attacker.plaintext_read, []);
});

test("swap-mitm: both channels open, the attacker reads the chat, each werift's DTLS saw the attacker's certificate", async () => {
  const relay = await startRelay(["--attack", "swap-mitm", "--json", join(WORK, "swap.json")]);
  const [alice, bob] = await Promise.all([
    client(relay.url, "swap", "alice", "offer", ["--say", "the address is bc1qexample", "--expect", "1"]),
    client(relay.url, "swap", "bob", "answer", ["--say", "got it, signing", "--expect", "1"]),
  ]);
  assert.equal(alice.code, 0, alice.err + JSON.stringify(alice.events));
  assert.equal(bob.code, 0, bob.err + JSON.stringify(bob.events));
  assert.deepEqual(alice.find("exit").received, ["got it, signing"]);
  assert.deepEqual(bob.find("exit").received, ["the address is bc1qexample"]);
  await stop(relay);
  const s = session(join(WORK, "swap.json"));
  const mallory = s.attacker.certificate_fingerprint;
  assert.match(mallory, /^sha-256 /);
  const [a, b] = [alice.find("open"), bob.find("open")];
  // What werift's DTLS layer authenticated: the attacker's certificate, not the other werift's.
  assert.equal(a.remoteCertificate, mallory);
  assert.equal(b.remoteCertificate, mallory);
  assert.notEqual(a.remoteCertificate, b.localCertificate);
  assert.equal(s.outcome, "mitm-undetected");
  assert.equal(s.peers.alice.dtls_peer_fingerprint, mallory);
  assert.equal(s.peers.bob.dtls_peer_owner, "mallory");
  assert.deepEqual([...s.attacker.plaintext_read].sort(), ["got it, signing", "the address is bc1qexample"]);
  // use_srtp negotiated on both legs (werift refuses a DTLS session without it).
  assert.deepEqual([...s.attacker.legs_connected].sort(), ["alice", "bob"]);
  assert.equal(s.attacker.srtp_profiles.alice, "SRTP_AES128_CM_HMAC_SHA1_80");
  assert.equal(s.attacker.srtp_profiles.bob, "SRTP_AES128_CM_HMAC_SHA1_80");
});

test("swap-mitm, clients that refuse after the attacker's legs completed: the outcome is detected", async () => {
  const relay = await startRelay(["--attack", "swap-mitm", "--json", join(WORK, "refuse.json")]);
  // Each side holds a fingerprint learned out of band (here: pinned values
  // that are not the attacker's) and refuses a DTLS peer without it.
  const pinned = (n) => "sha-256 " + Array(32).fill(n).join(":");
  const [alice, bob] = await Promise.all([
    client(relay.url, "refuse", "alice", "offer", ["--say", "secret", "--expect-remote", pinned("0B")]),
    client(relay.url, "refuse", "bob", "answer", ["--say", "secret too", "--expect-remote", pinned("0A")]),
  ]);
  assert.equal(alice.code, 1);
  assert.equal(bob.code, 1);
  assert.match(alice.find("refused").reason, /not the one learned out of band/);
  assert.match(bob.find("refused").reason, /not the one learned out of band/);
  await stop(relay);
  const s = session(join(WORK, "refuse.json"));
  // The attacker's DTLS legs did complete: the refusals came after them.
  assert.deepEqual([...s.attacker.legs_connected].sort(), ["alice", "bob"]);
  assert.deepEqual(s.attacker.plaintext_read, []);
  assert.equal(s.outcome, "detected");
  assert.match(s.peers.alice.failure, /not the one learned out of band/);
  assert.equal(s.peers.alice.dtls_peer_owner, "mallory");
});

test("honest relay with audio: each werift receives the other's RTP; no attacker, no media read", async () => {
  const relay = await startRelay(["--json", join(WORK, "honest-audio.json")]);
  const audio = ["--audio", "40", "--expect-audio", "10"];
  const [alice, bob] = await Promise.all([
    client(relay.url, "honest-audio", "alice", "offer", audio),
    client(relay.url, "honest-audio", "bob", "answer", audio),
  ]);
  assert.equal(alice.code, 0, alice.err + JSON.stringify(alice.events));
  assert.equal(bob.code, 0, bob.err + JSON.stringify(bob.events));
  assert.ok(alice.find("exit").audioReceived >= 10);
  assert.ok(bob.find("exit").audioReceived >= 10);
  await stop(relay);
  const s = session(join(WORK, "honest-audio.json"));
  assert.equal(s.outcome, "secure");
  assert.deepEqual(s.attacker.media, []);
});

test("swap-mitm with audio: SRTP through the bridge both ways, the attacker decrypts each stream, junk is counted", async () => {
  const relay = await startRelay(["--attack", "swap-mitm", "--json", join(WORK, "swap-audio.json"),
                                  "--media-dir", join(WORK, "media")]);
  const audio = ["--audio", "40", "--expect-audio", "10"];
  const [alice, bob] = await Promise.all([
    // alice also puts 24 malformed RTP/RTCP datagrams on the wire first: the bridge counts them, the call goes on.
    client(relay.url, "swap-audio", "alice", "offer", ["--say", "can you hear me", "--expect", "1", "--junk-rtp", "24", ...audio]),
    client(relay.url, "swap-audio", "bob", "answer", ["--say", "yes", "--expect", "1", ...audio]),
  ]);
  assert.equal(alice.code, 0, alice.err + JSON.stringify(alice.events));
  assert.equal(bob.code, 0, bob.err + JSON.stringify(bob.events));
  // Each werift decrypted what the attacker re-protected for it.
  assert.ok(alice.find("exit").audioReceived >= 10);
  assert.ok(bob.find("exit").audioReceived >= 10);
  await stop(relay);
  const s = session(join(WORK, "swap-audio.json"));
  assert.equal(s.outcome, "mitm-undetected");
  const media = s.attacker.media;
  assert.deepEqual(media.map((m) => m.from).sort(), ["alice", "bob"], JSON.stringify(media));
  for (const m of media) {
    assert.equal(m.kind, "audio");
    assert.match(m.codec, /^opus\/48000\/2$/i);
    assert.ok(m.packets >= 10, `${m.from}: ${m.packets} packets read`);
    assert.equal(m.bytes, m.packets * 3, "each payload is the 3-byte Opus frame werift sent");
    // Decoded with libopus: 20 ms (960 samples, 2 channels, 16 bits) per packet, in a WAV file.
    assert.equal(m.files.length, 1);
    const wav = readFileSync(m.files[0]);
    assert.equal(wav.subarray(0, 4).toString(), "RIFF");
    assert.equal(wav.subarray(8, 12).toString(), "WAVE");
    assert.equal(wav.readUInt32LE(24), 48000);
    assert.equal(wav.readUInt32LE(40), wav.length - 44);
    assert.equal(wav.length - 44, m.packets * 960 * 2 * 2);
  }
  assert.equal(alice.find("junk-sent").count, 24);
  assert.equal(s.attacker.media_rejected, 24, "every malformed datagram counted, and nothing else");
  assert.ok(relay.output().includes("attack.media-rejected"), "logged");
});
