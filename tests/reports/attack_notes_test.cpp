#include "reports/attack_notes.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "attacks/registry.hpp"

namespace sigtrust::reports {
namespace {

// Keeps the notes (and so SARIF rule help) in step with the registry: a new
// attack needs a note here and a section in docs/attacks.md.
TEST(ReportAttackNotes, EveryRegisteredAttackHasANote) {
  std::set<std::string_view> noted;
  for (const auto& n : attack_notes()) noted.insert(n.name);
  for (const auto& p : attacks::registry())
    EXPECT_TRUE(noted.count(p.decl.name)) << "no note for attack '" << p.decl.name << "' in reports/attack_notes.cpp";
}

TEST(ReportAttackNotes, NotesAreCompleteAndUnique) {
  std::set<std::string_view> names;
  for (const auto& n : attack_notes()) {
    EXPECT_TRUE(names.insert(n.name).second) << n.name;
    EXPECT_FALSE(n.summary.empty()) << n.name;
    EXPECT_GT(n.help.size(), 80u) << n.name;
  }
}

TEST(ReportAttackNotes, UnknownAttackGetsAGenericNote) {
  const AttackNote n = attack_note("brand-new");
  EXPECT_EQ(n.name, "brand-new");
  EXPECT_NE(n.help.find("docs/attacks.md"), std::string::npos);
}

}  // namespace
}  // namespace sigtrust::reports
