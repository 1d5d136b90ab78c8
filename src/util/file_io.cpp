#include "util/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace espfab {

namespace {

std::string hint_for(int err) {
  switch (err) {
    case ENOENT: return "check the path";
    case EACCES:
    case EPERM: return "check the file's permissions";
    case ENOSPC: return "free disk space";
    case ENOTDIR:
    case EEXIST: return "a part of the path is a file, not a directory: check the path";
    case EROFS: return "the file system is read-only: choose a writable place";
    default: return "";
  }
}

[[noreturn]] void io_fail(const char* code, const std::string& what, const std::filesystem::path& path, int err) {
  throw IoError(code, what + " '" + path.string() + "': " + std::strerror(err), hint_for(err));
}

[[noreturn]] void too_large(const std::filesystem::path& path, ReadLimit limit) {
  throw BadInputError("io.too_large",
                      fmt::format("'{}' is larger than {} bytes ({})", path.string(), limit.max_bytes, limit.name),
                      "check the path: it must name a regular file of at most that size");
}

// One read(2), retried on EINTR; 0 at the end of the file. Throws IoError naming the path.
std::size_t read_chunk(int fd, void* buffer, std::size_t size, const std::filesystem::path& path) {
  for (;;) {
    const ssize_t n = ::read(fd, buffer, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) io_fail("io.read", "cannot read", path, errno);
  }
}

}  // namespace

Bytes read_file(const std::filesystem::path& path, ReadLimit limit) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) io_fail("io.open", "cannot open", path, errno);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) io_fail("io.stat", "cannot stat", path, errno);
  if (S_ISDIR(info.st_mode)) io_fail("io.is_directory", "cannot read", path, EISDIR);
  // A regular file's size is known up front; a device or pipe (st_size 0) is counted as it is read.
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size > limit.max_bytes) too_large(path, limit);
  Bytes data;
  data.reserve(static_cast<std::size_t>(size));
  std::uint8_t buffer[65536];
  for (std::size_t n; (n = read_chunk(fd.get(), buffer, sizeof buffer, path)) != 0;) {
    if (data.size() + n > limit.max_bytes) too_large(path, limit);
    data.insert(data.end(), buffer, buffer + n);
  }
  return data;
}

std::string read_text_file(const std::filesystem::path& path, ReadLimit limit) {
  const Bytes data = read_file(path, limit);
  return std::string(data.begin(), data.end());
}

bool for_each_line(const std::filesystem::path& path, const std::function<bool(std::string_view)>& on_line,
                   std::size_t max_line) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;  // no such file (can be none there)
    io_fail("io.open", "cannot open", path, errno);
  }
  std::string pending;  // the part of the current line read so far
  std::uint64_t number = 1;
  auto too_long = [&] {
    throw BadInputError("io.line_too_long",
                        fmt::format("line {} of '{}' is longer than {} bytes", number, path.string(), max_line),
                        "check the path, or have an engineer look at the file: no line the station writes is "
                        "that long");
  };
  char buffer[65536];
  for (std::size_t n; (n = read_chunk(fd.get(), buffer, sizeof buffer, path)) != 0;) {
    std::string_view chunk(buffer, n);
    for (auto newline = chunk.find('\n'); newline != std::string_view::npos; newline = chunk.find('\n')) {
      std::string_view line = chunk.substr(0, newline);
      if (!pending.empty()) {
        pending.append(line);
        line = pending;
      }
      if (line.size() > max_line) too_long();
      if (!on_line(line)) return true;
      pending.clear();
      chunk.remove_prefix(newline + 1);
      ++number;
    }
    if (pending.size() + chunk.size() > max_line) too_long();
    pending.append(chunk);
  }
  if (!pending.empty()) on_line(pending);
  return true;
}

IoError io_error_from(const std::filesystem::filesystem_error& error) {
  // what(): "filesystem error: cannot create directories: Not a directory [/srv/a/data]"
  std::string message = error.what();
  constexpr std::string_view kPrefix = "filesystem error: ";
  if (message.starts_with(kPrefix)) message.erase(0, kPrefix.size());
  std::string hint = hint_for(error.code().value());
  if (hint.empty()) hint = "check the path and its permissions";
  return IoError("io.filesystem", message, hint);
}

namespace {

// Writes `data` with `mode` into a new temporary file beside `path`, flushed to disk; returns its
// name. The caller moves it into place (or removes it).
std::filesystem::path write_temp_beside(const std::filesystem::path& path, ByteView data, unsigned mode) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::string temp_leaf = ".";
  temp_leaf += path.filename().string();
  temp_leaf += ".tmp-XXXXXX";
  std::string temp_name = (dir / temp_leaf).string();
  UniqueFd fd(::mkstemp(temp_name.data()));
  if (fd.get() < 0) io_fail("io.create", "cannot create a file in", dir, errno);
  std::filesystem::path temp = temp_name;
  auto cleanup_and_fail = [&](const char* code, const char* what) {
    const int err = errno;
    ::unlink(temp.c_str());
    io_fail(code, what, path, err);
  };
  if (::fchmod(fd.get(), mode) != 0) cleanup_and_fail("io.chmod", "cannot set permissions of");
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      cleanup_and_fail("io.write", "cannot write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) cleanup_and_fail("io.fsync", "cannot flush");
  if (::close(fd.release()) != 0) cleanup_and_fail("io.close", "cannot close");
  return temp;
}

// Makes a rename or link into `path`'s directory durable.
void sync_directory_of(const std::filesystem::path& path) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode) {
  const auto temp = write_temp_beside(path, data, mode);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    io_fail("io.rename", "cannot move into place", path, err);
  }
  sync_directory_of(path);
}

void write_new_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode) {
  const auto temp = write_temp_beside(path, data, mode);
  // link(2) never replaces an existing name, where rename(2) would.
  const int linked = ::link(temp.c_str(), path.c_str());
  const int err = errno;
  ::unlink(temp.c_str());
  if (linked != 0 && err == EEXIST) {
    throw IoError("io.exists", "'" + path.string() + "' exists already; it was left as it was",
                  "choose another file name, or move the existing file away first if it is really not needed");
  }
  if (linked != 0) io_fail("io.link", "cannot move into place", path, err);
  sync_directory_of(path);
}

void write_text_file_atomic(const std::filesystem::path& path, std::string_view text, unsigned mode) {
  write_file_atomic(path, ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), mode);
}

}  // namespace espfab
