// SDP rewriting helpers shared by the signaling attacks. Pure functions.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sim/attack.hpp"
#include "net/ice_agent.hpp"
#include "core/sdp.hpp"
#include "core/signaling_message.hpp"

namespace sigtrust::attacks {

// Replaces every a=fingerprint (session and media level) with `fps`, written
// where the original ones were: at session level if any was there, else in
// every media section that had one (else the first). An empty `fps` strips
// them.
void set_fingerprints(sdp::Session& s, const std::vector<sdp::Fingerprint>& fps);

// Replaces ICE credentials and candidates with the attacker's (RFC 8445 §5.3:
// whoever writes these decides where connectivity checks go).
void set_transport(sdp::Session& s, const LocalIce& ice);

// Replaces a=setup wherever it appears.
void set_setup(sdp::Session& s, const std::string& value);

// An interceptor that rewrites the SDP of offers and/or answers with `edit`,
// records the SDP before and after in the timeline, and passes every other
// message unchanged. Unparsable SDP is passed on untouched (and noted): the
// victims' own parsers then decide.
class SdpRewriter : public SignalingInterceptor {
 public:
  using Edit = std::function<void(sdp::Session&, const RelayedMessage&, SignalingMessage::Type)>;
  SdpRewriter(Timeline& timeline, std::string attacker, bool offers, bool answers, Edit edit);
  void on_message(const RelayedMessage& m, Deliver deliver) override;

 private:
  Timeline& timeline_;
  std::string attacker_;
  bool offers_, answers_;
  Edit edit_;
};

// Records an SDP rewrite in the timeline (kind "attack.rewrite", data {before, after}).
void record_rewrite(Timeline& t, const std::string& attacker, const RelayedMessage& m, const std::string& what,
                    const std::string& before, const std::string& after);

}  // namespace sigtrust::attacks
