// pion/webrtc v3 (Debian's golang-github-pion-webrtc.v3-dev, unpatched, built
// offline by build.sh) as a client of sigtrust's relay protocol
// (docs/live-demo.md "Protocol"): joins a room, offers or answers with a data
// channel "chat", sends the messages it is given once the channel is open, and
// reports to the relay — and on stdout, one JSON object per line — the
// certificate pion's DTLS layer authenticated.
//
// That certificate is pc.SCTP().Transport().GetRemoteCertificate(): the DER
// certificate the peer presented in pion's DTLS handshake, hashed here (SHA-256).
// The own certificate is generated here and hashed the same way.
//
// The command line and behaviour are those of interop/common/relay-peer.mjs:
//
//	pion-client --url ws://127.0.0.1:PORT/ROOM --peer alice --role offer|answer
//	  [--say TEXT]... [--expect N] [--expect-remote "sha-256 AB:..."] [--timeout-ms MS]
//	pion-client --version   prints "pion/webrtc VERSION"
//
// Exit status: 0 done, 1 refused or failed, 2 bad usage.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v3"
)

// Set by build.sh from the Debian package's version.
var stackVersion = "unknown"

var started = time.Now()

// Milliseconds since the process started, at each step (in the report and the exit event).
var timings sync.Map

func mark(what string) { timings.Store(what, time.Since(started).Milliseconds()) }

func timingsMap() map[string]interface{} {
	m := map[string]interface{}{}
	timings.Range(func(k, v interface{}) bool { m[k.(string)] = v; return true })
	return m
}

func stackName() string { return "pion/webrtc " + stackVersion }

type sayList []string

func (s *sayList) String() string     { return strings.Join(*s, ",") }
func (s *sayList) Set(v string) error { *s = append(*s, v); return nil }

type options struct {
	url, peer, role, expectRemote string
	say                           sayList
	expect, timeoutMs             int
}

func parseOptions() options {
	var o options
	fs := flag.NewFlagSet("pion-client", flag.ContinueOnError)
	version := fs.Bool("version", false, "print the stack's name and version")
	fs.StringVar(&o.url, "url", "", "ws://HOST:PORT/ROOM")
	fs.StringVar(&o.peer, "peer", "", "this peer's name")
	fs.StringVar(&o.role, "role", "", "offer|answer")
	fs.Var(&o.say, "say", "a message to send once the channel is open (repeatable)")
	fs.StringVar(&o.expectRemote, "expect-remote", "", "a fingerprint learned out of band")
	expect := fs.String("expect", "0", "exit once N messages arrived")
	timeout := fs.String("timeout-ms", "20000", "give up after MS milliseconds")
	err := fs.Parse(os.Args[1:])
	if err == nil && *version {
		fmt.Printf("pion/webrtc %s\n", stackVersion)
		os.Exit(0)
	}
	if err == nil {
		o.expect, err = strconv.Atoi(*expect)
	}
	if err == nil {
		o.timeoutMs, err = strconv.Atoi(*timeout)
	}
	if err == nil && (o.url == "" || o.peer == "" || (o.role != "offer" && o.role != "answer")) {
		err = fmt.Errorf("--url, --peer and --role offer|answer are required")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pion client: %v\n", err)
		os.Exit(2)
	}
	return o
}

// "sha-256 AB:CD:…" of a DER certificate (RFC 8122 §5 syntax, upper case).
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return "sha-256 " + strings.Join(parts, ":")
}

// lastError keeps what pion logged as a warning or error: its DTLS and ICE
// failures are only logged. The first "Failed to start manager: …" (the ICE or
// DTLS transport refused to start, e.g. "remote certificate does not match any
// fingerprint") is the cause; later warnings are consequences.
type lastError struct {
	mu          sync.Mutex
	text, cause string
}

func (l *lastError) set(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text = s
	if l.cause == "" && strings.Contains(s, "Failed to start") {
		l.cause = s
	}
}

func (l *lastError) get() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cause != "" {
		return l.cause
	}
	return l.text
}

type capture struct {
	scope string
	last  *lastError
}

func (c capture) Trace(string)                  {}
func (c capture) Tracef(string, ...interface{}) {}
func (c capture) Debug(string)                  {}
func (c capture) Debugf(string, ...interface{}) {}
func (c capture) Info(string)                   {}
func (c capture) Infof(string, ...interface{})  {}
func (c capture) Warn(m string)                 { c.last.set(c.scope + ": " + m) }
func (c capture) Warnf(f string, a ...interface{}) {
	c.last.set(c.scope + ": " + fmt.Sprintf(f, a...))
}
func (c capture) Error(m string) { c.last.set(c.scope + ": " + m) }
func (c capture) Errorf(f string, a ...interface{}) {
	c.last.set(c.scope + ": " + fmt.Sprintf(f, a...))
}

