// Chromium (Debian's /usr/bin/chromium, headless, unpatched; never a
// downloaded browser) as a client of sigtrust's relay protocol: one Node
// process serves one page (http://127.0.0.1:PORT/, from this process, nothing
// on the network), which holds the RTCPeerConnection and talks to this process
// over a WebSocket of the same server (../common/browser-page.mjs: the adapter
// shared with Firefox's). It offers or answers with a data channel "chat",
// sends the messages it is given once the channel is open, and reports to the
// relay — and on stdout, one JSON object per line — the certificate Chromium's
// DTLS layer authenticated.
//
// That certificate is the getStats() `certificate` entry named by the
// transport's remoteCertificateId: Chromium fills it from the certificate its
// DTLS transport received in the handshake. Its DER (base64Certificate) is
// hashed here; the own certificate likewise from localCertificateId.
//
// With `--service ENDPOINT` (./service.mjs, which `sigtrust interop` starts once
// per run) the page is opened in a browser context of its own in that shared
// browser, closed when this process's socket to the service closes (on its way
// out, or when it dies). Without it, this process starts a browser of its own
// with playwright-core (./launch.mjs): no browser process outlives this one, as
// Chromium is started through ./chromium-tied (PR_SET_PDEATHSIG, so the
// browser is killed with this process even by SIGKILL), playwright closes it on
// SIGTERM/SIGINT, and the way out closes it.
//
// Usage: node client.mjs --url ws://127.0.0.1:PORT/ROOM --peer alice --role offer|answer
//          [--say TEXT]... [--expect N] [--expect-remote "sha-256 AB:..."] [--timeout-ms MS]
//          [--service ws://127.0.0.1:PORT/open]
// (the options of interop/common/relay-peer.mjs). Exit status: 0 done, 1 refused
// or failed, 2 bad usage.
import WebSocket, { WebSocketServer } from "ws";
import { runBrowserAdapter } from "../common/browser-page.mjs";
import { parseOptions } from "../common/relay-peer.mjs";
import { launchOptions } from "./launch.mjs";

// Chromium's part of the page. Without a media grant Chromium gathers
// candidates only on the interface of the default route — none in a namespace
// holding only lo. A page that was granted the microphone (a fake one, granted
// by --use-fake-ui-for-media-stream) gathers on every interface, loopback
// included: prepare() takes it and stops it at once.
function chromiumPart() {
  return {
    prepare: async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      for (const t of stream.getTracks()) t.stop();
    },
    configuration: () => ({}),
    // The DER certificates (base64) of the transport's certificate entries.
    async certificates(pc) {
      const stats = await pc.getStats();
      let transport = null;
      stats.forEach((s) => { if (s.type === "transport" && s.remoteCertificateId) transport = s; });
      if (!transport) return {};
      const der = (id) => (stats.get(id) ? stats.get(id).base64Certificate : null);
      return { localDer: der(transport.localCertificateId), remote: der(transport.remoteCertificateId) };
    },
  };
}

let browserVersion = null;
// A browser of its own, on the page.
async function launch(url) {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch(launchOptions);
  browserVersion = browser.version();
  const exited = new Promise((_, reject) => browser.on("disconnected", () => reject(new Error("Chromium ended"))));
  exited.catch(() => {});
  await (await browser.newPage()).goto(url);
  return { exited, close: () => browser.close() };
}

// "Chromium 156.0.8078.114" (a shared browser's service says it itself).
const version = () => (browserVersion ? `Chromium ${browserVersion}` : "Chromium");

runBrowserAdapter({ stack: "chromium", opts: parseOptions("chromium", { service: { type: "string" } }),
                    WebSocket, WebSocketServer, stackPart: chromiumPart, launch, version });
