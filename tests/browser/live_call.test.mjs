// Two headless Chromium instances (Debian's /usr/bin/chromium, driven by
// playwright-core) in an audio and video call through `sigtrust relay`: each
// page sends a WebAudio tone of its own frequency and a canvas picture
// (the demo page's `?tone=`). Under swap-mitm both browsers still receive
// media, and the attacker's recordings hold what each sent: the WAV of each
// direction has that page's tone as its dominant frequency, the IVF of each
// direction decodes (ffprobe). An honest relay records nothing.
//
// Run by CTest inside a private network namespace holding only lo
// (`unshare -rn`). SIGTRUST_BINARY names the sigtrust binary.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";
import { killChildren, startSigtrust, stop } from "../support/process.mjs";

const SIGTRUST = process.env.SIGTRUST_BINARY;
assert.ok(SIGTRUST, "SIGTRUST_BINARY must name the sigtrust binary");
// A bound against a hang, not a timing target (see live_relay.test.mjs).
const CONNECT_WAIT_MS = 60000;
// The tones: far enough apart (and not harmonics of each other) that one is never the other within 2 %.
const TONES = { alice: 440, bob: 700 };
// Audio packets each page must have received (20 ms each: 4 s) before the call ends.
const AUDIO_PACKETS = 200;
// What alice types in the chat during the call.
const CHAT = "co-sign tx 4f2a during the call";
const WORK = mkdtempSync(join(tmpdir(), "sigtrust-call-"));

const browsers = [];
after(async () => {
  for (const b of browsers) await b.close().catch(() => {});
  killChildren();
});

async function launch() {
  const b = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    // The page's AudioContext plays without a click.
    args: ["--no-sandbox", "--allow-loopback-in-peer-connection", "--use-fake-ui-for-media-stream",
           "--autoplay-policy=no-user-gesture-required",
           "--disable-features=WebRtcHideLocalIpsWithMdns"],
  });
  browsers.push(b);
  return b;
}

// Both pages in a call in `room`, each connected (a SAS), each having
// received AUDIO_PACKETS audio packets and some decoded video frames, and the
// chat working beside the call: alice's line arrives at bob over the data
// channel.
async function call(relay, room) {
  const pages = {};
  for (const [peer, role] of [["alice", "offer"], ["bob", "answer"]]) {
    pages[peer] = await (await (await launch()).newContext()).newPage();
    await pages[peer].goto(`${relay.url}/?room=${room}&peer=${peer}&role=${role}&tone=${TONES[peer]}`);
  }
  // getStats is asynchronous (waitForFunction would take its promise as true): polled here.
  const received = async (p) => {
    const deadline = Date.now() + CONNECT_WAIT_MS;
    for (;;) {
      const s = await p.evaluate(() => window.sigtrust.mediaStats());
      if ((s.inbound.audio?.packets ?? 0) >= AUDIO_PACKETS && (s.inbound.video?.framesDecoded ?? 0) >= 10) return;
      if (Date.now() > deadline) throw new Error("media did not arrive: " + JSON.stringify(s));
      await p.waitForTimeout(250);
    }
  };
  try {
    for (const p of Object.values(pages)) {
      await p.waitForFunction(() => window.sigtrust && window.sigtrust.sas !== null, null, { timeout: CONNECT_WAIT_MS });
      await received(p);
    }
    // The data channel opened (the page enables its send button then) and carries the chat.
    for (const p of Object.values(pages))
      await p.waitForFunction(() => !document.getElementById("send").disabled, null, { timeout: CONNECT_WAIT_MS });
    await pages.alice.fill("#text", CHAT);
    await pages.alice.click("#send");
    await pages.bob.waitForFunction((t) => window.sigtrust.received.includes(t), CHAT, { timeout: CONNECT_WAIT_MS });
  } catch (e) {
    const state = async (p) => p.evaluate(async () => `${window.sigtrust.state} ${JSON.stringify(await window.sigtrust.mediaStats())}` +
                                                      `\n  ${await window.sigtrust.diagnose()}`).catch((x) => `(${x.message})`);
    throw new Error(`${e.message}\nalice: ${await state(pages.alice)}\nbob: ${await state(pages.bob)}\n` +
                    `relay:\n${relay.output()}${relay.errors()}`);
  }
  const views = {};
  for (const [peer, p] of Object.entries(pages))
    views[peer] = await p.evaluate(async () => ({ ...window.sigtrust, stats: await window.sigtrust.mediaStats() }));
  for (const p of Object.values(pages)) await p.context().browser().close();
  return views;
}

// The left channel of a 16-bit stereo WAV file the recorder wrote (44-byte header).
function wavLeft(path) {
  const b = readFileSync(path);
  assert.equal(b.toString("latin1", 0, 4), "RIFF");
  assert.equal(b.readUInt32LE(24), 48000);
  const out = new Float64Array(Math.floor((b.length - 44) / 4));
  for (let i = 0; i < out.length; ++i) out[i] = b.readInt16LE(44 + 4 * i);
  return out;
}