type captureFactory struct{ last *lastError }

func (f captureFactory) NewLogger(scope string) logging.LeveledLogger {
	return capture{scope, f.last}
}

type client struct {
	opts      options
	ws        *websocket.Conn
	wsMu      sync.Mutex
	outMu     sync.Mutex
	exited    bool // the exit event was printed (under outMu)
	mu        sync.Mutex
	pc        *webrtc.PeerConnection
	localCert string
	received  []string
	opened    bool // the open event was handled: reported, said
	finished  bool
	logged    lastError
}

func (c *client) out(fields map[string]interface{}) {
	fields["peer"] = c.opts.peer
	b, _ := json.Marshal(fields)
	c.outMu.Lock()
	defer c.outMu.Unlock()
	// The exit event is the adapter's last line: closing the peer connection
	// afterwards fires state changes that must not print after it.
	if c.exited {
		return
	}
	os.Stdout.Write(append(b, '\n'))
	c.exited = fields["event"] == "exit"
}

func (c *client) send(m map[string]interface{}) {
	c.wsMu.Lock()
	defer c.wsMu.Unlock()
	_ = c.ws.WriteJSON(m)
}

func (c *client) report(r map[string]interface{}) {
	c.send(map[string]interface{}{"type": "report", "report": r})
}

// finish prints the exit event, lets the WebSocket flush, closes and exits.
func (c *client) finish(code int, errText string) {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return
	}
	c.finished = true
	received := append([]string{}, c.received...)
	pc := c.pc
	c.mu.Unlock()
	ev := map[string]interface{}{"event": "exit", "code": code, "received": received, "stack": stackName(),
		"timings": timingsMap()}
	if errText != "" {
		ev["error"] = errText
	}
	c.out(ev)
	time.Sleep(200 * time.Millisecond)
	if pc != nil {
		_ = pc.Close()
	}
	c.wsMu.Lock()
	_ = c.ws.Close()
	c.wsMu.Unlock()
	os.Exit(code)
}

// refuse reports an error (with whatever pion logged last) and exits 1.
func (c *client) refuse(reason string) {
	if logged := c.logged.get(); logged != "" && !strings.Contains(reason, logged) {
		reason += " (" + logged + ")"
	}
	c.out(map[string]interface{}{"event": "refused", "reason": reason})
	r := c.certificates()
	r["error"] = reason
	r["stack"] = stackName()
	c.report(r)
	c.finish(1, reason)
}

// What pion's DTLS layer authenticated, hashed here; nil before a handshake.
// pion keeps the peer's certificate before it checks it against the
// fingerprint, so it counts only once the DTLS transport is connected (checked).
func (c *client) certificates() map[string]interface{} {
	certs := map[string]interface{}{"localCertificate": c.localCert, "remoteCertificate": nil}
	c.mu.Lock()
	pc := c.pc
	c.mu.Unlock()
	if pc == nil || pc.SCTP() == nil || pc.SCTP().Transport() == nil {
		return certs
	}
	dtls := pc.SCTP().Transport()
	if der := dtls.GetRemoteCertificate(); len(der) > 0 && dtls.State() == webrtc.DTLSTransportStateConnected {
		certs["remoteCertificate"] = fingerprint(der)
	}
	return certs
}

func (c *client) fresh() (*webrtc.PeerConnection, error) {
	// The own certificate, made here as pion's GenerateCertificate makes it
	// (ECDSA P-256, self-signed), so that its DER is at hand to hash.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	tpl := x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "WebRTC"},
		Issuer:       pkix.Name{CommonName: "WebRTC"},
		NotBefore:    time.Now().AddDate(0, 0, -1),
		NotAfter:     time.Now().AddDate(0, 1, -1),
	}
	der, err := x509.CreateCertificate(rand.Reader, &tpl, &tpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c.localCert = fingerprint(der)
	cert := webrtc.CertificateFromX509(key, parsed)
	se := webrtc.SettingEngine{LoggerFactory: captureFactory{&c.logged}}
	// pion leaves loopback out of its host candidates unless told.
	se.SetIncludeLoopbackCandidate(true)
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{Certificates: []webrtc.Certificate{cert}})
	if err != nil {
		return nil, err
	}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		c.out(map[string]interface{}{"event": "connection", "state": s.String()})
		if s == webrtc.PeerConnectionStateFailed {
			go c.refuse("connection failed (ICE or DTLS)")
		}
	})
	c.mu.Lock()
	c.pc = pc
	c.mu.Unlock()
	return pc, nil
}

