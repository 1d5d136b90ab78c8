// A fresh directory under the system temp dir, removed with everything in it when destroyed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace espfab::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }
  // Names of the entries in the directory, sorted (to check that nothing half-written is left).
  std::vector<std::string> entries() const;

 private:
  std::filesystem::path path_;
};

}  // namespace espfab::test
