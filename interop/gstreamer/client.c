/* GStreamer's webrtcbin (Debian's gstreamer1.0-plugins-bad and
 * gstreamer1.0-nice, unpatched) as a client of sigtrust's relay protocol: joins
 * a room, offers or answers with a data channel "chat", sends the messages it
 * is given once the channel is open, and reports to the relay — and on stdout,
 * one JSON object per line — the certificate webrtcbin's DTLS layer
 * authenticated.
 *
 * The same command line, protocol, events and report as the Node clients
 * (interop/common/relay-peer.mjs), written in C against webrtcbin's public API:
 * libsoup 3 for the relay's WebSocket, json-glib for its messages.
 *
 * The remote certificate is the one under the data channel: webrtcbin's
 * "sctp-transport" → its "transport" (the GstWebRTCDTLSTransport) →
 * "remote-certificate", the PEM its DTLS layer got in the handshake, parsed and
 * its DER hashed (SHA-256) here, never the SDP's a=fingerprint; and only once
 * that transport is "connected". The own certificate is that transport's
 * "certificate", hashed the same way. Both are read on the main loop, never in
 * a webrtcbin callback (reading them inside the data channel's callback
 * deadlocks): every webrtcbin signal is handed to the main loop first.
 *
 * Loopback only: libnice leaves loopback addresses out of the ones it gathers
 * on, so the client gives webrtcbin's ICE agent 127.0.0.1 ("add-local-ip-address"
 * of its "ice-agent", which calls nice_agent_add_local_address). No ICE server.
 *
 * Usage: gstreamer-client --url ws://127.0.0.1:PORT/ROOM --peer alice --role offer|answer
 *          [--say TEXT]... [--expect N] [--expect-remote "sha-256 AB:..."] [--timeout-ms MS]
 *        gstreamer-client --version
 * Exit status: 0 done, 1 refused or failed, 2 bad usage. */
#define GST_USE_UNSTABLE_API
#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  gchar *url, *peer, *role, *expect_remote;
  gchar** say;
  gint expect, timeout_ms;
  gboolean offerer;
} Options;

typedef struct {
  Options o;
  GMainLoop* loop;
  GstElement *pipe, *webrtc;
  SoupSession* session;
  SoupWebsocketConnection* ws;
  GstWebRTCDataChannel* channel;
  GPtrArray* received;
  gchar* pending; /* "offer" or "answer": a description waiting for gathering to end */
  gint64 started, described_ms, open_ms;
  gboolean opened, finished, exited; /* exited: the exit event is printed */
} Client;

static Client C;

static const gchar* stack_version(void) {
  GstPlugin* p = gst_registry_find_plugin(gst_registry_get(), "webrtc");
  static gchar v[64] = "unknown";
  if (p) {
    g_strlcpy(v, gst_plugin_get_version(p), sizeof v);
    gst_object_unref(p);
  }
  return v;
}

static gchar* stack_name(void) { return g_strdup_printf("GStreamer webrtcbin %s", stack_version()); }

static gint64 since_start(void) { return (g_get_monotonic_time() - C.started) / 1000; }

/* "sha-256 AB:CD:…" of the first certificate in a PEM (RFC 8122 §5 syntax), or NULL. */
static gchar* fingerprint_of_pem(const gchar* pem) {
  if (!pem || !*pem) return NULL;
  GTlsCertificate* cert = g_tls_certificate_new_from_pem(pem, -1, NULL);
  if (!cert) return NULL;
  GByteArray* der = NULL;
  g_object_get(cert, "certificate", &der, NULL);
  gchar* hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, der->data, der->len);
  GString* s = g_string_new("sha-256 ");
  for (gsize i = 0; hex[i] && hex[i + 1]; i += 2)
    g_string_append_printf(s, "%s%c%c", i ? ":" : "", g_ascii_toupper(hex[i]), g_ascii_toupper(hex[i + 1]));
  g_free(hex);
  g_byte_array_unref(der);
  g_object_unref(cert);
  return g_string_free(s, FALSE);
}

/* What the DTLS layer under the data channel saw: the remote certificate only once
 * that transport is connected (webrtcbin let the handshake finish). */
