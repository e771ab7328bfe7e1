#include "core/outcome.hpp"

#include <array>
#include <utility>

namespace sigtrust {
namespace {
constexpr std::array<std::pair<Outcome, std::string_view>, 6> kNames{{
    {Outcome::Secure, "secure"},
    {Outcome::MitmUndetected, "mitm-undetected"},
    {Outcome::MitmDetectedLate, "mitm-detected-late"},
    {Outcome::Detected, "detected"},
    {Outcome::Failed, "failed"},
    {Outcome::Error, "error"},
}};

bool compromised(const EndTruth& e) {
  return e.entered_data_phase && !e.dtls_peer_owner.empty() && e.dtls_peer_owner != e.intended_peer;
}
// In the data phase with a certificate the ground truth cannot name: the
// engine lost track of something, and no outcome would be the truth.
bool unaccounted(const EndTruth& e) {
  return e.entered_data_phase && (e.dtls_peer_owner.empty() || e.dtls_peer_owner == kUnregisteredOwner);
}
bool intact(const EndTruth& e) { return e.entered_data_phase && e.dtls_peer_owner == e.intended_peer; }
}  // namespace

std::string_view to_string(Outcome o) {
  for (const auto& [value, name] : kNames)
    if (value == o) return name;
  return "error";
}

std::optional<Outcome> outcome_from_string(std::string_view s) {
  for (const auto& [value, name] : kNames)
    if (name == s) return value;
  return std::nullopt;
}

const std::vector<std::string>& expectable_outcome_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [value, name] : kNames)
      if (value != Outcome::Error) v.emplace_back(name);
    return v;
  }();
  return names;
}

Outcome classify(const SessionTruth& t) {
  if (t.simulator_error || unaccounted(t.offerer) || unaccounted(t.answerer)) return Outcome::Error;
  const bool alarm = !t.offerer.alarms.empty() || !t.answerer.alarms.empty();
  // A peer talking to someone else is a man in the middle whether or not the
  // other end got through; an alarm that did not stop the data is "late".
  if (compromised(t.offerer) || compromised(t.answerer))
    return alarm ? Outcome::MitmDetectedLate : Outcome::MitmUndetected;
  if (intact(t.offerer) && intact(t.answerer)) return Outcome::Secure;
  return alarm ? Outcome::Detected : Outcome::Failed;
}

std::string_view to_string(CutBy c) {
  switch (c) {
    case CutBy::None: return "";
    case CutBy::Deadline: return "deadline";
    case CutBy::Interrupted: return "interrupted";
  }
  return "";
}

bool is_final(Outcome o, CutBy cut) {
  if (cut == CutBy::None) return true;
  if (cut == CutBy::Interrupted) return false;
  return o == Outcome::Detected || o == Outcome::Failed;
}

}  // namespace sigtrust
