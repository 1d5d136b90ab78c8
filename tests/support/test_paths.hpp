// Where tests find their inputs: vectors copied into tests/vectors (never ../shared) and the
// built binaries.
#pragma once

#include <filesystem>
#include <string>

#include "util/bytes.hpp"

namespace espfab::test {

std::filesystem::path vectors_dir();
std::filesystem::path vector_path(const std::string& relative);
Bytes read_vector(const std::string& relative);
std::string read_vector_text(const std::string& relative);
// The built espfab CLI (build/apps/espfab/espfab).
std::filesystem::path espfab_binary();
std::filesystem::path build_dir();

}  // namespace espfab::test
