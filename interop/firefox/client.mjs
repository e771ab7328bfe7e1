// Firefox ESR (Debian's /usr/lib/firefox-esr, headless, unpatched; never a
// downloaded browser) as a client of sigtrust's relay protocol: one Node
// process starts one headless Firefox on a fresh temporary profile and serves it
// one page (http://127.0.0.1:PORT/, from this process, nothing on the network).
// The page holds the RTCPeerConnection and talks to this process over a
// WebSocket of the same server: this process sends it calls (offer, answer,
// accept, candidate, send, certificates), the page answers them and tells what
// happens (connection state, channel open, message). No WebDriver: the page
// reports by itself. This process speaks the relay protocol, and prints one
// JSON object per line on stdout.
//
// The remote certificate is the one Firefox's DTLS transport received, read once
// that transport is "connected" (Firefox connects it only after the peer's
// certificate matched the fingerprint it checks): the DER of
// pc.sctp.transport.getRemoteCertificates(), hashed here. Firefox's getStats()
// has no certificate entries.
//
// No browser process outlives this one: Firefox is started through
// ./firefox-tied (PR_SET_PDEATHSIG: the kernel kills it with this process, even
// by SIGKILL) in a process group of its own, which the way out kills whole.
//
// Usage: node client.mjs --url ws://127.0.0.1:PORT/ROOM --peer alice --role offer|answer
//          [--say TEXT]... [--expect N] [--expect-remote "sha-256 AB:..."] [--timeout-ms MS]
// (the options of interop/common/relay-peer.mjs). Exit status: 0 done, 1 refused
// or failed, 2 bad usage.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket, { WebSocketServer } from "ws";
import { channelOpened, fingerprint, joinRelay, parseOptions } from "../common/relay-peer.mjs";

const STACK = "firefox";
const started = Date.now();
const opts = parseOptions(STACK);
const timings = {};
const mark = (what) => { timings[what] = Date.now() - started; };
const FIREFOX_DIR = "/usr/lib/firefox-esr";

// "Firefox 153.8.0esr": from the application.ini of the binary that runs.
function version() {
  try {
    const ini = readFileSync(join(FIREFOX_DIR, "application.ini"), "utf8");
    return `Firefox ${ini.match(/^Version=(.*)$/m)[1]}esr`;
  } catch { return "Firefox"; }
}

// Firefox gathers no host candidate, loopback included, while the network has
// no default route — none in a namespace holding only lo. There (and only there:
// a user namespace other than the initial one, whose only interface is lo, with
// no default route yet) the route `default dev lo src 127.0.0.1` is added, as
// the namespace's root (`ip`, iproute2). It stays for the namespace's life; a
// second adapter finds it there. Elsewhere nothing is touched.
function routeInPrivateNamespace() {
  let uidMap = "";
  try { uidMap = readFileSync("/proc/self/uid_map", "utf8").trim().split(/\s+/).join(" "); } catch { return; }
  if (uidMap === "0 0 4294967295") return; // the initial user namespace: the host's network
  if (Object.keys(networkInterfaces()).some((name) => name !== "lo")) return;
  const routes = spawnSync("ip", ["-4", "route", "show", "default"], { encoding: "utf8" });
  if (routes.status !== 0 || routes.stdout.trim() !== "") return;
  spawnSync("ip", ["route", "add", "default", "dev", "lo", "src", "127.0.0.1"], { stdio: "ignore" });
}

// The profile's preferences (user.js of a fresh profile): host candidates on
// loopback, as addresses (no mDNS names), no permission prompt; and no start-up
// work that does not serve the session (first-run pages, updates, telemetry,
// safe browsing, connectivity probes).
const PREFS = {
  "media.peerconnection.ice.loopback": true,
  "media.peerconnection.ice.obfuscate_host_addresses": false,
  "media.navigator.permission.disabled": true,
  "browser.shell.checkDefaultBrowser": false,
  "browser.startup.homepage_override.mstone": "ignore",
  "browser.aboutwelcome.enabled": false,
  "startup.homepage_welcome_url": "",
  "browser.startup.page": 0,
  "datareporting.policy.dataSubmissionEnabled": false,
  "datareporting.healthreport.uploadEnabled": false,
  "toolkit.telemetry.reportingpolicy.firstRun": false,
  "app.update.enabled": false,
  "app.update.auto": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.safebrowsing.downloads.enabled": false,
  "extensions.update.enabled": false,
  "extensions.getAddons.cache.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "browser.newtabpage.enabled": false,
  "browser.discovery.enabled": false,
  "services.settings.server": "http://127.0.0.1:1/",
  "network.dns.disableIPv6": true,
};

