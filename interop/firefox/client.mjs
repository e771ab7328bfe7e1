// Firefox ESR (Debian's /usr/lib/firefox-esr, headless, unpatched; never a
// downloaded browser) as a client of sigtrust's relay protocol: one Node
// process serves one page (http://127.0.0.1:PORT/, from this process, nothing
// on the network), opened by one headless Firefox on a fresh temporary profile.
// The page holds the RTCPeerConnection and talks to this process over a
// WebSocket of the same server (../common/browser-page.mjs: the adapter shared
// with Chromium's). No WebDriver: the page reports by itself. This process
// speaks the relay protocol, and prints one JSON object per line on stdout.
//
// The remote certificate is the one Firefox's DTLS transport received, read once
// that transport is "connected" (Firefox connects it only after the peer's
// certificate matched the fingerprint it checks): the DER of
// pc.sctp.transport.getRemoteCertificates(), hashed here. Firefox's getStats()
// has no certificate entries.
//
// With `--service ENDPOINT` (./service.mjs, which `sigtrust interop` starts once
// per run) the page is opened in a frame of that shared Firefox instead, and
// removed when this process's socket to the service closes (on its way out, or
// when it dies). Without it, no browser process outlives this one: Firefox is
// started through ./firefox-tied (PR_SET_PDEATHSIG: the kernel kills it with
// this process, even by SIGKILL) in a process group of its own, which the way
// out kills whole (./browser.mjs).
//
// Usage: node client.mjs --url ws://127.0.0.1:PORT/ROOM --peer alice --role offer|answer
//          [--say TEXT]... [--expect N] [--expect-remote "sha-256 AB:..."] [--timeout-ms MS]
//          [--service ws://127.0.0.1:PORT/open]
// (the options of interop/common/relay-peer.mjs). Exit status: 0 done, 1 refused
// or failed, 2 bad usage.
import WebSocket, { WebSocketServer } from "ws";
import { runBrowserAdapter } from "../common/browser-page.mjs";
import { parseOptions } from "../common/relay-peer.mjs";
import { launchFirefox, version } from "./browser.mjs";

// Firefox's part of the page. The own certificate is made here (ECDSA P-256,
// Firefox's default kind) so that Firefox can say its fingerprint
// (RTCCertificate.getFingerprints()). The peer's DER certificate is read once
// the DTLS transport is connected (before, it may hold a certificate Firefox
// has not accepted).
function firefoxPart() {
  let cert = null;
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
  return {
    prepare: async () => {
      cert = await RTCPeerConnection.generateCertificate({ name: "ECDSA", namedCurve: "P-256" });
    },
    configuration: () => ({ certificates: [cert] }),
    certificates(pc, dtls) {
      const chain = dtls && dtls.state === "connected" ? dtls.getRemoteCertificates() : [];
      const own = cert.getFingerprints().find((f) => f.algorithm === "sha-256");
      return {
        remote: chain.length ? b64(chain[0]) : null,
        localFingerprint: own ? `sha-256 ${own.value.toUpperCase()}` : null,
      };
    },
  };
}

// A browser of its own: Firefox on the page, ended whole on the way out.
function launch(url) {
  const { firefox, kill } = launchFirefox(url);
  const exited = new Promise((_, reject) => firefox.on("exit", (code, signal) =>
    reject(new Error(`Firefox ended (${signal ?? code}) before its page was ready`))));
  exited.catch(() => {});
  return { exited, close: kill };
}

runBrowserAdapter({ stack: "firefox", opts: parseOptions("firefox", { service: { type: "string" } }),
                    WebSocket, WebSocketServer, stackPart: firefoxPart, launch, version });
