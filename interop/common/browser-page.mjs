// What the browser adapters (interop/chromium, interop/firefox) share. The
// adapter serves the browser one page (http://127.0.0.1:PORT/, from its own HTTP
// server, nothing on the network). The page holds the RTCPeerConnection and
// talks to the adapter over a WebSocket of the same server: the adapter calls
// it (offer, answer, accept, candidate, send, certificates), the page answers
// and tells what happens (connection state, channel open, message). No
// WebDriver, no evaluation from outside: the page reports by itself, so the
// adapter needs only `ws`, and the browser may be its own or one shared by a
// run (a `service`, interop/stacks.yaml) that opens the page in a browser
// context or a frame of its own and closes it when the adapter's socket to it
// closes — on the way out, or when the adapter dies.
//
// Node's own modules only: the adapter passes its `ws` classes.
import { createServer } from "node:http";
import { channelOpened, fingerprint, joinRelay } from "./relay-peer.mjs";

// Runs in the page. `stack` is the browser's own part: prepare() before the
// page says it is ready, configuration() for each RTCPeerConnection, and
// certificates(pc, dtlsTransport) → { remote: DER base64 | null, localDer:
// DER base64 | null, localFingerprint: "sha-256 …" | null }.
function pageSide(stack) {
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
  const fresh = () => {
    pc = new RTCPeerConnection({ iceServers: [], ...stack.configuration() });
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
    certificates: () => (pc ? stack.certificates(pc, dtls()) : {}),
    close: () => pc && pc.close(),
  };
  link.onopen = async () => {
    await stack.prepare();
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

// Runs the adapter: serves the page (pageSide with `stackPart`, a function
// returning the browser's own part, see pageSide), opens it — in the shared
// browser of `opts.service`, else in a browser of its own, `launch(url)` →
// { exited: Promise that rejects if the browser ends, close() } — and speaks
// the relay protocol. `version()` names the browser for the report, unless the
// service said what it is ({"version": …}, its one message on that socket).
export function runBrowserAdapter({ stack, opts, WebSocket, WebSocketServer, stackPart, launch, version }) {
  const started = Date.now();
  const timings = {};
  const mark = (what) => { timings[what] = Date.now() - started; };
  const PAGE = `<!doctype html><title>sigtrust interop</title><script>(${pageSide})((${stackPart})());</script>`;
  let browser = null; // a browser of its own
  let service = null; // the socket to the shared browser's service, which holds the page while it is open
  let served = {}; // what the service said of the page it opened: { version }
  let link = null;
  let nextCall = 0;
  const pending = new Map();

  // The page's WebSocket, once the browser has loaded the page and it is ready.
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
    server.listen(0, "127.0.0.1", async () => {
      const url = `http://127.0.0.1:${server.address().port}/`;
      if (opts.service) {
        service = new WebSocket(`${opts.service}?url=${encodeURIComponent(url)}`);
        service.on("message", (raw) => { try { served = JSON.parse(String(raw)); } catch {} });
        service.on("error", (e) => reject(new Error(`service: ${e.message}`)));
        service.on("close", () => reject(new Error("the shared browser's service closed")));
      } else {
        try {
          browser = await launch(url);
          browser.exited.catch(reject);
        } catch (e) { reject(e); }
      }
      server.unref();
    });
  });
  ready.catch((e) => peer.refuse(`${stack}: could not start the browser: ${String(e.message).slice(0, 200)}`));

  // Calls the page; its errors are the browser's own text (a fingerprint it
  // quotes is cut to 8 bytes, so the reason after it fits the 200 characters
  // of a refusal).
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

  for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(1));

  let role = null;
  let opened = false;
  let sending = Promise.resolve();
  const peer = joinRelay(stack, opts, WebSocket, {
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
      // The last messages leave before the page goes (bounded: a hung page must not hold the exit).
      await Promise.race([sending, new Promise((r) => setTimeout(r, 1000))]);
      service?.close();
      await browser?.close();
    },
    exitInfo: () => ({ stack: stackVersion(), timings }),
  });
  const { out, finish, refuse, received } = peer;
  const stackVersion = () => served.version ?? version();
  const done = () => opened && received.length >= Number(opts.expect);

  // What the browser's DTLS layer authenticated, hashed here; null before it accepted a peer.
  async function certificates() {
    let c = {};
    try { c = await inPage("certificates"); } catch {}
    const hash = (b64) => (b64 ? fingerprint(Buffer.from(b64, "base64")) : null);
    return { remoteCertificate: hash(c.remote), localCertificate: c.localFingerprint ?? hash(c.localDer) };
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
      const certs = { ...(await certificates()), stack: stackVersion(), timings };
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
}