// What runs in the page: the peer connection and its channel, answering this
// process's calls and telling it what happens, over the page's WebSocket.
function pageSide() {
  const link = new WebSocket(`ws://${location.host}/link`);
  const ev = (e) => link.send(JSON.stringify({ event: e }));
  let pc = null;
  let ch = null;
  const gathered = () => new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    const t = setTimeout(resolve, 5000);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") { clearTimeout(t); resolve(); }
    });
  });
  const dtls = () => (pc && pc.sctp && pc.sctp.transport ? pc.sctp.transport : null);
  // The own certificate: made here (ECDSA P-256, Firefox's default kind) so that
  // Firefox can say its fingerprint (RTCCertificate.getFingerprints()).
  let cert = null;
  const fresh = () => {
    pc = new RTCPeerConnection({ iceServers: [], certificates: [cert] });
    pc.onconnectionstatechange = () => ev({
      kind: "connection", state: pc.connectionState, ice: pc.iceConnectionState,
      dtls: dtls() ? dtls().state : null,
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
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
  const calls = {
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
    // The peer's DER certificate (base64), once the DTLS transport is connected
    // (before, it may hold a certificate Firefox has not accepted); the own
    // certificate's SHA-256 fingerprint as Firefox computes it.
    certificates() {
      const t = dtls();
      const chain = t && t.state === "connected" ? t.getRemoteCertificates() : [];
      const own = cert.getFingerprints().find((f) => f.algorithm === "sha-256");
      return {
        remote: chain.length ? b64(chain[0]) : null,
        dtls: t ? t.state : null,
        local: own ? `sha-256 ${own.value.toUpperCase()}` : null,
      };
    },
    close: () => pc && pc.close(),
  };
  link.onopen = async () => {
    cert = await RTCPeerConnection.generateCertificate({ name: "ECDSA", namedCurve: "P-256" });
    ev({ kind: "ready" });
  };
  link.onmessage = async (m) => {
    const { id, call, arg } = JSON.parse(m.data);
    try {
      const value = await calls[call](arg);
      link.send(JSON.stringify({ id, ok: true, value: value === undefined ? null : value }));
    } catch (e) {
      link.send(JSON.stringify({ id, ok: false, error: `${e.name}: ${e.message}` }));
    }
  };
}

const PAGE = `<!doctype html><title>sigtrust interop</title><script>(${pageSide})();</script>`;
let firefox = null;
let profile = null;
let link = null;
let nextCall = 0;
const pending = new Map();

// The page's WebSocket, once Firefox has started and loaded the page.
const ready = new Promise((resolve, reject) => {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(PAGE);
  });
  const wss = new WebSocketServer({ server, path: "/link" });
  wss.on("connection", (ws) => {
    if (link) return ws.close();
    link = ws;
    ws.on("message", (raw) => {
      const m = JSON.parse(String(raw));
      if (m.event?.kind === "ready") { mark("browser_ms"); resolve(ws); }
      else if (m.event) onPageEvent(m.event);
      else if (pending.has(m.id)) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        m.ok ? p.resolve(m.value) : p.reject(new Error(m.error));
      }
    });
  });
  server.listen(0, "127.0.0.1", () => {
    routeInPrivateNamespace();
    removeStaleProfiles();
    profile = mkdtempSync(join(tmpdir(), `sigtrust-firefox-${process.pid}-`));
    writeFileSync(join(profile, "user.js"),
      Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(""));
    firefox = spawn(fileURLToPath(new URL("./firefox-tied", import.meta.url)),
      ["--headless", "--no-remote", "--profile", profile, `http://127.0.0.1:${server.address().port}/`],
      { detached: true, stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: "1", MOZ_HEADLESS: "1" } });
    firefox.on("exit", (code, signal) => reject(new Error(`Firefox ended (${signal ?? code}) before its page was ready`)));
    server.unref();
  });
});
ready.catch((e) => peer.refuse(`firefox: could not start the browser: ${String(e.message).slice(0, 200)}`));

