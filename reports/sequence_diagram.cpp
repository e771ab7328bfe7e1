#include "reports/sequence_diagram.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <utility>

#include "reports/escape.hpp"
#include "reports/result_view.hpp"
#include "core/timeline_events.hpp"

namespace sigtrust::reports {
namespace {

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, std::string_view p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

std::string after_prefix(const std::string& s, std::string_view p) {
  return starts_with(s, p) ? s.substr(p.size()) : s;
}

std::string ip_of(const std::string& address) {
  const auto colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

// Kinds that are local bookkeeping, not something to draw.
bool quiet(const std::string& kind) {
  return kind == events::kIceGathered || kind == events::kIceState || kind == events::kDtlsRole ||
         kind == events::kSignalingJoined || kind == events::kAttackLegReady || kind == events::kAttackLegConnected;
}

// An event's kind as a reader of the diagram would say it ("turn.allocate"
// is "TURN allocation"); a kind this table does not know loses its dots.
std::string in_words(const std::string& kind) {
  static const std::map<std::string, std::string> words = {
      {events::kTurnAllocate, "TURN allocation"},
      {events::kTurnPermission, "TURN permission"},
      {events::kTurnChannel, "TURN channel bound"},
      {events::kTurnDeallocate, "TURN allocation released"},
      {events::kTurnListen, "TURN node listening"},
      {events::kTurnAuthFailed, "TURN authentication failed"},
      {events::kTurnError, "TURN error"},
      {events::kStunListen, "STUN node listening"},
      {events::kStunLie, "lies about the address"},
      {events::kStunForward, "forwards to the peer"},
      {events::kStunError, "STUN error"},
      {events::kSignalingLeft, "left the relay"},
      {events::kSignalingCandidate, "candidate (ignored)"},
      {events::kSignalingUnexpected, "unexpected message"},
      {events::kSignalingMalformed, "malformed message"},
      {events::kSignalingRejected, "refused by the relay"},
      {events::kSignalingReplaced, "connection replaced"},
      {events::kSignalingRateLimited, "slowed down by the relay"},
      {events::kDtlsClosed, "DTLS closed"},
      {events::kDataSendFailed, "could not send"},
      {events::kSessionUnattacked, "left alone by the attacker"},
  };
  if (auto it = words.find(kind); it != words.end()) return it->second;
  std::string out = kind;
  for (char& c : out)
    if (c == '.' || c == '-') c = ' ';
  return out;
}

class Builder {
 public:
  explicit Builder(const json& run) : run_(run) {
    // Peers in session order; the relay, attacker and any other node between
    // the first peer and the rest, in order of appearance.
    for (const auto& s : items(run, "sessions"))
      for (const auto& name : session_peers(s)) remember(peers_, name);
    for (const auto& e : items(run, "timeline")) {
      const std::string actor = text(e, "actor");
      if (actor.empty() || actor == "engine" || is_peer(actor)) continue;
      remember(others_, actor);
      if (starts_with(text(e, "kind"), "attack.")) attacker_ = actor;
    }
    if (!others_.empty() || !peers_.empty()) {
      bool signaling = false;
      for (const auto& e : items(run, "timeline")) signaling = signaling || starts_with(text(e, "kind"), "signaling.");
      if (signaling && std::find(others_.begin(), others_.end(), "relay") == others_.end())
        others_.insert(others_.begin(), "relay");
    }
    if (!peers_.empty()) d_.lifelines.push_back(peers_.front());
    for (const auto& o : others_) d_.lifelines.push_back(o);
    for (std::size_t i = 1; i < peers_.size(); ++i) d_.lifelines.push_back(peers_[i]);
  }

  SequenceDiagram build() {
    std::map<std::pair<std::string, std::string>, bool> rewritten;  // (receiver, what) -> pending
    for (const auto& e : items(run_, "timeline")) {
      const std::string actor = text(e, "actor"), kind = text(e, "kind"), txt = text(e, "text");
      const double t = number(e, "t_ms", 0);
      if (actor == "engine" && kind == events::kRoundStart) {
        d_.steps.push_back({SequenceStep::Kind::Divider, 0, 0, false, txt, "round", t});
        continue;
      }
      if (actor.empty() || actor == "engine" || quiet(kind)) continue;
      if (kind == events::kSignalingConnected) ++joined_[actor];
      if (kind == events::kAttackRewrite) {
        const json& data = field(e, "data");
        std::string what = "message";
        if (txt.find(" offer") != std::string::npos) what = "offer";
        else if (txt.find(" answer") != std::string::npos) what = "answer";
        rewritten[{text(data, "to"), what}] = true;
        note(actor, "rewrites " + what + " " + text(data, "from") + "\xE2\x86\x92" + text(data, "to"), "rewritten", t);
      } else if (kind == events::kAttackDropped) {
        note(actor, txt, "rewritten", t);
      } else if (kind == events::kAttackRead) {
        note(actor, txt, "attack", t);
      } else if (starts_with(kind, "attack.")) {
        note(actor, txt, "attack", t);
      } else if (starts_with(kind, "signaling.") && ends_with(kind, "-sent")) {
        const std::string what = kind.substr(10, kind.size() - 15);
        arrow(actor, "relay", what, "signaling", false, t);
      } else if (starts_with(kind, "signaling.") && ends_with(kind, "-received")) {
        const std::string what = kind.substr(10, kind.size() - 19);
        auto it = rewritten.find({actor, what});
        const bool was_rewritten = it != rewritten.end() && it->second;
        if (was_rewritten) it->second = false;
        arrow("relay", actor, what + (was_rewritten ? " (rewritten)" : ""), was_rewritten ? "rewritten" : "signaling",
              false, t);
      } else if (kind == events::kSignalingConnected) {
        arrow(actor, "relay", "join", "signaling", false, t);
      } else if (kind == events::kIceReady) {
        arrow(actor, media_peer(actor), "ICE connected", "ice", true, t);
      } else if (kind == events::kDtlsConnected) {
        const std::string role = txt.find("as server") != std::string::npos   ? " (server)"
                                 : txt.find("as client") != std::string::npos ? " (client)"
                                                                              : "";
        arrow(actor, media_peer(actor), "DTLS handshake" + role, "dtls", true, t);
      } else if (kind == events::kDataSent) {
        arrow(actor, media_peer(actor), after_prefix(txt, "sent "), "data", false, t);
      } else if (kind == events::kDataReceived) {
        arrow(media_peer(actor), actor, after_prefix(txt, "received "), "data", false, t);
      } else if (kind == events::kTrustAccepted) {
        // Ground truth decides the colour: accepting the attacker's certificate
        // is the alarm that should have been, not a success.
        const std::string owner = owner_of(text(field(e, "data"), "certificate"));
        if (!owner.empty() && owner != "unknown" && !is_peer(owner))
          note(actor, "accepted " + owner + "'s certificate (should have raised an alarm)", "alarm", t);
        else note(actor, "certificate accepted", "ok", t);
      } else if (kind == events::kTrustRejected) {
        note(actor, "certificate rejected", "alarm", t);
      } else if (kind == events::kAlarm) {
        const std::string name = text(field(e, "data"), "alarm");
        note(actor, "ALARM " + (name.empty() ? txt : name), "alarm", t);
      } else if (kind == events::kRelayClientReport) {
        // A live client's own account: the certificate its DTLS layer
        // authenticated (what the browser showed), coloured by ground truth.
        client_report(field(e, "data"), txt, t);
      } else if (kind == events::kPeerFailed || kind == events::kPeerClosed) {
        note(actor, txt, kind == events::kPeerFailed ? "alarm" : "info", t);
      } else {
        note(actor, in_words(kind), "info", t);
      }
    }
    return std::move(d_);
  }

 private:
  static void remember(std::vector<std::string>& v, const std::string& s) {
    if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
  }
  // Who owns the certificate with this fingerprint, from what the run's peers saw.
  std::string owner_of(const std::string& fingerprint) const {
    if (fingerprint.empty()) return "";
    for (const auto& s : items(run_, "sessions"))
      for (const auto& [name, p] : field(s, "peers").items())
        if (text(p, "dtls_peer_fingerprint") == fingerprint) return text(p, "dtls_peer_owner");
    return "";
  }
  void client_report(const json& data, const std::string& txt, double t) {
    const std::string client = text(data, "client");
    if (client.empty()) return note("relay", txt, "info", t);
    const std::string seen = text(data, "remote_certificate"), error = text(data, "error");
    if (flag(data, "connected") && !reported_up_[client]) {
      reported_up_[client] = true;
      arrow(client, media_peer(client), "DTLS + data channel open (reported)", "dtls", true, t);
    }
    if (!seen.empty()) {
      const std::string owner = owner_of(seen);
      const bool foreign = !owner.empty() && owner != "unknown" && !is_peer(owner);
      note(client,
           "its browser shows peer certificate " + seen + (owner.empty() ? "" : " (" + owner + "'s)") +
               (foreign ? ": should have raised an alarm" : ""),
           foreign ? "alarm" : "ok", t);
    }
    if (!error.empty()) note(client, "refused: " + error, "alarm", t);
  }
  bool is_peer(const std::string& a) const { return std::find(peers_.begin(), peers_.end(), a) != peers_.end(); }

  std::size_t lane(const std::string& actor) {
    auto it = std::find(d_.lifelines.begin(), d_.lifelines.end(), actor);
    if (it != d_.lifelines.end()) return static_cast<std::size_t>(it - d_.lifelines.begin());
    d_.lifelines.push_back(actor);
    return d_.lifelines.size() - 1;
  }

  // Whom a peer's ICE, DTLS and data went to: the owner of the certificate it
  // saw (ground truth), else the peer whose address its selected pair reached,
  // else the attacker if the pair reached an address of no peer, else its
  // counterpart in the session. A peer in several sessions is in the one it
  // joined last (its n-th signaling.connected starts its n-th session).
  std::string media_peer(const std::string& peer) const {
    const auto it = joined_.find(peer);
    std::size_t skip = it == joined_.end() || it->second == 0 ? 0 : it->second - 1;
    std::size_t count = 0;
    for (const auto& s : items(run_, "sessions")) {
      const auto ends = session_peers(s);
      if (ends[0] == peer || ends[1] == peer) ++count;
    }
    if (skip >= count) skip = 0;
    for (const auto& s : items(run_, "sessions")) {
      const auto ends = session_peers(s);
      if (ends[0] != peer && ends[1] != peer) continue;
      if (skip > 0) {
        --skip;
        continue;
      }
      const std::string counterpart = ends[0] == peer ? ends[1] : ends[0];
      const json& p = field(field(s, "peers"), peer);
      if (const auto owner = text(p, "dtls_peer_owner"); !owner.empty()) return owner;
      const std::string remote = ip_of(text(field(p, "selected_pair"), "remote"));
      if (remote.empty()) return counterpart;
      for (const auto& [name, other] : field(s, "peers").items())
        if (name != peer) {
          const auto addrs = texts(other, "local_addresses");
          if (std::find(addrs.begin(), addrs.end(), remote) != addrs.end()) return name;
        }
      return attacker_.empty() ? counterpart : attacker_;
    }
    return peer;
  }

  void arrow(const std::string& from, const std::string& to, std::string label, const char* style, bool both,
             double t) {
    const std::size_t f = lane(from), g = lane(to);
    if (f == g) return note(from, std::move(label), style, t);
    d_.steps.push_back({SequenceStep::Kind::Arrow, f, g, both, std::move(label), style, t});
  }
  void note(const std::string& actor, std::string label, const char* style, double t) {
    const std::size_t a = lane(actor);
    d_.steps.push_back({SequenceStep::Kind::Note, a, a, false, std::move(label), style, t});
  }

  const json& run_;
  std::vector<std::string> peers_, others_;
  std::string attacker_;
  std::map<std::string, bool> reported_up_;  // live clients that reported their channel open
  std::map<std::string, std::size_t> joined_;  // signaling.connected events seen per peer
  SequenceDiagram d_;
};

constexpr int kLeft = 64, kColumn = 180, kTop = 44, kRow = 26, kLegend = 28, kLine = 12;

int lane_x(std::size_t i) { return kLeft + static_cast<int>(i) * kColumn + kColumn / 2; }

const std::vector<std::pair<const char*, const char*>> kLegendItems = {{"signaling", "signaling message"},
                                                                       {"rewritten", "changed by the attacker"},
                                                                       {"ice", "ICE"},
                                                                       {"dtls", "DTLS handshake"},
                                                                       {"data", "application data"},
                                                                       {"alarm", "alarm"},
                                                                       {"ok", "check passed"}};

// The lines of a wrapped label inside one <text>, each under the last.
std::string tspans(const std::vector<std::string>& lines, int x) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i)
    out += "<tspan x=\"" + std::to_string(x) + "\"" + (i ? " dy=\"" + std::to_string(kLine) + "\"" : "") + ">" +
           xml_escape(lines[i]) + "</tspan>";
  return out;
}

// Room for one legend item: its sample, a gap and its words (about 6 px a character).
int legend_step(const char* what) { return 32 + static_cast<int>(std::string(what).size()) * 6; }

// A label in lines of at most `width` characters (code points), broken at
// spaces where it can be and inside a word where it must: nothing is cut,
// so a projected or printed diagram shows the whole text.
std::vector<std::string> wrap(const std::string& label, std::size_t width) {
  auto length = [](const std::string& t) {
    std::size_t n = 0;
    for (unsigned char c : t) n += (c & 0xC0) != 0x80;
    return n;
  };
  std::vector<std::string> lines;
  std::string line;
  std::istringstream words(label);
  for (std::string word; words >> word;) {
    while (length(word) > width) {  // a word longer than a line: split it
      if (!line.empty()) lines.push_back(std::exchange(line, ""));
      std::size_t bytes = 0, chars = 0;
      while (bytes < word.size() && chars < width) {
        ++bytes;
        while (bytes < word.size() && (static_cast<unsigned char>(word[bytes]) & 0xC0) == 0x80) ++bytes;
        ++chars;
      }
      lines.push_back(word.substr(0, bytes));
      word.erase(0, bytes);
    }
    if (word.empty()) continue;
    if (!line.empty() && length(line) + 1 + length(word) > width) lines.push_back(std::exchange(line, ""));
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

std::string fmt_ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

SequenceDiagram sequence_of(const json& run) { return Builder(run).build(); }

namespace {

// Every label wrapped to the room it has; a step is as tall as its lines.
std::vector<std::vector<std::string>> wrapped_labels(const SequenceDiagram& d, int& rows) {
  std::vector<std::vector<std::string>> labels;
  rows = 0;
  for (const auto& s : d.steps) {
    std::size_t room = 60;
    if (s.kind == SequenceStep::Kind::Arrow) {
      const int x1 = lane_x(s.from), x2 = lane_x(s.to);
      room = static_cast<std::size_t>(std::max(8, (x1 > x2 ? x1 - x2 : x2 - x1) / 7));
    } else if (s.kind == SequenceStep::Kind::Note) {
      room = 26;
    }
    labels.push_back(wrap(s.label, room));
    rows += kRow + static_cast<int>(labels.back().size() - 1) * kLine;
  }
  return labels;
}

// One step at height `y`: a divider across, an arrow between lanes, or a note on one.
void svg_step(std::ostringstream& out, const SequenceStep& s, const std::vector<std::string>& lines, int y, int width,
              const std::string& p) {
  const int extra = static_cast<int>(lines.size() - 1) * kLine;
  out << "<g class=\"step " << s.style << "\"><title>" << fmt_ms(s.t_ms) << " ms: " << xml_escape(s.label)
      << "</title><text class=\"time\" x=\"4\" y=\"" << y - 4 << "\">" << fmt_ms(s.t_ms) << "</text>";
  if (s.kind == SequenceStep::Kind::Divider) {
    out << "<line class=\"divider\" x1=\"" << kLeft << "\" y1=\"" << y - 6 << "\" x2=\"" << width - 8 << "\" y2=\""
        << y - 6 << "\"/><text class=\"divider\" x=\"" << kLeft + 4 << "\" y=\"" << y - 9 - extra << "\">"
        << tspans(lines, kLeft + 4) << "</text>";
  } else if (s.kind == SequenceStep::Kind::Arrow) {
    const int x1 = lane_x(s.from), x2 = lane_x(s.to);
    out << "<line x1=\"" << x1 << "\" y1=\"" << y << "\" x2=\"" << x2 << "\" y2=\"" << y << "\" marker-end=\"url(#" << p
        << "-" << s.style << ")\"";
    if (s.both_ways) out << " marker-start=\"url(#" << p << "-" << s.style << ")\"";
    out << "/><text x=\"" << (x1 + x2) / 2 << "\" y=\"" << y - 5 - extra << "\" text-anchor=\"middle\">"
        << tspans(lines, (x1 + x2) / 2) << "</text>";
  } else {
    const int x = lane_x(s.from);
    out << "<rect x=\"" << x - kColumn / 2 + 6 << "\" y=\"" << y - 17 - extra << "\" width=\"" << kColumn - 12
        << "\" height=\"" << 20 + extra << "\" rx=\"3\"/><text x=\"" << x << "\" y=\"" << y - 3 - extra
        << "\" text-anchor=\"middle\">" << tspans(lines, x) << "</text>";
  }
  out << "</g>\n";
}

// The legend: what each colour and line means, also when printed.
void svg_legend(std::ostringstream& out, int steps_end, const std::string& p) {
  out << "<g class=\"legend\"><text x=\"4\" y=\"" << steps_end + 14 << "\">legend:</text>";
  int lx = kLeft;
  for (const auto& [style, what] : kLegendItems) {
    const bool box = std::string(style) == "alarm" || std::string(style) == "ok";
    out << "<g class=\"legend-item " << style << "\">";
    if (box) out << "<rect x=\"" << lx << "\" y=\"" << steps_end + 5 << "\" width=\"18\" height=\"12\" rx=\"2\"/>";
    else
      out << "<line x1=\"" << lx << "\" y1=\"" << steps_end + 10 << "\" x2=\"" << lx + 18 << "\" y2=\""
          << steps_end + 10 << "\" marker-end=\"url(#" << p << "-" << style << ")\"/>";
    out << "<text x=\"" << lx + 24 << "\" y=\"" << steps_end + 14 << "\">" << what << "</text></g>";
    lx += legend_step(what);
  }
  out << "</g>\n";
}

}  // namespace

std::string sequence_svg(const SequenceDiagram& d, const std::string& id_prefix) {
  int legend_width = kLeft;
  for (const auto& [style, what] : kLegendItems) legend_width += legend_step(what);
  const int width = std::max(kLeft + static_cast<int>(d.lifelines.size()) * kColumn + 16, legend_width);
  int rows = 0;
  const auto labels = wrapped_labels(d, rows);
  // Lifeline names wrap too (a peer name may be 32 characters): every header
  // is as tall as the longest.
  std::vector<std::vector<std::string>> names;
  std::size_t name_lines = 1;
  for (const auto& l : d.lifelines) {
    names.push_back(wrap(l, 20));
    name_lines = std::max(name_lines, names.back().size());
  }
  const int header_extra = static_cast<int>(name_lines - 1) * kLine;
  const int top = kTop + header_extra;
  const int steps_end = top + rows + 24;
  const int height = steps_end + kLegend;
  const std::string p = xml_escape(id_prefix);
  std::ostringstream out;
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sequence\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height << "\" role=\"img\">\n<title>sequence diagram: ";
  for (std::size_t i = 0; i < d.lifelines.size(); ++i) out << (i ? ", " : "") << xml_escape(d.lifelines[i]);
  out << "</title>\n<defs>\n";
  for (const char* style : {"signaling", "rewritten", "ice", "dtls", "data"})
    out << "<marker id=\"" << p << "-" << style
        << "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
           "orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"head-"
        << style << "\"/></marker>\n";
  out << "</defs>\n";
  for (std::size_t i = 0; i < d.lifelines.size(); ++i) {
    const int x = lane_x(i);
    out << "<g class=\"lifeline\"><title>" << xml_escape(d.lifelines[i]) << "</title><rect x=\"" << x - kColumn / 2 + 10
        << "\" y=\"6\" width=\"" << kColumn - 20 << "\" height=\"" << 26 + header_extra << "\" rx=\"4\"/><text x=\""
        << x << "\" y=\"24\" text-anchor=\"middle\">" << tspans(names[i], x) << "</text><line x1=\"" << x << "\" y1=\""
        << 32 + header_extra << "\" x2=\"" << x << "\" y2=\"" << steps_end - 8 << "\"/></g>\n";
  }
  // The time axis: milliseconds since the run started, down the left edge.
  out << "<text class=\"time axis\" x=\"4\" y=\"24\">ms</text>\n";
  int y = top;
  for (std::size_t k = 0; k < d.steps.size(); ++k) {
    y += kRow + static_cast<int>(labels[k].size() - 1) * kLine;
    svg_step(out, d.steps[k], labels[k], y, width, p);
  }
  svg_legend(out, steps_end, p);
  out << "</svg>";
  return out.str();
}

}  // namespace sigtrust::reports
