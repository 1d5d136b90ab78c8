// One station per data dir: a write lock (fcntl, open-file-description lock) on
// <data_dir>/station.lock, held for the life of the run and released by the kernel when the
// process ends, however it ends. The lock file says who holds it (pid, host, since when).
#pragma once

#include <filesystem>

#include "util/unique_fd.hpp"

namespace espfab::station {

class DataDirLock {
 public:
  // Throws PolicyRefusalError("station.data_dir_locked") naming the holder when another station
  // (in this or another process) holds the lock; IoError when the lock file cannot be opened.
  explicit DataDirLock(const std::filesystem::path& data_dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  DataDirLock(DataDirLock&&) = delete;
  DataDirLock& operator=(DataDirLock&&) = delete;

  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  UniqueFd fd_;  // closing it releases the lock
};

}  // namespace espfab::station
