#pragma once

#include <string>
#include <vector>

namespace sigtrust::cli {

// `sigtrust report merge A.json B.json … [--json OUT] [--report-dir DIR] [-q] [-v]`:
// joins the result documents of shards (or of separate runs) into one
// (reports/merge.hpp says what it refuses: exit 2, naming the file and the
// cell). Exit status as one unsharded run of the same cells would give.
int merge_command(const std::vector<std::string>& args);

}  // namespace sigtrust::cli