func (c *client) useChannel(ch *webrtc.DataChannel) {
	done := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.opened && len(c.received) >= c.opts.expect
	}
	ch.OnOpen(func() {
		mark("open_ms")
		certs := c.certificates()
		ev := map[string]interface{}{"event": "open"}
		for k, v := range certs {
			ev[k] = v
		}
		c.out(ev)
		if c.opts.expectRemote != "" && certs["remoteCertificate"] != c.opts.expectRemote {
			c.refuse(fmt.Sprintf("DTLS peer certificate %v is not the one learned out of band", certs["remoteCertificate"]))
			return
		}
		certs["connected"] = true
		certs["stack"] = stackName()
		certs["timings"] = timingsMap()
		c.report(certs)
		for _, text := range c.opts.say {
			_ = ch.SendText(text)
		}
		c.mu.Lock()
		c.opened = true
		c.mu.Unlock()
		if done() {
			c.finish(0, "")
		}
	})
	ch.OnMessage(func(m webrtc.DataChannelMessage) {
		text := string(m.Data)
		if !m.IsString {
			text = fmt.Sprintf("(%d bytes)", len(m.Data))
		}
		c.mu.Lock()
		c.received = append(c.received, text)
		c.mu.Unlock()
		c.out(map[string]interface{}{"event": "message", "text": text})
		if done() {
			c.finish(0, "")
		}
	})
}

// Complete SDP, as the relay protocol asks: set it, wait for gathering to end, send it.
func (c *client) describe(pc *webrtc.PeerConnection, kind string, d webrtc.SessionDescription) error {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(d); err != nil {
		return err
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	}
	c.send(map[string]interface{}{"type": kind, "sdp": pc.LocalDescription().SDP})
	mark("described_ms")
	return nil
}

func (c *client) offer() error {
	pc, err := c.fresh()
	if err != nil {
		return err
	}
	ch, err := pc.CreateDataChannel("chat", nil)
	if err != nil {
		return err
	}
	c.useChannel(ch)
	d, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	return c.describe(pc, "offer", d)
}

func (c *client) answer(sdp string) error {
	pc, err := c.fresh()
	if err != nil {
		return err
	}
	pc.OnDataChannel(c.useChannel)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return err
	}
	d, err := pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	return c.describe(pc, "answer", d)
}

// A relay message: {"type": ready|offer|answer|candidate, "sdp", "candidate"}.
type message struct {
	Type      string          `json:"type"`
	SDP       string          `json:"sdp"`
	Candidate json.RawMessage `json:"candidate"`
}

func (c *client) handle(m message) error {
	c.mu.Lock()
	pc := c.pc
	c.mu.Unlock()
	switch {
	case m.Type == "ready" && c.opts.role == "offer" && pc == nil:
		return c.offer()
	case m.Type == "offer" && c.opts.role == "answer" && pc == nil:
		return c.answer(m.SDP)
	case m.Type == "answer" && c.opts.role == "offer" && pc != nil:
		return pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP})
	case m.Type == "candidate" && pc != nil && len(m.Candidate) > 0:
		var init webrtc.ICECandidateInit
		if json.Unmarshal(m.Candidate, &init) != nil {
			var line string
			if json.Unmarshal(m.Candidate, &line) != nil {
				return nil
			}
			init.Candidate = line
		}
		_ = pc.AddICECandidate(init)
	}
	return nil
}

func main() {
	o := parseOptions()
	c := &client{opts: o}
	u, err := url.Parse(o.url)
	if err == nil {
		q := u.Query()
		q.Set("peer", o.peer)
		u.RawQuery = q.Encode()
		c.ws, _, err = websocket.DefaultDialer.Dial(u.String(), nil)
	}
	if err != nil {
		c.out(map[string]interface{}{"event": "exit", "code": 1, "received": []string{}, "error": "signaling: " + err.Error()})
		os.Exit(1)
	}
	time.AfterFunc(time.Duration(o.timeoutMs)*time.Millisecond, func() {
		c.finish(1, fmt.Sprintf("timed out after %d ms", o.timeoutMs))
	})
	c.send(map[string]interface{}{"type": "ready"})
	for {
		_, raw, err := c.ws.ReadMessage()
		if err != nil {
			c.finish(1, "signaling: "+err.Error())
			select {} // another goroutine is finishing: it exits the process

		}
		var m message
		if json.Unmarshal(raw, &m) != nil {
			c.out(map[string]interface{}{"event": "unreadable-signaling"})
			continue
		}
		if err := c.handle(m); err != nil {
			text := err.Error()
			if len(text) > 200 {
				text = text[:200]
			}
			go c.refuse("pion: " + text)
		}
	}
}
