// Every timeline event kind a run writes is declared in core/timeline_events.hpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "core/timeline_events.hpp"
#include "run_helpers.hpp"

namespace sigtrust::testing {
namespace {

TEST(TimelineKinds, DeclaredOnceEachAndDotted) {
  std::set<std::string> seen;
  for (const char* k : events::kAll) {
    EXPECT_TRUE(seen.insert(k).second) << k << " declared twice";
    EXPECT_FALSE(std::string(k).empty());
  }
  EXPECT_TRUE(events::is_declared("run.start"));
  EXPECT_FALSE(events::is_declared("run.started"));
}

// The whole built-in catalogue (honest runs, every signaling attack of it,
// TURN and STUN positions, SAS, identity, TOFU): no event of an undeclared kind.
TEST(TimelineKinds, EveryKindTheCatalogueWritesIsDeclared) {
  CertificateStore store;
  std::set<std::string> kinds;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SIGTRUST_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    auto s = scenario::load_file(entry.path().string(), attacks::vocabulary());
    ASSERT_TRUE(s.ok()) << s.error().message;
    const RunResult r = run(*s, &store);
    for (const auto& e : r.timeline) {
      EXPECT_TRUE(events::is_declared(e.kind)) << entry.path().filename() << ": " << e.kind;
      kinds.insert(e.kind);
    }
  }
  EXPECT_GT(kinds.size(), 30u);
}

}  // namespace
}  // namespace sigtrust::testing
