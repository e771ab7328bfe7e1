// One headless Chromium shared by every Chromium adapter of a `sigtrust
// interop` run (interop/stacks.yaml `service`): started once (playwright-core,
// ./launch.mjs), it prints its endpoint, ws://127.0.0.1:PORT/open, on its first
// line and runs until it is stopped. An adapter connects to ENDPOINT?url=PAGE
// (its own page, from its own server, ../common/browser-page.mjs): the service
// opens PAGE in a browser context of its own (its own storage and permission
// grants; each RTCPeerConnection makes its own certificate), tells the adapter
// the browser's version ({"version": "Chromium …"}), and closes the context —
// and with it the page's RTCPeerConnection — when that socket closes, whether
// the adapter left or died. A cell so costs a context and a page, not a browser
// start (2-8 s) nor loading playwright in each adapter.
//
// The browser is started through ./chromium-tied (PR_SET_PDEATHSIG: it dies
// with this process, even by SIGKILL); playwright closes it on SIGTERM/SIGINT.
// If it ends, so does this process (exit 1), and the adapters' sockets close.
import { createServer } from "node:http";
import { chromium } from "playwright-core";
import { WebSocketServer } from "ws";
import { launchOptions } from "./launch.mjs";

const browser = await chromium.launch(launchOptions);
browser.on("disconnected", () => { console.error("chromium service: the browser ended"); process.exit(1); });
const version = `Chromium ${browser.version()}`;

const server = createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocketServer({ noServer: true });
server.on("upgrade", (req, socket, head) => {
  const url = new URL(req.url, "http://127.0.0.1");
  const page = url.searchParams.get("url");
  if (url.pathname !== "/open" || !page) return socket.destroy();
  wss.handleUpgrade(req, socket, head, async (ws) => {
    // An adapter killed while its context is being made must not leave the context behind.
    let closed = false;
    let context = null;
    ws.on("close", () => { closed = true; context?.close().catch(() => {}); });
    context = await browser.newContext();
    if (closed) return context.close().catch(() => {});
    ws.send(JSON.stringify({ version }));
    try {
      await (await context.newPage()).goto(page);
    } catch (e) {
      console.error(`chromium service: ${page}: ${e.message.split("\n")[0]}`);
      ws.close();
    }
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`ws://127.0.0.1:${server.address().port}/open\n`));
