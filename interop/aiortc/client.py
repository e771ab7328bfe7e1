"""aiortc (Debian's python3-aiortc, unpatched) as a client of sigtrust's relay
protocol: joins a room, offers or answers with a data channel "chat", sends the
messages it is given once the channel is open, and reports to the relay — and on
stdout, one JSON object per line — the certificate aiortc's DTLS layer
authenticated.

The same command line, protocol, events and report as the Node clients
(interop/common/relay-peer.mjs), written again in Python because aiortc is a
Python stack. Run it with Debian's /usr/bin/python3 (another python3 on PATH
does not see Debian's packages).

The remote certificate is the one aiortc's DTLS transport (the one under the
data channel's SCTP transport, pc.sctp.transport) got in the handshake: its
OpenSSL connection's peer certificate (transport.ssl.get_peer_certificate()),
DER-encoded and hashed here, never the SDP's a=fingerprint — and only once that
transport is "connected", i.e. aiortc accepted the certificate (a handshake
whose certificate it refused reports none). The own certificate
is the sha-256 fingerprint aiortc computes from its own certificate
(transport.getLocalParameters()).

Loopback only: aioice (aiortc's ICE) leaves 127.0.0.1 and ::1 out of the host
addresses it gathers (aioice.ice.get_host_addresses), so this client puts its
own list there: 127.0.0.1, nothing else. No ICE server (aiortc's default is a
public STUN server).

Usage: /usr/bin/python3 client.py --url ws://127.0.0.1:PORT/ROOM --peer alice --role offer|answer
         [--say TEXT]... [--expect N] [--expect-remote "sha-256 AB:..."] [--timeout-ms MS]
Exit status: 0 done, 1 refused or failed, 2 bad usage.
"""

import argparse
import asyncio
import hashlib
import json
import os
import sys
import urllib.parse

import aioice.ice
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp
from OpenSSL import crypto

STACK = "aiortc"


class Usage(argparse.ArgumentParser):
    def error(self, message):
        print(f"{STACK} client: {message}", file=sys.stderr)
        sys.exit(2)


def parse_options():
    p = Usage(prog="client.py", add_help=False)
    p.add_argument("--url", required=True)
    p.add_argument("--peer", required=True)
    p.add_argument("--role", required=True, choices=["offer", "answer"])
    p.add_argument("--say", action="append", default=[])
    p.add_argument("--expect", type=int, default=0)
    p.add_argument("--expect-remote")
    p.add_argument("--timeout-ms", type=int, default=20000)
    return p.parse_args()


def fingerprint(der):
    """"sha-256 AB:CD:…" of a DER certificate (RFC 8122 §5 syntax, upper case)."""
    h = hashlib.sha256(der).hexdigest().upper()
    return "sha-256 " + ":".join(h[i : i + 2] for i in range(0, len(h), 2))


# aioice drops loopback from its host addresses; here loopback is all there is.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []


