// Finds secret bytes where they must not be: every file under a directory (logs, outputs, temp
// files) and the captured output of a command. Header-only so any test binary can use it.
#pragma once

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "util/bytes.hpp"
#include "util/file_io.hpp"

namespace espfab::test {

inline bool contains_bytes(ByteView haystack, ByteView needle) {
  if (needle.empty()) return false;
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

inline bool contains_bytes(const std::string& haystack, ByteView needle) {
  return contains_bytes(ByteView(reinterpret_cast<const std::uint8_t*>(haystack.data()), haystack.size()), needle);
}

// Paths (relative to `dir`) of regular files that contain any of `needles`, skipping the names in
// `allowed` (files the user asked to hold the secret).
inline std::vector<std::string> files_containing(const std::filesystem::path& dir, const std::vector<Bytes>& needles,
                                                 const std::set<std::string>& allowed = {}) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = std::filesystem::relative(entry.path(), dir).string();
    if (allowed.count(name) != 0) continue;
    const Bytes content = read_file(entry.path());
    for (const auto& needle : needles) {
      if (contains_bytes(content, needle)) {
        found.push_back(name);
        break;
      }
    }
  }
  return found;
}

// The base64 body lines of a PEM block (each line alone is distinctive enough to be a leak).
inline std::vector<Bytes> pem_body_lines(const std::string& pem) {
  std::vector<Bytes> lines;
  std::size_t start = 0;
  while (start < pem.size()) {
    std::size_t end = pem.find('\n', start);
    if (end == std::string::npos) end = pem.size();
    const std::string line = pem.substr(start, end - start);
    if (line.size() >= 32 && line.rfind("-----", 0) != 0) lines.push_back(to_bytes(line));
    start = end + 1;
  }
  return lines;
}

}  // namespace espfab::test
