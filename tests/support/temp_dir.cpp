#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

namespace espfab::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "espfab-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  // ESPFAB_KEEP_FAILED_TEST_DIRS=1: a failed test leaves its directory for a post-mortem (a rare
  // failure of a long campaign can then be read, not just seen).
  if (std::getenv("ESPFAB_KEEP_FAILED_TEST_DIRS") != nullptr && ::testing::Test::HasFailure()) {
    std::cerr << "kept the failed test's directory " << path_ << "\n";
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::vector<std::string> TempDir::entries() const {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(path_)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace espfab::test
