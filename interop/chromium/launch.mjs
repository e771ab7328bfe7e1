// How Chromium is started, for the adapter (a browser of its own) and the
// service (one browser shared by a run's adapters) alike.
import { fileURLToPath } from "node:url";

export const launchOptions = {
  executablePath: fileURLToPath(new URL("./chromium-tied", import.meta.url)),
  headless: true,
  // Loopback candidates, as addresses (no mDNS names); no sandbox (a user namespace without
  // the sandbox's setuid helper).
  // Fake media devices and an automatic grant: see chromiumPart in client.mjs.
  args: ["--no-sandbox", "--allow-loopback-in-peer-connection",
         "--disable-features=WebRtcHideLocalIpsWithMdns", "--use-fake-ui-for-media-stream",
         "--use-fake-device-for-media-stream"],
};