static void add_certificates(JsonBuilder* b) {
  gchar *remote = NULL, *local = NULL;
  GstWebRTCSCTPTransport* sctp = NULL;
  g_object_get(C.webrtc, "sctp-transport", &sctp, NULL);
  if (sctp) {
    GstWebRTCDTLSTransport* dtls = NULL;
    g_object_get(sctp, "transport", &dtls, NULL);
    if (dtls) {
      gchar *rpem = NULL, *lpem = NULL;
      GstWebRTCDTLSTransportState state = GST_WEBRTC_DTLS_TRANSPORT_STATE_NEW;
      g_object_get(dtls, "remote-certificate", &rpem, "certificate", &lpem, "state", &state, NULL);
      if (state == GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED) remote = fingerprint_of_pem(rpem);
      local = fingerprint_of_pem(lpem);
      g_free(rpem);
      g_free(lpem);
      gst_object_unref(dtls);
    }
    gst_object_unref(sctp);
  }
  json_builder_set_member_name(b, "remoteCertificate");
  remote ? json_builder_add_string_value(b, remote) : json_builder_add_null_value(b);
  json_builder_set_member_name(b, "localCertificate");
  local ? json_builder_add_string_value(b, local) : json_builder_add_null_value(b);
  g_free(remote);
  g_free(local);
}

static void add_stack(JsonBuilder* b) {
  gchar* name = stack_name();
  json_builder_set_member_name(b, "stack");
  json_builder_add_string_value(b, name);
  g_free(name);
  json_builder_set_member_name(b, "timings");
  json_builder_begin_object(b);
  if (C.described_ms >= 0) {
    json_builder_set_member_name(b, "described_ms");
    json_builder_add_int_value(b, C.described_ms);
  }
  if (C.open_ms >= 0) {
    json_builder_set_member_name(b, "open_ms");
    json_builder_add_int_value(b, C.open_ms);
  }
  json_builder_end_object(b);
}

static gchar* to_text(JsonBuilder* b) {
  JsonNode* root = json_builder_get_root(b);
  gchar* text = json_to_string(root, FALSE);
  json_node_unref(root);
  g_object_unref(b);
  return text;
}

/* A builder for one stdout event, with "peer" and "event" filled in. */
static JsonBuilder* event(const gchar* name) {
  JsonBuilder* b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "peer");
  json_builder_add_string_value(b, C.o.peer);
  json_builder_set_member_name(b, "event");
  json_builder_add_string_value(b, name);
  return b;
}

/* Prints one event; nothing after the exit event, the adapter's last line
 * (closing the pipeline afterwards fires state changes). */
static void out(JsonBuilder* b) {
  json_builder_end_object(b);
  gchar* text = to_text(b);
  if (!g_atomic_int_get(&C.exited)) {
    printf("%s\n", text);
    fflush(stdout);
  }
  g_free(text);
}

static void send_text(const gchar* text) {
  if (C.ws && soup_websocket_connection_get_state(C.ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text(C.ws, text);
}

/* Sends the relay {"type": type, key: value} (value a string). */
static void send_pair(const gchar* type, const gchar* key, const gchar* value) {
  JsonBuilder* b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, type);
  if (key) {
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value);
  }
  json_builder_end_object(b);
  gchar* text = to_text(b);
  send_text(text);
  g_free(text);
}

/* Sends the relay a report: the certificates, the stack, and connected or error
 * (with dtls_state, the DTLS transport's state when the connection failed, if known). */
static void report_state(const gchar* error, const gchar* dtls_state) {
  JsonBuilder* b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "report");
  json_builder_set_member_name(b, "report");
  json_builder_begin_object(b);
  add_certificates(b);
  add_stack(b);
  json_builder_set_member_name(b, error ? "error" : "connected");
  error ? json_builder_add_string_value(b, error) : json_builder_add_boolean_value(b, TRUE);
  if (dtls_state) {
    json_builder_set_member_name(b, "dtlsState");
    json_builder_add_string_value(b, dtls_state);
  }
  json_builder_end_object(b);
  json_builder_end_object(b);
  gchar* text = to_text(b);
  send_text(text);
  g_free(text);
}

static void report(const gchar* error) { report_state(error, NULL); }