// The frequency (1 Hz steps, 50 Hz to 4 kHz) with the most power in `x`:
// a Goertzel filter per frequency over one second of samples.
function dominantFrequency(x, rate) {
  let best = 0, bestPower = -1;
  for (let f = 50; f <= 4000; ++f) {
    const k = 2 * Math.cos((2 * Math.PI * f) / rate);
    let s1 = 0, s2 = 0;
    for (let i = 0; i < x.length; ++i) {
      const s0 = x[i] + k * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const power = s1 * s1 + s2 * s2 - k * s1 * s2;
    if (power > bestPower) [best, bestPower] = [f, power];
  }
  return best;
}

function ffprobe(path) {
  const out = execFileSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                       "stream=codec_name,width,height,nb_read_frames", "-of", "json", path],
                           { encoding: "utf8" });
  return JSON.parse(out).streams[0];
}

test("swap-mitm call: both browsers receive audio and video and chat, the attacker reads the chat, its WAV holds each tone, its IVF decodes", async () => {
  const mediaDir = join(WORK, "swap-media");
  const relay = await startSigtrust(SIGTRUST, "relay", ["--attack", "swap-mitm", "--media-dir", mediaDir,
                                                        "--json", join(WORK, "swap.json")]);
  const v = await call(relay, "call");
  for (const peer of ["alice", "bob"]) {
    assert.ok(v[peer].stats.inbound.audio?.packets >= AUDIO_PACKETS,
              `${peer} received audio: ${v[peer].state} ${JSON.stringify(v[peer].stats)}\n${relay.output()}`);
    assert.ok(v[peer].stats.inbound.video.packets > 0, `${peer} received video`);
    assert.equal(v[peer].call.tone, TONES[peer]);
  }
  assert.equal(v.alice.remoteCertificate, v.bob.remoteCertificate, "both authenticated the attacker's certificate");
  assert.notEqual(v.alice.sas, v.bob.sas);
  await stop(relay);  // the recorders complete their files
  const s = JSON.parse(readFileSync(join(WORK, "swap.json"), "utf8")).runs[0].sessions[0];
  assert.equal(s.outcome, "mitm-undetected");
  assert.deepEqual(v.bob.received, [CHAT]);
  assert.deepEqual(s.attacker.plaintext_read, [CHAT], "the attacker read the chat");
  for (const peer of ["alice", "bob"]) {
    const streams = s.attacker.media.filter((m) => m.from === peer);
    const audio = streams.find((m) => m.kind === "audio" && /^opus\//i.test(m.codec));
    const video = streams.find((m) => m.kind === "video" && /^vp8\//i.test(m.codec));
    assert.ok(audio && video, `the attacker read ${peer}'s Opus and VP8: ${JSON.stringify(streams)}`);
    assert.equal(audio.files.length, 1);
    assert.match(audio.files[0], /\.wav$/);
    const samples = wavLeft(audio.files[0]);
    assert.ok(samples.length >= 3 * 48000, `${peer}'s WAV holds at least 3 s (${samples.length} samples)`);
    const heard = dominantFrequency(samples.subarray(samples.length - 2 * 48000, samples.length - 48000), 48000);
    assert.ok(Math.abs(heard - TONES[peer]) <= 0.02 * TONES[peer],
              `the attacker heard ${heard} Hz from ${peer}, who sent ${TONES[peer]} Hz`);
    assert.equal(video.files.length, 1);
    assert.match(video.files[0], /\.ivf$/);
    const probed = ffprobe(video.files[0]);
    assert.equal(probed.codec_name, "vp8");
    assert.ok(probed.width > 0 && probed.height > 0);
    assert.ok(Number(probed.nb_read_frames) >= 10, `${peer}'s IVF: ${probed.nb_read_frames} frames decoded`);
  }
});

test("honest relay call: both browsers receive audio and video and chat, nothing is recorded", async () => {
  const mediaDir = join(WORK, "honest-media");
  const relay = await startSigtrust(SIGTRUST, "relay", ["--media-dir", mediaDir, "--json", join(WORK, "honest.json")]);
  const v = await call(relay, "honest-call");
  for (const peer of ["alice", "bob"]) assert.ok(v[peer].stats.inbound.video.packets > 0, `${peer} received video`);
  assert.equal(v.alice.remoteCertificate, v.bob.localCertificate);
  assert.equal(v.alice.sas, v.bob.sas);
  await stop(relay);
  const s = JSON.parse(readFileSync(join(WORK, "honest.json"), "utf8")).runs[0].sessions[0];
  assert.equal(s.outcome, "secure");
  assert.deepEqual(v.bob.received, [CHAT]);
  assert.deepEqual(s.attacker.media, []);
  assert.deepEqual(readdirSync(mediaDir), [], "no recordings written");
});
