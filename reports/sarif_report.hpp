// SARIF 2.1.0 for code-scanning dashboards: one result per session whose
// outcome is mitm-undetected (level error) or mitm-detected-late (level
// warning), one rule per attack with help text from attack_notes (which
// summarises docs/attacks.md), the scenario file as the location. Validates
// against the OASIS SARIF 2.1.0 schema kept in tests/data/sarif/.
#pragma once

#include <nlohmann/json.hpp>

namespace sigtrust::reports {

nlohmann::json sarif_report(const nlohmann::json& doc);

}  // namespace sigtrust::reports
