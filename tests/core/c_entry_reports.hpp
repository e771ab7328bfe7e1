// What a CEntryReport was told: each stopped exception's entry and text, in
// order. Shared by the C-entry tests of core/ and net/.
#pragma once

#include <string>
#include <vector>

#include "core/c_entry.hpp"

namespace sigtrust::test {

struct CEntryReports {
  std::vector<std::string> where, what;
  CEntryReport report() {
    return [this](const std::string& w, const std::string& e) {
      where.push_back(w);
      what.push_back(e);
    };
  }
};

}  // namespace sigtrust::test
