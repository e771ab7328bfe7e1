// What every `sigtrust` subcommand shares: the table of commands (the help
// text is made from it), per-command `--help`, usage errors, and the checks
// on output paths made before anything runs.
#pragma once

#include <boost/program_options.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sigtrust::cli {

// Bad usage: main() prints it with the command's synopsis and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CommandInfo {
  std::string name;  // "run"
  std::string synopsis;  // "run FILE|NAME... [--json FILE] ..." (after "sigtrust ")
  std::string summary;  // what it does, one or two lines
};

// Every command, in the order `sigtrust help` lists them.
const std::vector<CommandInfo>& commands();
const CommandInfo* find_command(const std::string& name);

// `sigtrust help`: every command with its synopsis, global options, exit status.
std::string usage_text();
// `sigtrust COMMAND --help`: synopsis, summary and the options.
std::string command_help(const CommandInfo& c, const boost::program_options::options_description& opts);
// The few lines a usage error ends with: the synopsis and where the rest is.
std::string short_usage(const std::string& command);

// Parses a command's arguments. With --help or -h anywhere, prints the
// command's help to stdout and returns nullopt (the command then exits 0).
std::optional<boost::program_options::variables_map> parse(
    const std::string& command, const std::vector<std::string>& argv,
    const boost::program_options::options_description& opts,
    const boost::program_options::positional_options_description* positional = nullptr);

// An output file the command will write: refused before anything runs (a
// usage error, exit 2) if its directory does not exist or is not writable,
// or if it names a directory. Empty paths pass.
void check_output_file(const std::string& path, const std::string& option);
// An output directory: created (with parents) now, refused if that fails or
// it is not writable.
void check_output_dir(const std::string& path, const std::string& option);

// A comma-separated option value ("a,b,,c") as its non-empty items.
std::vector<std::string> split_list(const std::string& list);

}  // namespace sigtrust::cli
