// Chromium (Debian's /usr/bin/chromium, headless, unpatched; driven by
// playwright-core from npm, never a downloaded browser) as a client of
// sigtrust's relay protocol: one Node process launches one headless Chromium,
// whose page holds the RTCPeerConnection; this process speaks the relay
// protocol and drives the page through page.evaluate, and the page tells it
// what happens through an exposed function. It offers or answers with a data
// channel "chat", sends the messages it is given once the channel is open, and
// reports to the relay — and on stdout, one JSON object per line — the
// certificate Chromium's DTLS layer authenticated.
//
// That certificate is the getStats() `certificate` entry named by the
// transport's remoteCertificateId: Chromium fills it from the certificate its
// DTLS transport received in the handshake. Its DER (base64Certificate) is
// hashed here; the own certificate likewise from localCertificateId.
//
// No browser process outlives this one: Chromium is started through
// ./chromium-tied (PR_SET_PDEATHSIG, so the browser is killed with this process
// even by SIGKILL), playwright closes it on SIGTERM/SIGINT, and finish() closes
// it on the way out.
//
// Usage: node client.mjs --url ws://127.0.0.1:PORT/ROOM --peer alice --role offer|answer
//          [--say TEXT]... [--expect N] [--expect-remote "sha-256 AB:..."] [--timeout-ms MS]
// (the options of interop/common/relay-peer.mjs). Exit status: 0 done, 1 refused
// or failed, 2 bad usage.
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import WebSocket from "ws";
import { channelOpened, fingerprint, joinRelay, parseOptions } from "../common/relay-peer.mjs";

const STACK = "chromium";
const started = Date.now();
const opts = parseOptions(STACK);
const timings = {};
const mark = (what) => { timings[what] = Date.now() - started; };

// What runs in the page: the peer connection and its channel. Every event goes
// to Node through window.sigtrustEvent.
function pageSide() {
  const ev = (e) => window.sigtrustEvent(e);
  let pc = null;
  let ch = null;
  const gathered = () => new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    const t = setTimeout(resolve, 5000);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") { clearTimeout(t); resolve(); }
    });
  });
  const fresh = () => {
    pc = new RTCPeerConnection({ iceServers: [] });
    pc.onconnectionstatechange = () => ev({
      kind: "connection", state: pc.connectionState, ice: pc.iceConnectionState,
      dtls: pc.sctp && pc.sctp.transport ? pc.sctp.transport.state : null,
    });
  };
  const useChannel = (c) => {
    ch = c;
    c.onopen = () => ev({ kind: "open" });
    c.onmessage = (m) => ev({
      kind: "message",
      text: typeof m.data === "string" ? m.data : `(${m.data.byteLength ?? m.data.size} bytes)`,
    });
  };
  window.sigtrust = {
    async offer() {
      fresh();
      useChannel(pc.createDataChannel("chat"));
      await pc.setLocalDescription(await pc.createOffer());
      await gathered();
      return pc.localDescription.sdp;
    },
    async answer(sdp) {
      fresh();
      pc.ondatachannel = (e) => useChannel(e.channel);
      await pc.setRemoteDescription({ type: "offer", sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered();
      return pc.localDescription.sdp;
    },
    accept: (sdp) => pc.setRemoteDescription({ type: "answer", sdp }),
    candidate: (c) => pc && pc.addIceCandidate(c).catch(() => {}),
    send: (text) => ch && ch.readyState === "open" && ch.send(text),
    // The DER certificates (base64) of the transport's certificate entries.
    async certificates() {
      if (!pc) return {};
      const stats = await pc.getStats();
      let transport = null;
      stats.forEach((s) => { if (s.type === "transport" && s.remoteCertificateId) transport = s; });
      if (!transport) return {};
      const der = (id) => (stats.get(id) ? stats.get(id).base64Certificate : null);
      return { local: der(transport.localCertificateId), remote: der(transport.remoteCertificateId) };
    },
    close: () => pc && pc.close(),
  };
}

// Without a media grant Chromium gathers candidates only on the interface of
// the default route — none in a namespace holding only lo. A page that was
// granted the microphone (a fake one, granted by --use-fake-ui-for-media-stream)
// gathers on every interface, loopback included.
async function mediaGrant() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  for (const t of stream.getTracks()) t.stop();
}
const PAGE_URL = "http://127.0.0.1/sigtrust-interop";