static gboolean leave(gpointer code) {
  if (C.pipe) gst_element_set_state(C.pipe, GST_STATE_NULL);
  if (C.ws) soup_websocket_connection_close(C.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  fflush(stdout);
  _exit(GPOINTER_TO_INT(code));
  return G_SOURCE_REMOVE;
}

/* Prints the exit event, lets the WebSocket flush the last report, then exits. */
static void finish(gint code, const gchar* error) {
  if (C.finished) return;
  g_atomic_int_set(&C.finished, TRUE);
  JsonBuilder* b = event("exit");
  json_builder_set_member_name(b, "code");
  json_builder_add_int_value(b, code);
  json_builder_set_member_name(b, "received");
  json_builder_begin_array(b);
  for (guint i = 0; i < C.received->len; i++) json_builder_add_string_value(b, g_ptr_array_index(C.received, i));
  json_builder_end_array(b);
  add_stack(b);
  if (error) {
    json_builder_set_member_name(b, "error");
    json_builder_add_string_value(b, error);
  }
  out(b);
  g_atomic_int_set(&C.exited, TRUE);
  g_timeout_add(200, leave, GINT_TO_POINTER(code));
}

/* Reports `reason` (with the DTLS transport's state, if given) and exits 1. */
static void refuse_state(const gchar* reason, const gchar* dtls_state) {
  if (C.finished) return;
  JsonBuilder* b = event("refused");
  json_builder_set_member_name(b, "reason");
  json_builder_add_string_value(b, reason);
  out(b);
  report_state(reason, dtls_state);
  finish(1, reason);
}

static void refuse(const gchar* reason) { refuse_state(reason, NULL); }

static void refusef(const gchar* fmt, ...) G_GNUC_PRINTF(1, 2);
static void refusef(const gchar* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  gchar* reason = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  refuse(reason);
  g_free(reason);
}

/* The main loop waits for webrtcbin's promises (wait_promise); should one never be answered, the
 * time-out (timed_out) could not run. This thread ends the process a little after it instead. */
static gpointer watchdog(gpointer data) {
  g_usleep(((gulong)C.o.timeout_ms + 2000) * 1000);
  if (!g_atomic_int_get(&C.finished)) {
    printf("%s\n", (const gchar*)data);
    fflush(stdout);
    _exit(1);
  }
  return NULL;
}

/* GStreamer's DTLS element makes the process's certificate (RSA) when the first one is made,
 * and webrtcbin makes its DTLS elements inside create-offer / set-remote-description: the key
 * generation (up to 3.5 s measured on 2 busy cores) would delay the description. Made here, while the
 * WebSocket connects, the same certificate is ready when webrtcbin asks for it. */
static gpointer warm_up(gpointer data) {
  (void)data;
  GstElement* dtls = gst_element_factory_make("dtlsdec", NULL);
  if (dtls) gst_object_unref(dtls);
  return NULL;
}

static gboolean timed_out(gpointer data) {
  (void)data;
  gchar* e = g_strdup_printf("timed out after %d ms", C.o.timeout_ms);
  finish(1, e);
  g_free(e);
  return G_SOURCE_REMOVE;
}

/* ---- The data channel (its signals come from webrtcbin's threads: handed to the main loop). ---- */

static gboolean maybe_done(gpointer data) {
  (void)data;
  if (C.opened && (gint)C.received->len >= C.o.expect) finish(0, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean channel_opened(gpointer data) {
  (void)data;
  if (C.opened || C.finished) return G_SOURCE_REMOVE;
  C.open_ms = since_start();
  JsonBuilder* b = event("open");
  add_certificates(b);
  json_builder_end_object(b);
  JsonNode* root = json_builder_get_root(b);
  const gchar* remote =
      json_object_get_string_member_with_default(json_node_get_object(root), "remoteCertificate", NULL);
  gchar* text = json_to_string(root, FALSE);
  printf("%s\n", text);
  fflush(stdout);
  g_free(text);
  gboolean wrong = C.o.expect_remote && g_strcmp0(remote, C.o.expect_remote) != 0;
  gchar* seen = g_strdup(remote ? remote : "null");
  json_node_unref(root);
  g_object_unref(b);
  if (wrong) {
    refusef("DTLS peer certificate %s is not the one learned out of band", seen);
  } else {
    report(NULL);
    for (gchar** s = C.o.say; s && *s; s++) {
      GError* err = NULL;
      if (!gst_webrtc_data_channel_send_string_full(C.channel, *s, &err)) {
        refusef("gstreamer: send: %s", err->message);
        g_clear_error(&err);
      }
    }
    C.opened = TRUE;
    maybe_done(NULL);
  }
  g_free(seen);
  return G_SOURCE_REMOVE;
}

static gboolean message_arrived(gpointer text) {
  g_ptr_array_add(C.received, text);
  JsonBuilder* b = event("message");
  json_builder_set_member_name(b, "text");
  json_builder_add_string_value(b, text);
  out(b);
  maybe_done(NULL);
  return G_SOURCE_REMOVE;
}

static void on_open(GstWebRTCDataChannel* ch, gpointer data) {
  (void)ch, (void)data;
  g_idle_add(channel_opened, NULL);
}

static void on_message_string(GstWebRTCDataChannel* ch, const gchar* text, gpointer data) {
  (void)ch, (void)data;
  g_idle_add(message_arrived, g_strdup(text ? text : ""));
}

static void on_message_data(GstWebRTCDataChannel* ch, GBytes* bytes, gpointer data) {
  (void)ch, (void)data;
  g_idle_add(message_arrived, g_strdup_printf("(%zu bytes)", bytes ? g_bytes_get_size(bytes) : 0));
}

/* Connected where webrtcbin hands the channel over (a message may follow at once);
 * the handlers pass everything on to the main loop. Takes a reference to the first channel. */
static void use_channel(GstWebRTCDataChannel* ch) {
  if (!g_atomic_pointer_compare_and_exchange(&C.channel, NULL, ch)) {
    g_object_unref(ch);
    return;
  }
  g_signal_connect(ch, "on-open", G_CALLBACK(on_open), NULL);
  g_signal_connect(ch, "on-message-string", G_CALLBACK(on_message_string), NULL);
  g_signal_connect(ch, "on-message-data", G_CALLBACK(on_message_data), NULL);
  GstWebRTCDataChannelState state;
  g_object_get(ch, "ready-state", &state, NULL);
  if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN) g_idle_add(channel_opened, NULL);
}

static void on_data_channel(GstElement* webrtc, GstWebRTCDataChannel* ch, gpointer data) {
  (void)webrtc, (void)data;
  use_channel(g_object_ref(ch));
}

/* ---- webrtcbin's state, its descriptions, the bus ---- */

/* The state of the data channel's DTLS transport, NULL if webrtcbin has none yet. */
static const gchar* dtls_state(void) {
  GObject *sctp = NULL, *dtls = NULL;
  g_object_get(C.webrtc, "sctp-transport", &sctp, NULL);
  if (sctp) g_object_get(sctp, "transport", &dtls, NULL);
  if (sctp) g_object_unref(sctp);
  if (!dtls) return NULL;
  GstWebRTCDTLSTransportState state;
  g_object_get(dtls, "state", &state, NULL);
  g_object_unref(dtls);
  switch (state) {
    case GST_WEBRTC_DTLS_TRANSPORT_STATE_NEW: return "new";
    case GST_WEBRTC_DTLS_TRANSPORT_STATE_CLOSED: return "closed";
    case GST_WEBRTC_DTLS_TRANSPORT_STATE_FAILED: return "failed";
    case GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTING: return "connecting";
    case GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED: return "connected";
  }
  return NULL;
}

static gboolean connection_changed(gpointer data) {
  (void)data;
  GstWebRTCPeerConnectionState state;
  g_object_get(C.webrtc, "connection-state", &state, NULL);
  static const gchar* names[] = {"new", "connecting", "connected", "disconnected", "failed", "closed"};
  JsonBuilder* b = event("connection");
  json_builder_set_member_name(b, "state");
  json_builder_add_string_value(b, (guint)state < G_N_ELEMENTS(names) ? names[state] : "unknown");
  out(b);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) refuse_state("connection failed (ICE or DTLS)", dtls_state());
  return G_SOURCE_REMOVE;
}

static void on_connection_state(GObject* o, GParamSpec* p, gpointer data) {
  (void)o, (void)p, (void)data;
  g_idle_add(connection_changed, NULL);
}

/* Sends the pending description once: complete, with the candidates gathered. */
static gboolean describe(gpointer data) {
  (void)data;
  if (!C.pending || C.finished) return G_SOURCE_REMOVE;
  GstWebRTCSessionDescription* desc = NULL;
  g_object_get(C.webrtc, "local-description", &desc, NULL);
  if (!desc) return G_SOURCE_REMOVE;
  gchar* sdp = gst_sdp_message_as_text(desc->sdp);
  send_pair(C.pending, "sdp", sdp);
  C.described_ms = since_start();
  g_clear_pointer(&C.pending, g_free);
  g_free(sdp);
  gst_webrtc_session_description_free(desc);
  return G_SOURCE_REMOVE;
}

static void on_gathering_state(GObject* o, GParamSpec* p, gpointer data) {
  (void)p, (void)data;
  GstWebRTCICEGatheringState state;
  g_object_get(o, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) g_idle_add(describe, NULL);
}

/* Runs one of webrtcbin's promise-returning actions and waits for it (on the main loop:
 * webrtcbin answers from its own thread). Returns the reply's "error" text, or NULL. */
static gchar* wait_promise(GstPromise* promise, GstWebRTCSessionDescription** desc, const gchar* field) {
  GstPromiseResult r = gst_promise_wait(promise);
  const GstStructure* reply = gst_promise_get_reply(promise);
  gchar* error = NULL;
  if (r != GST_PROMISE_RESULT_REPLIED) {
    error = g_strdup("no reply");
  } else if (reply && gst_structure_has_field(reply, "error")) {
    GError* e = NULL;
    gst_structure_get(reply, "error", G_TYPE_ERROR, &e, NULL);
    error = g_strdup(e ? e->message : "error");
    g_clear_error(&e);
  } else if (desc) {
    if (!reply || !gst_structure_get(reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, desc, NULL))
      error = g_strdup("no description");
  }
  gst_promise_unref(promise);
  return error;
}

/* set-local-description or set-remote-description; the error text, or NULL. */
static gchar* set_description(const gchar* action, GstWebRTCSessionDescription* desc) {
  GstPromise* p = gst_promise_new();
  g_signal_emit_by_name(C.webrtc, action, desc, p);
  return wait_promise(p, NULL, NULL);
}

/* create-offer or create-answer, set it as the local description, send it once gathered. */
static gchar* make_description(const gchar* kind) {
  GstPromise* p = gst_promise_new();
  g_signal_emit_by_name(C.webrtc, g_str_equal(kind, "offer") ? "create-offer" : "create-answer", NULL, p);
  GstWebRTCSessionDescription* desc = NULL;
  gchar* error = wait_promise(p, &desc, kind);
  if (error) return error;
  C.pending = g_strdup(kind);
  error = set_description("set-local-description", desc);
  gst_webrtc_session_description_free(desc);
  GstWebRTCICEGatheringState state;
  g_object_get(C.webrtc, "ice-gathering-state", &state, NULL);
  if (!error && state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) g_idle_add(describe, NULL);
  if (!error) g_timeout_add_seconds(5, describe, NULL); /* gathering never ended: send what there is */
  return error;
}

/* The remote description from the relay's SDP text; the error text, or NULL. */
static gchar* take_remote(const gchar* sdp_text, GstWebRTCSDPType type) {
  GstSDPMessage* sdp = NULL;
  gst_sdp_message_new_from_text(sdp_text ? sdp_text : "", &sdp);
  if (!sdp) return g_strdup("unreadable SDP");
  GstWebRTCSessionDescription* desc = gst_webrtc_session_description_new(type, sdp);
  gchar* error = set_description("set-remote-description", desc);
  gst_webrtc_session_description_free(desc);
  return error;
}

static gboolean bus_message(GstBus* bus, GstMessage* m, gpointer data) {
  (void)bus, (void)data;
  if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    GError* e = NULL;
    gst_message_parse_error(m, &e, NULL);
    refusef("gstreamer: %s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(m)), e ? e->message : "error");
    g_clear_error(&e);
  }
  return G_SOURCE_CONTINUE;
}

/* A fresh webrtcbin in a pipeline, playing, with loopback as an ICE address. */
static gboolean fresh(void) {
  C.pipe = gst_pipeline_new("sigtrust");
  C.webrtc = gst_element_factory_make("webrtcbin", "webrtc");
  if (!C.webrtc) return FALSE;
  g_object_set(C.webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add(GST_BIN(C.pipe), C.webrtc);
  GstWebRTCICE* ice = NULL;
  g_object_get(C.webrtc, "ice-agent", &ice, NULL);
  gboolean added = FALSE;
  if (ice) {
    /* UDP only, as the relay bridges only UDP on loopback: gathering TCP candidates delays the description. */
    g_object_set(ice, "ice-tcp", FALSE, NULL);
    g_signal_emit_by_name(ice, "add-local-ip-address", "127.0.0.1", &added);
    gst_object_unref(ice);
  }
  if (!added) return FALSE;
  g_signal_connect(C.webrtc, "notify::connection-state", G_CALLBACK(on_connection_state), NULL);
  g_signal_connect(C.webrtc, "notify::ice-gathering-state", G_CALLBACK(on_gathering_state), NULL);
  g_signal_connect(C.webrtc, "on-data-channel", G_CALLBACK(on_data_channel), NULL);
  GstBus* bus = gst_pipeline_get_bus(GST_PIPELINE(C.pipe));
  gst_bus_add_watch(bus, bus_message, NULL);
  gst_object_unref(bus);
  return gst_element_set_state(C.pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
}

/* ---- The relay protocol ---- */

static gchar* offer(void) {
  if (!fresh()) return g_strdup("cannot start webrtcbin with 127.0.0.1 as its ICE address");
  GstWebRTCDataChannel* ch = NULL;
  g_signal_emit_by_name(C.webrtc, "create-data-channel", "chat", NULL, &ch);
  if (!ch) return g_strdup("create-data-channel failed");
  use_channel(ch);
  return make_description("offer");
}

static gchar* answer(const gchar* sdp) {
  if (!fresh()) return g_strdup("cannot start webrtcbin with 127.0.0.1 as its ICE address");
  gchar* error = take_remote(sdp, GST_WEBRTC_SDP_TYPE_OFFER);
  return error ? error : make_description("answer");
}

/* A trickled candidate: "candidate:…" or {candidate, sdpMLineIndex}. */
static void candidate(JsonNode* node) {
  const gchar* line = NULL;
  guint mline = 0;
  if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
    line = json_node_get_string(node);
  } else if (JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObject* o = json_node_get_object(node);
    line = json_object_get_string_member_with_default(o, "candidate", NULL);
    mline = (guint)json_object_get_int_member_with_default(o, "sdpMLineIndex", 0);
  }
  if (C.webrtc && line && *line) g_signal_emit_by_name(C.webrtc, "add-ice-candidate", mline, line);
}

static void handle(JsonObject* m) {
  const gchar* type = json_object_get_string_member_with_default(m, "type", "");
  const gchar* sdp = json_object_get_string_member_with_default(m, "sdp", "");
  gchar* error = NULL;
  if (g_str_equal(type, "ready") && C.o.offerer && !C.webrtc) {
    error = offer();
  } else if (g_str_equal(type, "offer") && !C.o.offerer && !C.webrtc) {
    error = answer(sdp);
  } else if (g_str_equal(type, "answer") && C.o.offerer && C.webrtc) {
    error = take_remote(sdp, GST_WEBRTC_SDP_TYPE_ANSWER);
  } else if (g_str_equal(type, "candidate") && json_object_has_member(m, "candidate")) {
    candidate(json_object_get_member(m, "candidate"));
  }
  if (error) refusef("gstreamer: %.200s", error);
  g_free(error);
}

static void on_ws_message(SoupWebsocketConnection* ws, gint type, GBytes* bytes, gpointer data) {
  (void)ws, (void)type, (void)data;
  gsize len = 0;
  const gchar* raw = g_bytes_get_data(bytes, &len);
  JsonParser* parser = json_parser_new();
  if (json_parser_load_from_data(parser, raw, (gssize)len, NULL) &&
      JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    handle(json_node_get_object(json_parser_get_root(parser)));
  } else {
    out(event("unreadable-signaling"));
  }
  g_object_unref(parser);
}

static void on_ws_connected(GObject* session, GAsyncResult* res, gpointer data) {
  (void)data;
  GError* err = NULL;
  C.ws = soup_session_websocket_connect_finish(SOUP_SESSION(session), res, &err);
  if (!C.ws) {
    gchar* e = g_strdup_printf("signaling: %s", err->message);
    finish(1, e);
    g_free(e);
    g_clear_error(&err);
    return;
  }
  soup_websocket_connection_set_max_incoming_payload_size(C.ws, 0);
  g_signal_connect(C.ws, "message", G_CALLBACK(on_ws_message), NULL);
  send_pair("ready", NULL, NULL);
}

static gint usage(const gchar* message) {
  fprintf(stderr, "gstreamer client: %s\n", message);
  return 2;
}

int main(int argc, char** argv) {
  C.started = g_get_monotonic_time();
  C.described_ms = C.open_ms = -1;
  gst_init(&argc, &argv);
  gboolean version = FALSE;
  gchar *expect = NULL, *timeout = NULL;
  GOptionEntry entries[] = {
      {"url", 0, 0, G_OPTION_ARG_STRING, &C.o.url, "ws://HOST:PORT/ROOM", NULL},
      {"peer", 0, 0, G_OPTION_ARG_STRING, &C.o.peer, "peer name", NULL},
      {"role", 0, 0, G_OPTION_ARG_STRING, &C.o.role, "offer or answer", NULL},
      {"say", 0, 0, G_OPTION_ARG_STRING_ARRAY, &C.o.say, "a message to send (repeatable)", NULL},
      {"expect", 0, 0, G_OPTION_ARG_STRING, &expect, "exit once N messages arrived", NULL},
      {"expect-remote", 0, 0, G_OPTION_ARG_STRING, &C.o.expect_remote, "the fingerprint learned out of band", NULL},
      {"timeout-ms", 0, 0, G_OPTION_ARG_STRING, &timeout, "give up after MS milliseconds", NULL},
      {"version", 0, 0, G_OPTION_ARG_NONE, &version, "print the stack's name and version", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext* ctx = g_option_context_new(NULL);
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError* err = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &err)) return usage(err->message);
  g_option_context_free(ctx);
  if (version) {
    gchar* name = stack_name();
    printf("%s\n", name);
    g_free(name);
    return gst_registry_find_feature(gst_registry_get(), "webrtcbin", GST_TYPE_ELEMENT_FACTORY) ? 0 : 1;
  }
  if (!C.o.url || !C.o.peer || !C.o.role || (!g_str_equal(C.o.role, "offer") && !g_str_equal(C.o.role, "answer")))
    return usage("--url, --peer and --role offer|answer are required");
  gchar* end = NULL;
  C.o.expect = expect ? (gint)g_ascii_strtoll(expect, &end, 10) : 0;
  if (expect && (*end || C.o.expect < 0)) return usage("--expect takes a count");
  C.o.timeout_ms = timeout ? (gint)g_ascii_strtoll(timeout, &end, 10) : 20000;
  if (timeout && (*end || C.o.timeout_ms <= 0)) return usage("--timeout-ms takes a positive count");
  C.o.offerer = g_str_equal(C.o.role, "offer");
  C.received = g_ptr_array_new_with_free_func(g_free);
  C.loop = g_main_loop_new(NULL, FALSE);
  g_timeout_add(C.o.timeout_ms, timed_out, NULL);
  JsonBuilder* last = event("exit"); /* what the watchdog prints */
  json_builder_set_member_name(last, "code");
  json_builder_add_int_value(last, 1);
  json_builder_set_member_name(last, "received");
  json_builder_begin_array(last);
  json_builder_end_array(last);
  json_builder_set_member_name(last, "error");
  json_builder_add_string_value(last, "timed out: webrtcbin did not answer");
  json_builder_end_object(last);
  g_thread_unref(g_thread_new("watchdog", watchdog, to_text(last)));
  g_thread_unref(g_thread_new("warm-up", warm_up, NULL));

  gchar* escaped = g_uri_escape_string(C.o.peer, NULL, FALSE);
  gchar* url = g_strdup_printf("%s?peer=%s", C.o.url, escaped);
  SoupMessage* msg = soup_message_new(SOUP_METHOD_GET, url);
  if (!msg) return usage("--url is not a ws:// URL");
  C.session = soup_session_new();
  soup_session_websocket_connect_async(C.session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL, on_ws_connected, NULL);
  g_free(escaped);
  g_free(url);
  g_main_loop_run(C.loop);
  return 0;
}
