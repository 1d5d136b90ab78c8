#include "station/data_dir_lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "station/station_db.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

constexpr std::size_t kMaxHolderText = 512;

// An open-file-description lock: unlike a classic F_SETLK lock it also conflicts with another
// lock in the same process, and closing some other descriptor of the file does not drop it.
// Returns 0 or the errno of the failure (EAGAIN/EACCES: another holder).
int try_write_lock(int fd) {
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;  // the whole file
  while (::fcntl(fd, F_OFD_SETLK, &lock) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

std::string holder_text(int fd) {
  std::string text(kMaxHolderText, '\0');
  const ssize_t n = ::pread(fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

}  // namespace

DataDirLock::DataDirLock(const std::filesystem::path& data_dir) : file_(data_dir / "station.lock") {
  fd_.reset(::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd_) {
    const int err = errno;
    throw IoError("station.lock_open",
                  fmt::format("cannot open the lock file {}: {}", file_.string(), std::strerror(err)),
                  "check that [station] data_dir in the profile is a writable directory");
  }
  if (const int err = try_write_lock(fd_.get()); err != 0) {
    std::string holder = holder_text(fd_.get());
    fd_.reset();
    if (err != EACCES && err != EAGAIN) {
      throw IoError("station.lock_failed", fmt::format("cannot lock {}: {}", file_.string(), std::strerror(err)),
                    "the data dir must be on a local file system that supports fcntl locks");
    }
    if (holder.empty()) holder = "a station that is just starting";
    throw PolicyRefusalError(
        "station.data_dir_locked",
        fmt::format("the data dir {} is in use by another station: {}", data_dir.string(), holder),
        "wait for that station to finish or stop it, or give this profile its own [station] data_dir");
  }
  const std::string text = fmt::format("pid {} on host {} since {}\n", ::getpid(), host_name(), utc_now_iso());
  // Who holds it is information for the next one; the lock itself is what counts.
  if (::ftruncate(fd_.get(), 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd_.get(), text.data(), text.size(), 0);
  }
}

DataDirLock::~DataDirLock() {
  if (!fd_) return;
  [[maybe_unused]] const int truncated = ::ftruncate(fd_.get(), 0);
  fd_.reset();  // releases the lock
}

}  // namespace espfab::station
