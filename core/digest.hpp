// SHA-256 of bytes and of files, as lowercase hex: the digests a result
// document carries of the expectations it was checked against and of the
// plan of cells it was split from (docs/ci.md).
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace sigtrust {

// 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

// The digest of a file's contents; an error names the file.
Result<std::string> sha256_of_file(const std::string& path);

}  // namespace sigtrust
