// werift (npm, unpatched) as a client of sigtrust's relay protocol
// (docs/live-demo.md "Protocol"): joins a room, offers or answers with a data
// channel "chat", sends the messages it is given once the channel is open,
// and reports to the relay — and on stdout, one JSON object per line — the
// certificate werift's DTLS layer actually authenticated.
//
// That certificate is read from werift's DTLS socket
// (pc.sctpTransport.dtlsTransport.dtls.remoteCertificate, DER) and hashed
// here. Not from getStats: werift's getStats copies the fingerprint from the
// remote SDP, so it would say what the signaling server wrote, not what DTLS
// saw.
//
// Usage: node client.mjs --url ws://127.0.0.1:PORT/ROOM --peer alice --role offer|answer
//          [--say TEXT]... [--expect N] [--expect-remote "sha-256 AB:..."] [--timeout-ms MS]
//   --say            a message to send once the channel is open (repeatable)
//   --expect         exit once N messages arrived (default: the number of --say of the other side is
//                    unknown here, so 0: exit after sending)
//   --audio N        also carry an audio track (Opus, negotiated as browsers do) and send RTP
//                    packets on it, one per 20 ms, once the channel is open: at least N, and on
//                    until the client leaves (a fixed Opus frame: werift encodes nothing; the
//                    packets are real SRTP all the same)
//   --expect-audio M exit only once M RTP packets arrived on the audio track too, and the other
//                    side has said on the channel that it has what it expected: neither end stops
//                    its audio while the other still waits for it (however late the other end's
//                    DTLS and SRTP came up). That word is the control message "\u0006done",
//                    which is not counted as a received message.
//   --junk-rtp K     before sending anything, put K malformed or unauthenticated RTP/RTCP datagrams
//                    straight on the ICE connection (around werift's SRTP), as a hostile peer would
//   --expect-remote  a fingerprint learned out of band: a DTLS peer with another certificate is
//                    refused after the handshake (the session is closed and the relay told
//                    {"error": …}), as a user comparing fingerprints would
// Exit status: 0 done, 1 refused or failed, 2 bad usage.
import { X509Certificate } from "node:crypto";
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from "werift";
import WebSocket from "ws";
import { channelOpened, fingerprint, joinRelay, parseOptions } from "../common/relay-peer.mjs";

const opts = parseOptions("werift", {
  audio: { type: "string", default: "0" },
  "expect-audio": { type: "string", default: "0" },
  "junk-rtp": { type: "string", default: "0" },
});
let pc = null;
let audioReceived = 0;
const peer = joinRelay("werift", opts, WebSocket, {
  onReady: async () => !pc && (await offer()),
  onOffer: (sdp) => answer(sdp),
  onAnswer: async (sdp) => pc && (await pc.setRemoteDescription({ type: "answer", sdp })),
  onCandidate: async (c) => pc && (await pc.addIceCandidate(c).catch(() => {})),
  close: () => pc?.close(),
  exitInfo: () => ({ audioReceived }),
});
const { out, finish, refuse, received } = peer;
// With --expect-audio each end tells the other when it has what it expected
// (DONE_MARK on the channel) and leaves only once both have.
const DONE_MARK = "\u0006done";
const waitsForPeer = Number(opts["expect-audio"]) > 0;
let peerDone = false;
let chat = null;
let toldPeer = false;
const satisfied = () => received.length >= Number(opts.expect) && audioReceived >= Number(opts["expect-audio"]);
const done = () => {
  if (!satisfied()) return false;
  if (!waitsForPeer) return true;
  if (!toldPeer && chat?.readyState === "open") {
    toldPeer = true;
    chat.send(DONE_MARK);
  }
  return peerDone;
};
// Leaves once done(); with --expect-audio only a second after this end sent its
// DONE_MARK: closing the peer connection sooner could tear the association down
// before the mark left (under load a peer waited out its time-out for it).
let leaving = false;
const finishWhenDone = () => {
  if (leaving || !done()) return;
  leaving = true;
  setTimeout(() => finish(0), waitsForPeer ? 1000 : 0);
};

// werift skips interfaces Node marks internal, so loopback only via this option.
// Without a STUN server werift 0.25.2 still queries a public one,
// stun.l.google.com:19302 (DEFAULT_STUN_SERVER, lib/ice/src/ice.js; `iceServers:
// []` does not turn it off), and waits up to 5 s for it: in a namespace with a
// default route (the Firefox adapter adds one), a DNS query that nobody
// answers. So it is given a loopback port where nothing listens, and no time to
// wait for it (iceStunGatherTimeout, seconds): host candidates only.
function fresh() {
  pc = new RTCPeerConnection({ iceServers: [{ urls: "stun:127.0.0.1:9" }], iceStunGatherTimeout: 0,
                               iceAdditionalHostAddresses: ["127.0.0.1"] });
  pc.connectionStateChange.subscribe((state) => {
    out({ event: "connection", state });
    if (state === "failed") refuse("connection failed (ICE or DTLS)");
  });
  return pc;
}

