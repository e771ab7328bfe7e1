// One headless Firefox shared by every Firefox adapter of a `sigtrust interop`
// run (interop/stacks.yaml `service`). Firefox takes 8-30 s to start on 2
// cores; a frame takes well under a second. It starts Firefox (./browser.mjs)
// on a hub page it serves itself (http://127.0.0.1:PORT/, nothing on the
// network); once the hub is up it prints its endpoint, ws://127.0.0.1:PORT/open,
// on its first line and runs until it is stopped.
//
// An adapter connects to ENDPOINT?url=PAGE (its own page, from its own server):
// the hub opens PAGE in a frame of its own, and removes the frame — and with it
// the page's RTCPeerConnection — when that socket closes, whether the adapter
// left or died. It tells the adapter the browser's version ({"version": …}).
// Each page makes its own certificate, as each adapter's own browser would. If
// Firefox ends, so does this process (exit 1), and the adapters' sockets close.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";
import { launchFirefox, version } from "./browser.mjs";

// The hub: one frame an adapter, added and removed as the service says.
function hubSide() {
  const hub = new WebSocket(`ws://${location.host}/hub`);
  hub.onmessage = (m) => {
    const { open, close, url } = JSON.parse(m.data);
    if (open) {
      const frame = document.createElement("iframe");
      frame.id = `f${open}`;
      frame.src = url;
      document.body.append(frame);
    } else if (close) {
      document.getElementById(`f${close}`)?.remove();
    }
  };
}
const HUB = `<!doctype html><title>sigtrust interop hub</title><body><script>(${hubSide})();</script>`;

let hub = null;
let nextFrame = 0;
const server = createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/html" });
  res.end(HUB);
});
const wss = new WebSocketServer({ noServer: true });
server.on("upgrade", (req, socket, head) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (url.pathname === "/hub" && !hub) {
    wss.handleUpgrade(req, socket, head, (ws) => {
      hub = ws;
      ws.on("close", () => { console.error("firefox service: the hub page closed"); process.exit(1); });
      process.stdout.write(`ws://127.0.0.1:${server.address().port}/open\n`);
    });
  } else if (url.pathname === "/open" && hub && url.searchParams.get("url")) {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const id = ++nextFrame;
      ws.send(JSON.stringify({ version: version() }));
      hub.send(JSON.stringify({ open: id, url: url.searchParams.get("url") }));
      ws.on("close", () => hub.send(JSON.stringify({ close: id })));
    });
  } else {
    socket.destroy();
  }
});
server.listen(0, "127.0.0.1", () => {
  const { firefox } = launchFirefox(`http://127.0.0.1:${server.address().port}/`);
  firefox.on("exit", (code, signal) => {
    console.error(`firefox service: Firefox ended (${signal ?? code})`);
    process.exit(1);
  });
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