class Client:
    def __init__(self, opts):
        self.opts = opts
        self.pc = None
        self.ws = None
        self.received = []
        self.finished = False
        self.reported = False  # the channel's report is out: leaving is allowed

    def out(self, **obj):
        if self.finished and obj.get("event") != "exit":
            return  # nothing after the exit event (closing fires state changes)
        sys.stdout.write(json.dumps({"peer": self.opts.peer, **obj}) + "\n")
        sys.stdout.flush()

    async def send(self, msg):
        try:
            await self.ws.send(json.dumps(msg))
        except Exception:
            pass

    async def report(self, r):
        await self.send({"type": "report", "report": r})

    def certificates(self):
        """What the DTLS layer saw: null until a handshake got the peer's certificate."""
        remote = local = None
        dtls = self.pc.sctp.transport if self.pc and self.pc.sctp else None
        if dtls is not None:
            try:
                # Only a certificate aiortc accepted: its transport is "connected" only once the
                # peer's certificate matched a sha-256 a=fingerprint (RTCDtlsTransport.start).
                cert = dtls.ssl.get_peer_certificate() if dtls.state == "connected" else None
                if cert is not None:
                    remote = fingerprint(crypto.dump_certificate(crypto.FILETYPE_ASN1, cert))
            except Exception:
                pass
            for f in dtls.getLocalParameters().fingerprints:
                if f.algorithm.lower() == "sha-256":
                    local = f"sha-256 {f.value.upper()}"
        return {"remoteCertificate": remote, "localCertificate": local}

    async def finish(self, code, **extra):
        if self.finished:
            return
        self.finished = True
        self.out(event="exit", code=code, received=self.received, **extra)
        # Give the WebSocket a moment to flush the last report, then leave.
        await asyncio.sleep(0.2)
        try:
            if self.pc:
                await asyncio.wait_for(self.pc.close(), 1)
        except Exception:
            pass
        sys.stdout.flush()
        os._exit(code)

    async def refuse(self, reason, certs=None):
        self.out(event="refused", reason=reason)
        await self.report({"error": reason, **(certs or {})})
        await self.finish(1, error=reason)

    def fresh(self):
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

        @self.pc.on("connectionstatechange")
        async def on_state():
            state = self.pc.connectionState
            self.out(event="connection", state=state)
            if state == "failed":
                await self.refuse("connection failed (ICE or DTLS)", self.certificates())

    async def opened(self, ch):
        certs = self.certificates()
        self.out(event="open", **certs)
        expected = self.opts.expect_remote
        if expected and certs["remoteCertificate"] != expected:
            await self.refuse(f"DTLS peer certificate {certs['remoteCertificate']} is not the one learned out of band", certs)
            return
        await self.report({"connected": True, **certs})
        self.reported = True
        for text in self.opts.say:
            ch.send(text)
        if len(self.received) >= self.opts.expect:
            await self.finish(0)

    def use_channel(self, ch):
        async def on_message(data):
            text = data if isinstance(data, str) else f"({len(data)} bytes)"
            self.received.append(text)
            self.out(event="message", text=text)
            if self.reported and len(self.received) >= self.opts.expect:
                await self.finish(0)

        ch.on("message", on_message)
        if ch.readyState == "open":
            asyncio.ensure_future(self.opened(ch))
        else:
            ch.on("open", lambda: asyncio.ensure_future(self.opened(ch)))

    # aiortc's setLocalDescription gathers every candidate first: the SDP is complete.
    async def offer(self):
        self.fresh()
        self.use_channel(self.pc.createDataChannel("chat"))
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.send({"type": "offer", "sdp": self.pc.localDescription.sdp})

    async def answer(self, sdp):
        self.fresh()
        self.pc.on("datachannel", self.use_channel)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.send({"type": "answer", "sdp": self.pc.localDescription.sdp})

    async def candidate(self, c):
        line = c if isinstance(c, str) else c.get("candidate", "")
        if not self.pc or not line:
            return
        try:
            cand = candidate_from_sdp(line.split(":", 1)[1] if line.startswith("candidate:") else line)
            cand.sdpMid = c.get("sdpMid", "0") if isinstance(c, dict) else "0"
            await self.pc.addIceCandidate(cand)
        except Exception:
            pass

    async def handle(self, m):
        kind, role = m.get("type"), self.opts.role
        if kind == "ready" and role == "offer" and not self.pc:
            await self.offer()
        elif kind == "offer" and role == "answer":
            await self.answer(m.get("sdp", ""))
        elif kind == "answer" and role == "offer" and self.pc:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=m.get("sdp", ""), type="answer"))
        elif kind == "candidate" and m.get("candidate"):
            await self.candidate(m["candidate"])

    async def run(self):
        url = f"{self.opts.url}?peer={urllib.parse.quote(self.opts.peer)}"
        try:
            self.ws = await websockets.connect(url, max_size=None)
        except Exception as e:
            await self.finish(1, error=f"signaling: {e}")
        await self.send({"type": "ready"})
        try:
            async for raw in self.ws:
                try:
                    m = json.loads(raw)
                except ValueError:
                    self.out(event="unreadable-signaling")
                    continue
                try:
                    await self.handle(m)
                except Exception as e:
                    await self.refuse(f"{STACK}: {(str(e) or type(e).__name__)[:200]}")
        except websockets.ConnectionClosed:
            pass
        # The relay closed the connection: wait for the deadline (or the channel).
        await asyncio.Event().wait()


async def main():
    opts = parse_options()
    client = Client(opts)

    async def deadline():
        await asyncio.sleep(opts.timeout_ms / 1000)
        await client.finish(1, error=f"timed out after {opts.timeout_ms} ms")

    asyncio.ensure_future(deadline())
    await client.run()


if __name__ == "__main__":
    asyncio.run(main())
