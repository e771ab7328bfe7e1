#include "cli/command.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace sigtrust::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

const std::vector<CommandInfo>& commands() {
  static const std::vector<CommandInfo> all = {
      {"run",
       "run FILE|NAME... [--json FILE] [--report-dir DIR] [--key-log FILE] [--capture FILE] [--baseline OLD.json] "
       "[--shard K/N|auto] [-v] [-q]",
       "run scenario files (or catalogue scenarios by name, see 'sigtrust list scenarios') and check their "
       "expected outcomes"},
      {"validate", "validate FILE|NAME...",
       "load and check scenario files as 'run' would, and run nothing: exit 0 when every file is valid, 2 "
       "otherwise (each error with file:line:column)"},
      {"diff", "diff OLD.json NEW.json",
       "which sessions (matrix cells) changed outcome or pass between two result documents: exit 0 when "
       "none, 1 when some did"},
      {"report", "report RESULT.json [--format terminal|markdown|html|junit|sarif|json] [-v]",
       "render a saved result document again, without running"},
      {"report merge", "report merge A.json B.json... [--json FILE] [--report-dir DIR] [-q] [-v]",
       "join the result documents of shards into one, as one unsharded run would have written it"},
      {"matrix",
       "matrix [--attacks A,B] [--trust X,Y] [--jobs N] [--json FILE] [--report-dir DIR] [--expectations FILE] "
       "[--baseline OLD.json] [--shard K/N|auto] [--explain] [-q]",
       "every attack against every trust configuration, checked against scenarios/matrix/expected.yaml"},
      {"relay",
       "relay [--listen 127.0.0.1:PORT] [--protocol sigtrust|peerjs] [--attack NAME] [--rewrite FROM=TO] [--json FILE] "
       "[--report-dir DIR] [--key-log FILE] [--duration S] [-q]",
       "serve real browsers (demo page at /) until SIGINT/SIGTERM, then write one session per room; stays on the "
       "host's loopback"},
      {"interop",
       "interop [--stacks A,B] [--pairs matrix|same|cross|all] [--attacks X,Y] [--jobs N] [--json FILE] [--report-dir "
       "DIR] "
       "[--work-dir DIR] [--registry FILE] [--expectations FILE] [--deadline-ms MS] [--shard K/N|auto]",
       "real WebRTC stacks (interop/stacks.yaml) against each other through the relay under each signaling attack, "
       "checked against scenarios/interop/expected.yaml"},
      {"proxy",
       "proxy --upstream http://127.0.0.1:PORT [--listen 127.0.0.1:PORT] [--protocol peerjs|json] [--sdp-path PTR] "
       "[--candidate-path PTR] [--attack NAME] [--rewrite FROM=TO] [--json FILE] [--report-dir DIR] [--duration S] "
       "[-q]",
       "sit in front of an unmodified signaling server (a PeerServer, or any JSON over WebSocket) and attack the "
       "SDP in flight as the relay does; loopback only"},
      {"list", "list attacks|trust|scenarios [--json]",
       "list the stable names this build knows, with their parameters"},
      {"doctor", "doctor",
       "check every program and capability a run may need (isolation, coturn, capture, browsers), each with how "
       "to fix it"},
      {"help", "help [COMMAND]", "this text, or a command's help (as 'sigtrust COMMAND --help')"},
  };
  return all;
}

const CommandInfo* find_command(const std::string& name) {
  for (const auto& c : commands())
    if (c.name == name) return &c;
  return nullptr;
}

std::string usage_text() {
  std::ostringstream out;
  out << "usage: sigtrust COMMAND [options]      (sigtrust COMMAND --help for a command's options)\n\ncommands:\n";
  for (const auto& c : commands()) out << "  " << c.synopsis << "\n      " << c.summary << "\n";
  out << "\n"
         "  --version              print the version\n"
         "  --no-isolate           (run, matrix, doctor) keep the host's loopback instead of a private\n"
         "                         user+network namespace holding only lo (also SIGTRUST_NO_ISOLATE=1)\n"
         "\n"
         "--shard K/N runs shard K of N (counted from 1) of the files or cells; auto takes K and N\n"
         "from GitLab (CI_NODE_INDEX, CI_NODE_TOTAL) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX,\n"
         "SIGTRUST_SHARDS); 'sigtrust report merge' joins the shards' result documents.\n"
         "\n"
         "exit status: 0 all expectations met, 1 an expectation failed, 2 bad input or usage,\n"
         "             3 the simulator itself failed, 128+N stopped by signal N\n";
  return out.str();
}

std::string command_help(const CommandInfo& c, const po::options_description& opts) {
  std::ostringstream out;
  out << "usage: sigtrust " << c.synopsis << "\n\n" << c.summary << "\n";
  if (!opts.options().empty()) out << "\n" << opts;
  out << "\n  -h [ --help ]          this text\n";
  return out.str();
}

std::string short_usage(const std::string& command) {
  const CommandInfo* c = find_command(command);
  if (!c) return "usage: sigtrust COMMAND [options]; 'sigtrust help' lists the commands\n";
  return "usage: sigtrust " + c->synopsis + "\n'sigtrust " + c->name + " --help' explains the options\n";
}

std::optional<po::variables_map> parse(const std::string& command, const std::vector<std::string>& argv,
                                       const po::options_description& opts,
                                       const po::positional_options_description* positional) {
  if (std::any_of(argv.begin(), argv.end(), [](const std::string& a) { return a == "--help" || a == "-h"; })) {
    const CommandInfo* c = find_command(command);
    if (c) std::cout << command_help(*c, opts);
    return std::nullopt;
  }
  po::variables_map vm;
  auto parser = po::command_line_parser(argv).options(opts);
  if (positional) parser.positional(*positional);
  po::store(parser.run(), vm);
  po::notify(vm);
  return vm;
}

void check_output_file(const std::string& path, const std::string& option) {
  if (path.empty()) return;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw UsageError(option + " " + path + ": is a directory; expected a file");
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec)) throw UsageError(option + " " + path + ": no directory " + dir.string());
  if (::access(dir.c_str(), W_OK) != 0 || (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0))
    throw UsageError(option + " " + path + ": not writable");
}

void check_output_dir(const std::string& path, const std::string& option) {
  if (path.empty()) return;
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw UsageError(option + " " + path + ": cannot create it: " + ec.message());
  if (!fs::is_directory(path, ec)) throw UsageError(option + " " + path + ": not a directory");
  if (::access(path.c_str(), W_OK) != 0) throw UsageError(option + " " + path + ": not writable");
}

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace sigtrust::cli
