// Escaping of text that comes from the result document before it goes into
// HTML, XML or Markdown. Everything in the document may be attacker-controlled
// (SDP, messages, peer names), so every writer routes all text through here.
#pragma once

#include <string>
#include <string_view>

namespace sigtrust::reports {

// HTML text and attribute values: & < > " ' become character references.
std::string html_escape(std::string_view s);

// XML 1.0 text and attribute values: as html_escape, and characters XML 1.0
// cannot carry at all (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF,
// malformed UTF-8) become U+FFFD, so the output is always well-formed.
std::string xml_escape(std::string_view s);

// Inline Markdown (also inside a table cell): CommonMark punctuation that could
// start markup or raw HTML is backslash-escaped, '|' too, and line breaks
// become spaces.
std::string markdown_escape(std::string_view s);

// Terminal text: control characters (C0, DEL, C1) become "\xNN", so text
// from the document cannot move the cursor, recolour or retitle a terminal.
std::string terminal_escape(std::string_view s);

// A code fence (``` or longer) that no line of `content` can close.
std::string markdown_fence(std::string_view content);

// Shortens UTF-8 text to at most `max` bytes, adding "…" when cut,
// never splitting a multi-byte character.
std::string truncate_utf8(std::string_view s, std::size_t max);

}  // namespace sigtrust::reports
