#include "cli/merge_command.hpp"

#include <boost/program_options.hpp>

#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include "cli/matrix_command.hpp"
#include "cli/outputs.hpp"
#include "reports/interop_view.hpp"
#include "reports/json_report.hpp"
#include "reports/merge.hpp"
#include "reports/report_set.hpp"
#include "reports/result_view.hpp"
#include "reports/terminal_report.hpp"

namespace sigtrust::cli {
namespace {

namespace po = boost::program_options;

struct MergeOptions {
  std::vector<std::string> files;
  std::string json_path, report_dir;
  bool quiet = false, verbose = false;
};

MergeOptions parse_merge_options(const std::vector<std::string>& argv) {
  MergeOptions o;
  po::options_description opts("report merge options");
  opts.add_options()  //
      ("json", po::value(&o.json_path), "write the merged result document to this file")  //
      ("report-dir", po::value(&o.report_dir), "write every report of the merged document here")  //
      ("verbose,v", "print each run's timeline")  //
      ("quiet,q", "print nothing when every expectation is met")  //
      ("file", po::value(&o.files), "the result documents of the shards");
  po::positional_options_description pos;
  pos.add("file", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(argv).options(opts).positional(pos).run(), vm);
  po::notify(vm);
  o.quiet = vm.count("quiet") > 0;
  o.verbose = vm.count("verbose") > 0;
  if (o.files.empty()) throw UsageError("report merge needs the result documents to join (the JSON each shard wrote)");
  return o;
}

// 128 + the signal that interrupted a shard; 3 a simulator error (for an
// interop document: 2 a stack missing); 1 a failed expectation; else 0: what
// one run of every cell would have returned.
int exit_status(const nlohmann::json& merged) {
  if (const auto& sig = reports::field(merged, "interrupted_by"); sig.is_number_integer()) return 128 + sig.get<int>();
  if (reports::is_interop(merged)) return interop_exit_status(merged);
  const auto totals = reports::totals(merged);
  if (totals.errors) return 3;
  return totals.failed ? 1 : 0;
}

}  // namespace

int merge_command(const std::vector<std::string>& args) {
  const auto o = parse_merge_options(args);
  std::vector<reports::NamedDocument> docs;
  for (const auto& f : o.files) {
    auto doc = reports::load_document(f);
    if (!doc) {
      std::cerr << "sigtrust: " << doc.error().message << "\n";
      return 2;
    }
    docs.push_back({f, std::move(*doc)});
  }
  auto merged = reports::merge_documents(docs, SIGTRUST_VERSION);
  if (!merged) {
    std::cerr << "sigtrust: report merge: " << merged.error().message << "\n";
    return 2;
  }
  (*merged)["created"] = reports::utc_timestamp();
  if (!write_outputs(*merged, o.json_path, o.report_dir)) return 3;
  const int status = exit_status(*merged);
  if (!o.quiet || status != 0) {
    reports::TerminalStyle style;
    style.colour = isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
    style.verbose = o.verbose;
    if (reports::is_interop(*merged)) {
      // Each cell as `sigtrust interop` judged it, then its totals line.
      std::cout << reports::render(reports::Format::Terminal, *merged, style)
                << reports::interop_summary_line(reports::interop_summary(*merged)) << "\n";
    } else if (reports::text(*merged, "command") == "matrix") {
      // As `sigtrust matrix` prints it.
      const auto t = reports::totals(*merged);
      std::cout << reports::terminal_matrix(*merged, style) << t.runs << " cell(s), " << t.failed
                << " expectation(s) failed" << (t.failed ? " (marked !)" : "") << "\n";
    } else {
      std::cout << reports::terminal_summary(*merged, style);
    }
  }
  return status;
}

}  // namespace sigtrust::cli
