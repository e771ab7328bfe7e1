// Parameters are declared once (name, type, default, help); the scenario
// loader validates against the declaration and `sigtrust list` / the docs
// print it (docs/architecture.md, convention 9).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sigtrust {

struct ParamDecl {
  enum class Type { String, Int, Double, Bool, Choice };
  std::string name;
  Type type = Type::String;
  std::string default_value;  // textual, as a scenario file would write it
  std::vector<std::string> choices;  // for Choice
  double min = 0;  // for Int/Double (inclusive)
  double max = 0;  // for Int/Double (inclusive); min == max means unbounded
  std::string help;
};

// Validated parameter values, as text; every declared parameter is present
// (defaults filled in by the loader).
using ParamValues = std::map<std::string, std::string>;

// Where an attack sits: none (the honest run), on the signaling path, or
// as the STUN or the TURN server the peers gather from.
enum class AttackPosition { None, Signaling, Stun, Turn };

inline std::string_view to_string(AttackPosition p) {
  switch (p) {
    case AttackPosition::None: return "none";
    case AttackPosition::Signaling: return "signaling";
    case AttackPosition::Stun: return "stun";
    case AttackPosition::Turn: return "turn";
  }
  return "none";
}

struct AttackDecl {
  std::string name;  // stable name (docs/architecture.md)
  AttackPosition position = AttackPosition::None;
  std::string summary;  // one line
  std::vector<ParamDecl> params;
  // It carries the peers' application data through its own DTLS legs, so
  // `rewrite` rules can change it (the *-mitm bridges at the signaling position).
  bool bridges = false;
  // What it does is written in the scenario (the `sdp_rules` of attack
  // `sdp-rules`), so it has no matrix cell and the live relay cannot name it.
  bool declarative = false;
};

struct TrustDecl {
  std::string name;  // stable name (docs/architecture.md)
  std::string summary;  // one line
  std::vector<ParamDecl> params;
  bool needs_out_of_band = false;  // the session must declare `out_of_band: true`
};

// What a scenario may name. Passed to the loader so the sim library does not
// depend on the attack registry (data flows one way).
struct Vocabulary {
  std::vector<AttackDecl> attacks;
  std::vector<TrustDecl> trust;
};

}  // namespace sigtrust
