// libwebrtc (Google's WebRTC, M106, through its Node binding @roamhq/wrtc,
// unpatched, from npm with its prebuilt binary) as a client of sigtrust's relay
// protocol: joins a room, offers or answers with a data channel "chat", sends
// the messages it is given once the channel is open, and reports to the relay —
// and on stdout, one JSON object per line — the certificate libwebrtc's DTLS
// layer authenticated.
//
// The remote certificate is read from the DTLS transport under the data
// channel's SCTP transport (pc.sctp.transport.getRemoteCertificates(): the DER
// chain the peer presented in the handshake) and hashed here; failing that,
// from getStats(): the transport entry's remoteCertificateId names a
// certificate entry whose base64Certificate libwebrtc also takes from the DTLS
// session (its remote SSL certificate chain), not from the SDP. The own
// certificate is getStats()'s localCertificateId entry, hashed here too.
//
// libwebrtc does not always fire connectionstatechange through this binding:
// connectionState is also polled.
//
// Usage: node client.mjs --url ws://127.0.0.1:PORT/ROOM --peer alice --role offer|answer
//          [--say TEXT]... [--expect N] [--expect-remote "sha-256 AB:..."] [--timeout-ms MS]
// (the options of interop/common/relay-peer.mjs). Exit status: 0 done, 1 refused
// or failed, 2 bad usage.
import wrtc from "@roamhq/wrtc";
import WebSocket from "ws";
import { channelOpened, fingerprint, joinRelay, parseOptions } from "../common/relay-peer.mjs";

const STACK = "wrtc";
const opts = parseOptions(STACK);
let pc = null;

const peer = joinRelay(STACK, opts, WebSocket, {
  onReady: async () => {
    if (pc) return;
    fresh();
    useChannel(pc.createDataChannel("chat"));
    await pc.setLocalDescription(await pc.createOffer());
    await sendDescription("offer");
  },
  onOffer: async (sdp) => {
    fresh();
    pc.ondatachannel = (e) => useChannel(e.channel);
    await pc.setRemoteDescription({ type: "offer", sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await sendDescription("answer");
  },
  onAnswer: async (sdp) => pc && (await pc.setRemoteDescription({ type: "answer", sdp })),
  onCandidate: async (c) => pc && (await pc.addIceCandidate(c).catch(() => {})),
  close: () => pc?.close(),
});

// No ICE server (libwebrtc has none by default either); with only lo up it
// gathers 127.0.0.1 and ::1 by itself.
function fresh() {
  pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  let last = "";
  const watch = async () => {
    const state = pc?.connectionState;
    if (!state || state === last) return;
    last = state;
    peer.out({ event: "connection", state });
    if (state === "failed") {
      // dtlsState "new": it failed in ICE, before any DTLS handshake (no refusal).
      const dtls = pc?.sctp?.transport?.state;
      peer.refuse("connection failed (ICE or DTLS)", { ...(await certificates()), ...(dtls ? { dtlsState: dtls } : {}) });
    }
  };
  pc.onconnectionstatechange = watch;
  setInterval(watch, 50).unref();
}

// Complete SDP, as the relay protocol asks: wait for gathering to end (5 s at most).
function sendDescription(type) {
  return new Promise((resolve) => {
    let sent = false;
    const go = () => {
      if (sent) return;
      sent = true;
      peer.send({ type, sdp: pc.localDescription.sdp });
      resolve();
    };
    if (pc.iceGatheringState === "complete") return go();
    const t = setTimeout(go, 5000);
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && (clearTimeout(t), go());
  });
}

const hashB64 = (b64) => (b64 ? fingerprint(Buffer.from(b64, "base64")) : null);

// What the DTLS layer authenticated: only a certificate libwebrtc accepted —
// its DTLS transport is "connected" only once the peer's certificate matched
// the remote a=fingerprint; a refused one is reported as none.
async function certificates() {
  const localCertificate = await ownCertificate();
  const dtls = pc?.sctp?.transport;
  if (dtls?.state !== "connected") return { remoteCertificate: null, localCertificate };
  try {
    const chain = dtls.getRemoteCertificates() ?? [];
    if (chain.length > 0)
      return { remoteCertificate: fingerprint(Buffer.from(chain[0])), localCertificate, remoteCertificateFrom: "RTCDtlsTransport" };
  } catch {}
  try {
    const stats = await pc.getStats();
    for (const s of stats.values()) {
      const remote = s.type === "transport" && hashB64(stats.get(s.remoteCertificateId)?.base64Certificate);
      if (remote) return { remoteCertificate: remote, localCertificate, remoteCertificateFrom: "getStats" };
    }
  } catch {}
  return { remoteCertificate: null, localCertificate };
}

async function ownCertificate() {
  try {
    const stats = await pc.getStats();
    for (const s of stats.values())
      if (s.type === "transport" && s.localCertificateId)
        return hashB64(stats.get(s.localCertificateId)?.base64Certificate);
  } catch {}
  return null;
}

function useChannel(ch) {
  const { opts: o, out, finish, received } = peer;
  // A message may arrive while the certificates are still being read: leave
  // only once the channel's report is out.
  let reported = false;
  const done = () => reported && received.length >= Number(o.expect);
  ch.onopen = async () => {
    reported = channelOpened(peer, await certificates(), (text) => ch.send(text));
    if (done()) finish(0);
  };
  ch.onmessage = (e) => {
    const text = typeof e.data === "string" ? e.data : `(${e.data.byteLength} bytes)`;
    received.push(text);
    out({ event: "message", text });
    if (done()) finish(0);
  };
}
