// libdatachannel (through node-datachannel, unpatched, from npm with its
// prebuilt binary) as a client of sigtrust's relay protocol: joins a room,
// offers or answers with a data channel "chat", sends the messages it is given
// once the channel is open, and reports to the relay — and on stdout, one JSON
// object per line — the certificate libdatachannel's DTLS layer authenticated.
//
// The remote certificate is pc.remoteFingerprint(): libdatachannel's DTLS
// transport hashes the certificate the peer presented in the handshake and
// hands that hash to the peer connection's verifier, which keeps it; it is not
// read from the remote SDP. (node-datachannel gives no access to the DER
// certificate itself, only to that hash, with the hash function the remote
// SDP named.) The own certificate is the a=fingerprint libdatachannel wrote
// into its own local description, before any signaling server saw it.
//
// Usage: node client.mjs --url ws://127.0.0.1:PORT/ROOM --peer alice --role offer|answer
//          [--say TEXT]... [--expect N] [--expect-remote "sha-256 AB:..."] [--timeout-ms MS]
// (the options of interop/common/relay-peer.mjs). Exit status: 0 done, 1 refused
// or failed, 2 bad usage.
import nodeDataChannel from "node-datachannel";
import WebSocket from "ws";
import { channelOpened, joinRelay, parseOptions } from "../common/relay-peer.mjs";

const STACK = "node-datachannel";
const opts = parseOptions(STACK);
let pc = null;

// The own certificate, from the stack's own local description.
function localCertificate() {
  const sdp = pc?.localDescription()?.sdp ?? "";
  const m = /^a=fingerprint:(\S+) (\S+)\r?$/m.exec(sdp);
  return m ? `${m[1].toLowerCase()} ${m[2].toUpperCase()}` : null;
}

// What the DTLS layer authenticated. remoteFingerprint() names the certificate
// the peer presented whether or not it matched the SDP (measured: after
// libdatachannel refused the attacker's certificate under prepend-mitm, and
// the peer's own under fingerprint-only, it still named them), so it counts
// only once the connection reached "connected", which libdatachannel enters
// after the fingerprint check passed.
let authenticated = false;
function certificates() {
  let remote = null;
  try {
    const f = authenticated ? pc?.remoteFingerprint() : null;
    if (f?.value) remote = `${String(f.algorithm).toLowerCase()} ${f.value.toUpperCase()}`;
  } catch {}
  return { remoteCertificate: remote, localCertificate: localCertificate() };
}

const peer = joinRelay(STACK, opts, WebSocket, {
  onReady: async () => {
    if (pc) return;
    fresh();
    useChannel(pc.createDataChannel("chat"));
    await sendDescription("offer");
  },
  onOffer: async (sdp) => {
    fresh();
    pc.onDataChannel((ch) => useChannel(ch));
    pc.setRemoteDescription(sdp, "offer");
    await sendDescription("answer");
  },
  onAnswer: async (sdp) => pc?.setRemoteDescription(sdp, "answer"),
  onCandidate: async (c) => {
    const line = typeof c === "string" ? c : c.candidate;
    if (pc && line) pc.addRemoteCandidate(line, (typeof c === "object" && c.sdpMid) || "0");
  },
  close: () => pc?.close(),
});

// Loopback only: libdatachannel binds where it is told; no ICE server at all.
function fresh() {
  pc = new nodeDataChannel.PeerConnection(opts.peer, { iceServers: [], bindAddress: "127.0.0.1" });
  pc.onStateChange((state) => {
    peer.out({ event: "connection", state });
    if (state === "connected") authenticated = true;
    if (state === "failed") peer.refuse("connection failed (ICE or DTLS)", certificates());
  });
}

// Complete SDP, as the relay protocol asks: wait for gathering to end.
function sendDescription(type) {
  return new Promise((resolve) => {
    const go = () => {
      const d = pc.localDescription();
      peer.send({ type, sdp: d.sdp });
      resolve();
    };
    if (pc.gatheringState() === "complete") return go();
    pc.onGatheringStateChange((s) => s === "complete" && go());
  });
}

function useChannel(ch) {
  const { opts: o, out, finish, received } = peer;
  const done = () => received.length >= Number(o.expect);
  ch.onOpen(() => {
    if (channelOpened(peer, certificates(), (text) => ch.sendMessage(text)) && done()) finish(0);
  });
  ch.onMessage((data) => {
    const text = typeof data === "string" ? data : `(${data.length} bytes)`;
    received.push(text);
    out({ event: "message", text });
    if (done()) finish(0);
  });
}
