// Reading the result document (docs/architecture.md "The result document") for the
// report writers. Every writer is a pure function of that document, so a
// report can be regenerated from a saved result.json without running anything.
//
// The document may be hand-edited or come from an older or newer build:
// check_document() validates the shape the writers rely on (and names the
// JSON path of what is wrong); beyond that the accessors below never throw, a
// missing or mistyped field reads as empty.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace sigtrust::reports {

using nlohmann::json;

// Empty if `doc` has the shape of a result document, else what is wrong and
// where ("runs[2].sessions: expected an array"). An interop document
// (reports/interop_view.hpp) has cells in place of runs.
std::string check_document(const json& doc);

// Reads, parses and checks a result document. Errors name the file and, for
// a JSON syntax error, its line and column.
Result<json> load_document(const std::string& path);

// Field access that never throws.
const json& field(const json& j, std::string_view key);  // null if absent or `j` not an object
const json& items(const json& j, std::string_view key);  // empty array unless an array
std::string text(const json& j, std::string_view key);  // strings as is, numbers/bools as JSON, else ""
std::vector<std::string> texts(const json& j, std::string_view key);  // the strings of an array field
double number(const json& j, std::string_view key, double fallback = -1);
bool flag(const json& j, std::string_view key);

// Milliseconds with one decimal ("9.8"), "-" when null/absent.
std::string format_ms(const json& value);

// A session the run ended before it settled ("cut_by": deadline or
// interrupted): its outcome is only what happened so far. Provisional when a
// later event could have changed it (core/outcome.hpp is_final): then it is
// never a finding and never meets its expectation.
bool is_cut(const json& session);
bool is_provisional(const json& session);
// "" for a settled session, else one line for the terminal and every report:
// "cut by the deadline (5000 ms) before it settled: bob was waiting for the
// users' out-of-band comparison; the outcome is provisional, not a finding".
std::string cut_note(const json& run, const json& session);

// The names of a session's two ends in order: offerer, answerer.
std::vector<std::string> session_peers(const json& session);

// Every timeline event of a run whose kind is "attack.rewrite" and carries
// data.before / data.after (the SDP before and after the attacker's change).
struct Rewrite {
  double t_ms = 0;
  std::string actor, from, to, text, before, after;
  std::string what() const;  // "offer" / "answer" / "message", from the text
};
std::vector<Rewrite> rewrites(const json& run);

// sas-grind-mitm's search in words ("the attacker tried 212 key shares; the last gives both users the
// same SAS"), or "" when the attacker ground nothing (attacker.grind_tries null or absent).
std::string grind_note(const json& attacker);
// "the attacker decrypted 2 media stream(s): audio from alice (opus/48000/2,
// 25 packets), ...; recorded 2 file(s)", or "" when it decrypted none.
std::string media_note(const json& attacker);

// "a=fingerprint:" values in an SDP ("sha-256 AB:..."), in order.
std::vector<std::string> sdp_fingerprints(std::string_view sdp);

// The fingerprint(s) a peer put in the SDP it sent (from its
// signaling.offer-sent / signaling.answer-sent events), i.e. its own.
std::vector<std::string> sent_fingerprints(const json& run, const std::string& peer);

// The overview when several runs vary attack or trust: rows are attacks,
// columns trust configurations, a cell holds one entry per run that fell into
// it (in document order): the outcome of the run's last session, which in a
// matrix scenario is the attacked one, passing when every session did.
struct MatrixCell {
  std::string outcome, expected;
  std::string scenario;  // the run's scenario name, without the "attack/" of a matrix cell's
  bool pass = true;
  std::string cut = "";  // "deadline" / "interrupted" when a session of the run was cut before it settled
};
struct Matrix {
  std::vector<std::string> attacks, trusts;  // in order of first appearance
  std::map<std::pair<std::string, std::string>, std::vector<MatrixCell>> cells;
  const std::vector<MatrixCell>* cell(const std::string& attack, const std::string& trust) const;
};
Matrix matrix_of(const json& doc);
// True when a matrix says more than the outcome list: more than one attack or
// more than one trust configuration among the runs.
bool has_matrix(const Matrix& m);

// The entries worth showing: one (without a scenario name) when every run in
// the cell gave the same outcome, else each distinct one.
std::vector<MatrixCell> cell_entries(const std::vector<MatrixCell>& cell);

// The cell's outcomes as one line: "mitm-undetected", or
// "detected (downgrade-mitm-md5), mitm-undetected (downgrade-mitm-sha1)" when
// the runs that share it differ; a failed expectation adds " ≠ expected X",
// a session cut before it settled " [deadline]" or " [interrupted]".
std::string cell_summary(const std::vector<MatrixCell>& cell);

struct Totals {
  std::size_t runs = 0, sessions = 0, failed = 0, errors = 0;
};
// Counted from the runs (not copied from "summary", which may be stale); an
// interop document's from its run view, one run a cell.
Totals totals(const json& doc);

}  // namespace sigtrust::reports