// Calls the page; its errors are Firefox's own text (a fingerprint it quotes is
// cut to 8 bytes, so the reason after it fits the 200 characters of a refusal).
const inPage = async (call, arg) => {
  const ws = await ready;
  return new Promise((resolve, reject) => {
    const id = ++nextCall;
    pending.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, call, arg }));
  }).catch((e) => {
    throw new Error(String(e.message).split("\n")[0]
      .replace(/((?:[0-9A-Fa-f]{2}:){7}[0-9A-Fa-f]{2})(?::[0-9A-Fa-f]{2})+/g, "$1…"));
  });
};

// The whole browser ends with this process: every process of its session (it
// was started in a session of its own: the main process, its content and
// utility processes, whatever process group they chose), then the temporary
// profile is removed.
function killBrowser() {
  const sid = firefox?.pid;
  if (sid) {
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        // /proc/PID/stat: "pid (comm) state ppid pgrp session ..."; comm may hold spaces.
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
        if (Number(fields[3]) === sid) process.kill(Number(pid), "SIGKILL");
      } catch {}
    }
  }
  if (profile) try { rmSync(profile, { recursive: true, force: true }); } catch {}
}

// Profiles of adapters that were killed (SIGKILL leaves no way out to remove
// them; the browser died with them): removed by the next adapter.
function removeStaleProfiles() {
  for (const name of readdirSync(tmpdir())) {
    const owner = name.match(/^sigtrust-firefox-(\d+)-/);
    if (!owner) continue;
    try { process.kill(Number(owner[1]), 0); continue; } catch (e) { if (e.code !== "ESRCH") continue; }
    try { rmSync(join(tmpdir(), name), { recursive: true, force: true }); } catch {}
  }
}
process.on("exit", killBrowser);
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(1));

let role = null;
let opened = false;
let sending = Promise.resolve();
const peer = joinRelay(STACK, opts, WebSocket, {
  onReady: async () => {
    if (role) return;
    role = "offer";
    const sdp = await inPage("offer");
    peer.send({ type: "offer", sdp });
    mark("described_ms");
  },
  onOffer: async (sdp) => {
    if (role) return;
    role = "answer";
    const answer = await inPage("answer", sdp);
    peer.send({ type: "answer", sdp: answer });
    mark("described_ms");
  },
  onAnswer: async (sdp) => role && (await inPage("accept", sdp)),
  onCandidate: async (c) => role && (await inPage("candidate", c)),
  close: async () => {
    // The last messages leave before the browser goes (bounded: a hung page must not hold the exit).
    await Promise.race([sending, new Promise((r) => setTimeout(r, 1000))]);
    killBrowser();
  },
  exitInfo: () => ({ stack: version(), timings }),
});
const { out, finish, refuse, received } = peer;
const done = () => opened && received.length >= Number(opts.expect);

// What Firefox's DTLS layer authenticated, hashed here; null before it accepted a peer.
async function certificates() {
  let c = {};
  try { c = await inPage("certificates"); } catch {}
  return { remoteCertificate: c.remote ? fingerprint(Buffer.from(c.remote, "base64")) : null,
           localCertificate: c.local ?? null };
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
    const say = (text) => { sending = sending.then(() => inPage("send", text)).catch(() => {}); };
    if (!channelOpened(peer, certs, say)) return;
    opened = true;
    if (done()) finish(0);
  } else if (e.kind === "message") {
    received.push(e.text);
    out({ event: "message", text: e.text });
    if (done()) finish(0);
  }
}
