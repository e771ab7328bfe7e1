// An unmodified PeerServer (npm `peer`) on 127.0.0.1, port from the OS;
// prints "peerserver on http://127.0.0.1:PORT" when it listens.
import { PeerServer } from "peer";
const server = PeerServer({ port: 0, host: "127.0.0.1", path: "/", key: "peerjs" }, (s) => {
  console.log(`peerserver on http://127.0.0.1:${s.address().port}`);
});
server.on("error", (e) => console.error("peerserver error:", e.message));
