#include "reports/report_set.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "reports/html_report.hpp"
#include "reports/interop_view.hpp"
#include "reports/junit_report.hpp"
#include "reports/markdown_report.hpp"
#include "reports/sarif_report.hpp"

namespace sigtrust::reports {

namespace fs = std::filesystem;

std::optional<Format> parse_format(std::string_view name) {
  if (name == "terminal" || name == "text") return Format::Terminal;
  if (name == "markdown" || name == "md") return Format::Markdown;
  if (name == "html") return Format::Html;
  if (name == "junit") return Format::Junit;
  if (name == "sarif") return Format::Sarif;
  if (name == "json") return Format::Json;
  return std::nullopt;
}

std::string format_names() { return "terminal, markdown (md), html, junit, sarif, json"; }

std::string render(Format format, const nlohmann::json& doc, const TerminalStyle& style) {
  // An interop document is rendered as its runs (one a cell); its JSON is itself.
  if (format != Format::Json && is_interop(doc)) return render(format, runs_view(doc), style);
  // Invalid UTF-8 (possible in attacker-supplied text) is replaced, never thrown on.
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  switch (format) {
    case Format::Terminal: return terminal_summary(doc, style);
    case Format::Markdown: return markdown_report(doc);
    case Format::Html: return html_report(doc);
    case Format::Junit: return junit_report(doc);
    case Format::Sarif: return sarif_report(doc).dump(2, ' ', false, kReplace) + "\n";
    case Format::Json: return doc.dump(2, ' ', false, kReplace) + "\n";
  }
  return "";
}

std::string file_name(Format format) {
  switch (format) {
    case Format::Terminal: return "";
    case Format::Markdown: return "report.md";
    case Format::Html: return "report.html";
    case Format::Junit: return "junit.xml";
    case Format::Sarif: return "results.sarif";
    case Format::Json: return "result.json";
  }
  return "";
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out << content;
  if (out) out.flush();
  if (!out) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

std::vector<std::string> write_report_dir(const std::string& dir, const nlohmann::json& doc) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir + ": " + ec.message());
  const std::string json_text = render(Format::Json, doc);
  // What `sigtrust report` will read back: numbers and replaced bytes exactly
  // as in the file.
  const nlohmann::json saved = nlohmann::json::parse(json_text);
  std::vector<std::string> written;
  for (Format f : {Format::Json, Format::Markdown, Format::Html, Format::Junit, Format::Sarif}) {
    const std::string path = (fs::path(dir) / file_name(f)).string();
    write_file(path, f == Format::Json ? json_text : render(f, saved));
    written.push_back(path);
  }
  return written;
}

}  // namespace sigtrust::reports
