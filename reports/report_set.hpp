// The report formats by name, rendering one of them, and writing all of them
// into a directory (`sigtrust run --report-dir DIR`). Every format is a pure
// function of the result document.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reports/terminal_report.hpp"

namespace sigtrust::reports {

enum class Format { Terminal, Markdown, Html, Junit, Sarif, Json };

// "terminal", "markdown" (or "md"), "html", "junit", "sarif", "json".
std::optional<Format> parse_format(std::string_view name);
// The accepted names, for usage messages.
std::string format_names();

// The document as text in `format`. `style` only matters for Terminal.
std::string render(Format format, const nlohmann::json& doc, const TerminalStyle& style = {});

// The file each format gets in a report directory (Terminal gets none).
std::string file_name(Format format);

// Writes result.json, report.md, report.html, junit.xml and results.sarif
// into `dir` (created if missing) and returns their paths. The reports are
// rendered from the document as it reads back from result.json, so
// `sigtrust report DIR/result.json --format F` reproduces each byte for byte.
// Throws std::runtime_error naming the file that could not be written.
std::vector<std::string> write_report_dir(const std::string& dir, const nlohmann::json& doc);

// Writes `content` to `path`; throws std::runtime_error naming the path.
void write_file(const std::string& path, const std::string& content);

}  // namespace sigtrust::reports