// One Opus frame (RFC 6716 §3.1: TOC 0xF8, a 20 ms CELT frame) repeated: what
// it decodes to does not matter here, only that it travels as SRTP.
const OPUS_FRAME = Buffer.from([0xf8, 0xff, 0xfe]);
let audioTrack = null;

function useAudio(p) {
  if (Number(opts.audio) === 0 && Number(opts["expect-audio"]) === 0) return;
  audioTrack = new MediaStreamTrack({ kind: "audio" });
  p.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe(() => {
      if (++audioReceived === 1) out({ event: "audio", first: true });
      finishWhenDone();
    }));
  return audioTrack;
}

function sendAudio() {
  const n = Number(opts.audio);
  if (!audioTrack || n === 0) return;
  let seq = 1;
  // On until the process leaves (finish exits it): the other end may still be waiting.
  setInterval(() => {
    audioTrack.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: seq * 960, marker: seq === 1 }), OPUS_FRAME));
    ++seq;
  }, 20);
}

// Datagrams whose first byte says RTP or RTCP (RFC 7983) but that are not
// valid SRTP: truncated headers, bad tags, nonsense lengths.
async function sendJunk() {
  const k = Number(opts["junk-rtp"]);
  const ice = pc.sctpTransport?.dtlsTransport?.iceTransport?.connection;
  if (!ice || k === 0) return;
  for (let i = 0; i < k; ++i) {
    const kind = i % 4;
    const junk = kind === 0 ? Buffer.from([0x80])                                             // one byte
      : kind === 1 ? Buffer.from([0x80, 0x6f, 0, i, 0, 0, 0, 0, 1, 2, 3, 4, 0xde, 0xad])      // RTP, no valid tag
      : kind === 2 ? Buffer.from([0x81, 0xc9, 0xff, 0xff, 5, 6, 7, 8])                        // RTCP, length beyond the packet
      : Buffer.alloc(1400, 0xbf);                                                            // large, all 0xbf
    await ice.send(junk).catch(() => {});
  }
  out({ event: "junk-sent", count: k });
}

function certificates() {
  const dtls = pc.sctpTransport?.dtlsTransport;
  const remote = dtls?.dtls?.remoteCertificate;
  const local = dtls?.localCertificate?.certPem;
  return {
    remoteCertificate: remote ? fingerprint(remote) : null,
    localCertificate: local ? fingerprint(new X509Certificate(local).raw) : null,
  };
}

function useChannel(ch) {
  const opened = () => {
    if (!channelOpened(peer, certificates(), (text) => ch.send(text))) return;
    sendJunk();
    sendAudio();
    finishWhenDone();
  };
  chat = ch;
  ch.onMessage.subscribe((data) => {
    if (data === DONE_MARK) {
      peerDone = true;
      finishWhenDone();
      return;
    }
    const text = typeof data === "string" ? data : `(${data.length} bytes)`;
    received.push(text);
    out({ event: "message", text });
    if (ch.readyState === "open") finishWhenDone();
  });
  if (ch.readyState === "open") opened();
  else ch.stateChanged.subscribe((s) => s === "open" && opened());
}

// Complete SDP, as the relay protocol asks: wait for gathering to end.
const gathered = (p) =>
  p.iceGatheringState === "complete" ? Promise.resolve()
    : p.iceGatheringStateChange.watch((s) => s === "complete", 5000).catch(() => {});

async function offer() {
  const p = fresh();
  const track = useAudio(p);
  if (track) p.addTransceiver(track, { direction: "sendrecv" });
  useChannel(p.createDataChannel("chat"));
  await p.setLocalDescription(await p.createOffer());
  await gathered(p);
  peer.send({ type: "offer", sdp: p.localDescription.sdp });
}

async function answer(sdp) {
  const p = fresh();
  p.onDataChannel.subscribe((ch) => useChannel(ch));
  const track = useAudio(p);
  await p.setRemoteDescription({ type: "offer", sdp });
  if (track) {
    const t = p.getTransceivers().find((x) => x.kind === "audio");
    if (t) {
      t.setDirection("sendrecv");
      await t.sender.replaceTrack(track);
    }
  }
  await p.setLocalDescription(await p.createAnswer());
  await gathered(p);
  peer.send({ type: "answer", sdp: p.localDescription.sdp });
}
