// What every interop client (interop/<stack>/client.mjs) shares: its command
// line, the relay protocol (docs/live-demo.md "Protocol": join a room with
// ?peer=NAME, "ready", offer/answer with complete SDP, candidates, "report"),
// one JSON event a line on stdout, and the end of the process. The stack's own
// part — the peer connection, its data channel, and reading the certificate its
// DTLS layer authenticated — stays in the stack's client.
//
// Node's own modules only: each client passes its own `ws` WebSocket class, so
// this folder needs no node_modules.
//
// Common options:
//   --url ws://HOST:PORT/ROOM --peer NAME --role offer|answer
//   --say TEXT        a message to send once the channel is open (repeatable)
//   --expect N        exit once N messages arrived (default 0: exit after sending)
//   --expect-remote   a fingerprint learned out of band ("sha-256 AB:..."): a DTLS
//                     peer with another certificate is refused after the handshake
//   --timeout-ms MS   give up (exit 1, reported) after MS milliseconds
// Exit status: 0 done, 1 refused or failed, 2 bad usage.
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";

// "sha-256 AB:CD:…" of a DER certificate (RFC 8122 §5 fingerprint syntax, upper case).
export const fingerprint = (der) =>
  "sha-256 " + createHash("sha256").update(der).digest("hex").toUpperCase().match(/../g).join(":");

// Parses the common options plus the stack's `extra` ones (parseArgs syntax);
// bad usage exits 2 with the reason on stderr.
export function parseOptions(stack, extra = {}) {
  try {
    const { values } = parseArgs({
      options: {
        url: { type: "string" },
        peer: { type: "string" },
        role: { type: "string" },
        say: { type: "string", multiple: true, default: [] },
        expect: { type: "string", default: "0" },
        "expect-remote": { type: "string" },
        "timeout-ms": { type: "string", default: "20000" },
        ...extra,
      },
    });
    if (!values.url || !values.peer || !["offer", "answer"].includes(values.role))
      throw new Error("--url, --peer and --role offer|answer are required");
    return values;
  } catch (e) {
    console.error(`${stack} client: ${e.message}`);
    process.exit(2);
  }
}

// Joins the relay room and dispatches its messages to `handlers`:
//   onReady()          (offerer) the other peer is there: make the offer
//   onOffer(sdp)       (answerer) the offer arrived: answer it
//   onAnswer(sdp)      (offerer) the answer arrived
//   onCandidate(c)     a trickled candidate
//   close()            called once on the way out (close the peer connection)
//   exitInfo()         more fields for the exit event (e.g. media counts)
// Returns { opts, out, send, finish, refuse, report, received }: `out` prints one
// JSON event; `report` sends the relay the report message; `refuse` reports an
// error and exits 1; `finish(code, extra)` prints the exit event and exits.
export function joinRelay(stack, opts, WebSocket, handlers) {
  // The exit event is the adapter's last line: closing the peer connection
  // afterwards fires state changes that must not print after it.
  let exited = false;
  const out = (obj) => {
    if (exited) return;
    process.stdout.write(JSON.stringify({ peer: opts.peer, ...obj }) + "\n");
    exited = obj.event === "exit";
  };
  const ws = new WebSocket(`${opts.url}?peer=${encodeURIComponent(opts.peer)}`);
  const send = (m) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
  const received = [];
  let finished = false;

  async function finish(code, extra) {
    if (finished) return;
    finished = true;
    out({ event: "exit", code, received, ...handlers.exitInfo?.(), ...extra });
    // Give the WebSocket a moment to flush the last report, then leave.
    await new Promise((r) => setTimeout(r, 200));
    try { await handlers.close?.(); } catch {}
    ws.close();
    process.exit(code);
  }
  setTimeout(() => finish(1, { error: `timed out after ${opts["timeout-ms"]} ms` }), Number(opts["timeout-ms"])).unref();

  const report = (r) => send({ type: "report", report: r });
  function refuse(reason, certs = {}) {
    out({ event: "refused", reason });
    report({ error: reason, ...certs });
    finish(1, { error: reason });
  }

  ws.on("open", () => send({ type: "ready" }));
  ws.on("error", (e) => finish(1, { error: `signaling: ${e.message}` }));
  ws.on("message", async (raw) => {
    let m;
    try { m = JSON.parse(String(raw)); } catch { return out({ event: "unreadable-signaling" }); }
    try {
      if (m.type === "ready" && opts.role === "offer") await handlers.onReady();
      else if (m.type === "offer" && opts.role === "answer") await handlers.onOffer(m.sdp);
      else if (m.type === "answer" && opts.role === "offer") await handlers.onAnswer(m.sdp);
      else if (m.type === "candidate" && m.candidate) await handlers.onCandidate?.(m.candidate);
    } catch (e) {
      refuse(`${stack}: ${String(e.message).slice(0, 200)}`);
    }
  });
  return { opts, out, send, finish, refuse, report, received };
}

// Once the data channel is open, with the certificates the stack's DTLS layer
// reported: refuses a peer other than the one learned out of band, otherwise
// reports connected and says the --say messages through `sendText`.
export function channelOpened(peer, certs, sendText) {
  const { opts, out, refuse, report } = peer;
  out({ event: "open", ...certs });
  if (opts["expect-remote"] && certs.remoteCertificate !== opts["expect-remote"]) {
    refuse(`DTLS peer certificate ${certs.remoteCertificate} is not the one learned out of band`, certs);
    return false;
  }
  report({ connected: true, ...certs });
  for (const text of opts.say) sendText(text);
  return true;
}
