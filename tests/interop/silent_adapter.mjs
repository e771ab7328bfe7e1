// A client of the relay protocol (interop/common/relay-peer.mjs) for
// tests/interop/interop_command.test.mjs: it offers or answers a fixed,
// unaltered description, then gives up without ever sending a `report` and
// exits 1, as a stack that never connected would. The relay can only infer
// this session; the interop runner must not call it `secure`.
import { createRequire } from "node:module";

const WebSocket = createRequire(import.meta.url)("../../interop/werift/node_modules/ws");
const arg = (k) => process.argv[process.argv.indexOf(`--${k}`) + 1];
const peer = arg("peer");
const fingerprint = Array.from({ length: 32 }, (_, i) => (peer === "alice" ? i : 255 - i).toString(16).padStart(2, "0"))
  .join(":").toUpperCase();
const sdp = (setup) => ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", "a=mid:0", "a=ice-ufrag:abcd",
  "a=ice-pwd:abcdefghijklmnopqrstuvwx", `a=fingerprint:sha-256 ${fingerprint}`, `a=setup:${setup}`,
  "a=sctp-port:5000", ""].join("\r\n");

const ws = new WebSocket(`${arg("url")}?peer=${encodeURIComponent(peer)}`);
const send = (m) => ws.send(JSON.stringify(m));
ws.on("open", () => send({ type: "ready" }));
ws.on("message", (raw) => {
  const m = JSON.parse(String(raw));
  if (m.type === "ready" && arg("role") === "offer") send({ type: "offer", sdp: sdp("actpass") });
  else if (m.type === "offer" && arg("role") === "answer") send({ type: "answer", sdp: sdp("active") });
});
ws.on("error", () => {});
setTimeout(() => {
  process.stdout.write(JSON.stringify({ peer, event: "exit", code: 1, error: "never connected" }) + "\n");
  process.exit(1);
}, 1500);
