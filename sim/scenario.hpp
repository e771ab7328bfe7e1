// Scenario model (validated data) and its YAML loader.
//
// Error policy: scenario files are user input. Every rejection names the file,
// the 1-based line and column of the offending node and what was expected
// ("honest.yaml:7:12: unknown trust configuration 'sdp-fingerprnt'; did you
// mean 'sdp-fingerprint'?"). Unknown keys and names are errors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/params.hpp"
#include "sim/result.hpp"

namespace sigtrust::scenario {

struct Location {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

struct PeerSpec {
  std::string name;                // [a-z][a-z0-9_-]{0,31}
  std::vector<std::string> trust;  // "sdp-fingerprint+sas" -> {"sdp-fingerprint", "sas"}; each a known name
  ParamValues trust_params;        // parameters of its trust configurations, defaults filled in
  bool relay_only = false;         // ice_policy: relay (only TURN-relayed candidates)
  bool behind_nat = false;         // its host candidates are unreachable, so not advertised
  Location where;
};

struct RewriteRule {
  std::string from;  // substring of a message in flight
  std::string to;    // replacement
};

struct AttackSpec {
  std::string name = "none";  // a known attack name
  ParamValues params;         // every declared parameter, defaults filled in
  std::vector<RewriteRule> rewrite;  // bridge rewrites of application data
  Location where;
};

struct MessageSpec {
  std::string from;  // the offerer or answerer of the session
  std::string text;  // 1..4096 bytes
};

struct SessionSpec {
  std::string offerer;
  std::string answerer;
  std::string expect;  // an outcome name other than "error"
  std::vector<MessageSpec> messages;
  std::uint32_t round = 0;   // sessions run round by round; those of one round at once
  bool attacked = true;      // false: the relay passes this session's messages unchanged
  bool out_of_band = false;  // the two users share a channel the attacker does not control
  Location where;
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  std::uint32_t deadline_ms = 5000;  // 1..600000
  std::uint64_t seed = 1;
  std::vector<PeerSpec> peers;       // 2..64, unique names
  AttackSpec attack;                 // from the `relay:` key
  std::string stun = "none";         // "none" or "coturn": the honest STUN node peers gather from
  std::string turn = "none";         // "none" or "coturn": the honest TURN node
  std::vector<SessionSpec> sessions; // 1..32; a peer is in at most one session per round; offerer != answerer
};

// Loads and validates. `file` is used in messages. Files over 1 MiB, empty
// files, non-UTF-8, YAML alias use, nesting deeper than 16 are rejected.
Result<Scenario> load_file(const std::string& path, const Vocabulary& vocab);
Result<Scenario> load_string(std::string_view text, const std::string& file, const Vocabulary& vocab);

// Nearest known name by edit distance (for "did you mean"), or "" if none is close.
std::string nearest_name(std::string_view unknown, const std::vector<std::string>& known);

}  // namespace sigtrust::scenario