let browser = null;
// The page, once the browser is up (started at once, while the WebSocket connects).
const ready = (async () => {
  browser = await chromium.launch({
    executablePath: fileURLToPath(new URL("./chromium-tied", import.meta.url)),
    headless: true,
    // Loopback candidates, as addresses (no mDNS names); no sandbox (a user namespace without
    // the sandbox's setuid helper).
    // Fake media devices and an automatic grant: see mediaGrant below.
    args: ["--no-sandbox", "--allow-loopback-in-peer-connection",
           "--disable-features=WebRtcHideLocalIpsWithMdns", "--use-fake-ui-for-media-stream",
           "--use-fake-device-for-media-stream"],
  });
  const page = await browser.newPage();
  // A page of a secure origin (http://127.0.0.1), served by playwright itself: nothing goes on the network.
  await page.route("**/*", (r) => r.fulfill({ contentType: "text/html", body: "<!doctype html><title>sigtrust interop</title>" }));
  await page.goto(PAGE_URL);
  await page.exposeFunction("sigtrustEvent", (e) => onPageEvent(e));
  await page.evaluate(mediaGrant);
  await page.evaluate(pageSide);
  mark("browser_ms");
  return page;
})();
ready.catch((e) => peer.refuse(`chromium: could not start the browser: ${String(e.message).slice(0, 200)}`));

// page.evaluate's errors start with "page.evaluate: ": the browser's own text
// follows (its first line; a fingerprint it quotes is cut to 8 bytes, so the
// reason after it fits the 200 characters of a refusal).
const inPage = async (fn, arg) => {
  const page = await ready;
  try {
    return await page.evaluate(fn, arg);
  } catch (e) {
    throw new Error(String(e.message).replace(/^page\.evaluate: /, "").split("\n")[0]
      .replace(/((?:[0-9A-Fa-f]{2}:){7}[0-9A-Fa-f]{2})(?::[0-9A-Fa-f]{2})+/g, "$1…"));
  }
};

let role = null;
let opened = false;
let sending = Promise.resolve();
const peer = joinRelay(STACK, opts, WebSocket, {
  onReady: async () => {
    if (role) return;
    role = "offer";
    const sdp = await inPage(() => window.sigtrust.offer());
    peer.send({ type: "offer", sdp });
    mark("described_ms");
  },
  onOffer: async (sdp) => {
    if (role) return;
    role = "answer";
    const answer = await inPage((s) => window.sigtrust.answer(s), sdp);
    peer.send({ type: "answer", sdp: answer });
    mark("described_ms");
  },
  onAnswer: async (sdp) => role && (await inPage((s) => window.sigtrust.accept(s), sdp)),
  onCandidate: async (c) => role && (await inPage((x) => window.sigtrust.candidate(x), c)),
  close: async () => {
    // The last messages leave before the browser closes (bounded: a hung page must not hold the exit).
    await Promise.race([sending, new Promise((r) => setTimeout(r, 1000))]);
    await browser?.close();
  },
  exitInfo: () => ({ stack: version(), timings }),
});
const { out, finish, refuse, received } = peer;
const version = () => (browser ? `Chromium ${browser.version()}` : "Chromium");
const done = () => opened && received.length >= Number(opts.expect);

// What Chromium's DTLS layer authenticated, hashed here; null before a handshake.
async function certificates() {
  let der = {};
  try { der = await inPage(() => window.sigtrust.certificates()); } catch {}
  const hash = (b64) => (b64 ? fingerprint(Buffer.from(b64, "base64")) : null);
  return { remoteCertificate: hash(der.remote), localCertificate: hash(der.local) };
}

async function onPageEvent(e) {
  if (e.kind === "connection") {
    out({ event: "connection", state: e.state, ice: e.ice, dtls: e.dtls });
    if (e.state === "failed")
      // dtlsState "new": it failed in ICE, before any DTLS handshake (no refusal).
      refuse(`connection failed (ICE ${e.ice}, DTLS transport ${e.dtls ?? "none"})`,
             { ...(await certificates()), ...(e.dtls ? { dtlsState: e.dtls } : {}) });
  } else if (e.kind === "open") {
    mark("open_ms");
    const certs = { ...(await certificates()), stack: version(), timings };
    const say = (text) => { sending = sending.then(() => inPage((t) => window.sigtrust.send(t), text)).catch(() => {}); };
    if (!channelOpened(peer, certs, say)) return;
    opened = true;
    if (done()) finish(0);
  } else if (e.kind === "message") {
    received.push(e.text);
    out({ event: "message", text: e.text });
    if (done()) finish(0);
  }
}
