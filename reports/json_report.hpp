// The result document (docs/architecture.md): the contract with CI and other tools.
// Fields may be added; the documented ones stay.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/run_result.hpp"

namespace sigtrust::reports {

// The version of the document's schema (docs/result.schema.json), in every
// document as "schema_version". Fields may be added without raising it.
constexpr int kSchemaVersion = 1;

nlohmann::json result_document(const std::vector<RunResult>& runs);

// Now, UTC, ISO 8601 ("2025-01-31T12:00:00Z"): a document's "created".
std::string utc_timestamp();

}  // namespace sigtrust::reports
