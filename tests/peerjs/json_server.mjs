// A small signaling server of an imaginary application, written for the
// generic JSON mode of `sigtrust proxy`: its messages have a shape of their
// own, unknown to sigtrust until told by JSON Pointers:
//   {"kind":"description","body":{"desc":{"type":"offer"|"answer","sdp":"v=0…"}}}
//   {"kind":"ice","body":{"line":"candidate:…"}}
// WebSocket at /rooms/<name>?peer=<label>: everything a client sends goes to
// the other client of its room. GET / serves the application's page, which
// opens an RTCPeerConnection with a data channel (role=offer|answer in the URL).
// Prints "json server on http://127.0.0.1:PORT".
import http from "node:http";
import { WebSocketServer } from "ws";

const PAGE = `<!doctype html><meta charset="utf-8"><title>json app</title><script>
"use strict";
const q = new URLSearchParams(location.search);
const app = window.sigtrust = { state: "starting", received: [], localCertificate: null, remoteCertificate: null };
const ws = new WebSocket("ws://" + location.host + "/rooms/" + q.get("room") + "?peer=" + q.get("peer"));
const pc = new RTCPeerConnection({ iceServers: [] });
const send = (o) => ws.send(JSON.stringify(o));
pc.onicecandidate = (e) => { if (e.candidate && e.candidate.candidate) send({ kind: "ice", body: { line: e.candidate.candidate } }); };
async function certificates() {
  const stats = await pc.getStats();
  stats.forEach((s) => {
    if (s.type !== "transport" || !s.remoteCertificateId) return;
    const c = (id) => { const x = stats.get(id); return x.fingerprintAlgorithm + " " + x.fingerprint.toUpperCase(); };
    app.localCertificate = c(s.localCertificateId);
    app.remoteCertificate = c(s.remoteCertificateId);
  });
}
function use(ch) {
  ch.onopen = async () => {
    await certificates();
    app.state = "open";
    if (q.get("role") === "offer") ch.send(q.get("say") || "hello");
  };
  ch.onmessage = (e) => { app.received.push(String(e.data)); if (q.get("role") === "answer") ch.send("ack " + e.data); };
}
ws.onopen = async () => {
  if (q.get("role") !== "offer") return;
  use(pc.createDataChannel("chat"));
  await pc.setLocalDescription(await pc.createOffer());
  send({ kind: "description", body: { desc: { type: "offer", sdp: pc.localDescription.sdp } } });
};
pc.ondatachannel = (e) => use(e.channel);
ws.onmessage = async (e) => {
  const m = JSON.parse(e.data);
  try {
    if (m.kind === "description") {
      await pc.setRemoteDescription(m.body.desc);
      if (m.body.desc.type === "offer") {
        await pc.setLocalDescription(await pc.createAnswer());
        send({ kind: "description", body: { desc: { type: "answer", sdp: pc.localDescription.sdp } } });
      }
    } else if (m.kind === "ice") {
      await pc.addIceCandidate({ candidate: m.body.line, sdpMid: "0" });
    }
  } catch (err) { app.state = "error: " + err.message; }
};
</script>`;

const rooms = new Map();
const server = http.createServer((req, res) => {
  if (req.url.startsWith("/?") || req.url === "/") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(PAGE);
  } else {
    res.writeHead(404);
    res.end();
  }
});
const wss = new WebSocketServer({ server });
wss.on("connection", (ws, req) => {
  const room = new URL(req.url, "http://x").pathname;
  if (!rooms.has(room)) rooms.set(room, new Set());
  const members = rooms.get(room);
  members.add(ws);
  ws.on("message", (data) => { for (const m of members) if (m !== ws) m.send(data.toString()); });
  ws.on("close", () => members.delete(ws));
});
server.listen(0, "127.0.0.1", () => console.log(`json server on http://127.0.0.1:${server.address().port}`));
