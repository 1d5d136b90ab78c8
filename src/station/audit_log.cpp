#include "station/audit_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

#include "station/station_db.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/unique_fd.hpp"

namespace espfab::station {
namespace {

std::string chain_hash(const std::string& prev, const nlohmann::json& body) {
  const std::string text = prev + "\n" + body.dump();
  const auto digest = crypto::sha256(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  return to_hex(ByteView(digest.data(), digest.size()));
}

class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& file) {
    fd_.reset(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_ || ::flock(fd_.get(), LOCK_EX) != 0) {
      throw IoError("station.audit_open", fmt::format("cannot open the audit log {}", file.string()),
                    "check the station data directory's permissions");
    }
  }
  ~FileLock() {
    if (fd_) ::flock(fd_.get(), LOCK_UN);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

void write_all(int fd, const std::string& text, const std::filesystem::path& file) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) throw IoError("station.audit_write", fmt::format("cannot append to {}", file.string()));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) throw IoError("station.audit_write", fmt::format("cannot fsync {}", file.string()));
}

std::string read_at(int fd, off_t offset, std::size_t size, const std::filesystem::path& file) {
  std::string text(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, text.data() + done, size - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw IoError("station.audit_read", fmt::format("cannot read {}", file.string()));
    done += static_cast<std::size_t>(n);
  }
  return text;
}

// Where the line that ends at `end` (exclusive; its '\n', if any, not included) starts: just after
// the '\n' before it, or 0. Reads backwards from `end`, at most one line (kMaxLogLine).
off_t line_start_before(int fd, off_t end, const std::filesystem::path& file) {
  constexpr off_t kStep = 4096;
  off_t pos = end;
  while (pos > 0) {
    const off_t from = std::max<off_t>(0, pos - kStep);
    const std::string block = read_at(fd, from, static_cast<std::size_t>(pos - from), file);
    const auto newline = block.rfind('\n');
    if (newline != std::string::npos) return from + static_cast<off_t>(newline) + 1;
    pos = from;
    if (end - pos > static_cast<off_t>(kMaxLogLine)) {
      throw IoError("station.audit_corrupt",
                    fmt::format("the last line of {} is longer than {} bytes", file.string(), kMaxLogLine),
                    "run `espfab audit verify` and have an engineer look at the file");
    }
  }
  return 0;
}

// The last complete line of the log (none when the log is empty). A torn last line (the station
// stopped while appending: no '\n') is cut off first, and `repaired` says so. Only the end of the
// file is read: appending costs the same on the millionth device as on the first.
std::optional<std::string> last_line_repairing(int fd, const std::filesystem::path& file, bool& repaired) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw IoError("station.audit_read", fmt::format("cannot stat {}", file.string()));
  off_t end = info.st_size;
  repaired = false;
  if (end > 0 && read_at(fd, end - 1, 1, file)[0] != '\n') {
    end = line_start_before(fd, end, file);
    if (::ftruncate(fd, end) != 0) {
      throw IoError("station.audit_write", "cannot cut the torn last line of the audit log");
    }
    repaired = true;
  }
  if (end == 0) return std::nullopt;
  const off_t start = line_start_before(fd, end - 1, file);
  return read_at(fd, start, static_cast<std::size_t>(end - 1 - start), file);
}

}  // namespace

AuditLog::AuditLog(std::filesystem::path file, std::string station_id)
    : file_(std::move(file)), station_id_(std::move(station_id)) {
  if (file_.has_parent_path()) std::filesystem::create_directories(file_.parent_path());
}

std::string AuditLog::append(const AuditEntry& entry) {
  std::lock_guard guard(mutex_);
  FileLock lock(file_);
  bool repaired = false;
  const auto text = last_line_repairing(lock.fd(), file_, repaired);
  std::string prev = kAuditGenesis;
  std::uint64_t seq = 0;
  if (text) {
    const auto last = nlohmann::json::parse(*text, nullptr, false);
    if (last.is_discarded() || !last.is_object() || !last.contains("hash") || !last["hash"].is_string()) {
      throw IoError("station.audit_corrupt", fmt::format("the last line of {} is not an audit entry", file_.string()),
                    "run `espfab audit verify` and have an engineer look at the file");
    }
    prev = last["hash"].get<std::string>();
    seq = last.value("seq", std::uint64_t{0});
  }
  auto make = [&](const AuditEntry& e) {
    nlohmann::json body = {{"seq", ++seq}, {"time", utc_now_iso()}, {"station", station_id_}, {"action", e.action},
                           {"mac", e.mac}, {"serial", e.serial},    {"details", e.details},   {"prev", prev}};
    const std::string hash = chain_hash(prev, body);
    body["hash"] = hash;
    prev = hash;
    return body.dump() + "\n";
  };
  ::lseek(lock.fd(), 0, SEEK_END);
  std::string out;
  if (repaired) out += make({"audit.torn_line_cut", "", "", {{"reason", "the station stopped while appending"}}});
  out += make(entry);
  write_all(lock.fd(), out, file_);
  return prev;
}

std::vector<nlohmann::json> read_audit_entries(const std::filesystem::path& file, const std::string& mac) {
  std::vector<nlohmann::json> entries;
  for_each_line(file, [&](std::string_view line) {
    if (!mac.empty() && line.find(mac) == std::string_view::npos) return true;  // not this device's: not parsed
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_object() && (mac.empty() || entry.value("mac", "") == mac)) entries.push_back(std::move(entry));
    return true;
  });
  return entries;
}

std::vector<nlohmann::json> open_intents(const std::vector<nlohmann::json>& entries, const std::string& mac) {
  std::set<std::string> named;
  for (const auto& e : entries) {
    const auto& details = e.value("details", nlohmann::json::object());
    if (details.is_object() && details.contains("intent") && details["intent"].is_string()) {
      named.insert(details["intent"].get<std::string>());
    }
  }
  std::vector<nlohmann::json> open;
  for (const auto& e : entries) {
    const std::string action = e.value("action", "");
    if (action.size() < std::strlen(kIntentSuffix) ||
        action.compare(action.size() - std::strlen(kIntentSuffix), std::string::npos, kIntentSuffix) != 0) {
      continue;
    }
    if (!mac.empty() && e.value("mac", "") != mac) continue;
    if (named.count(e.value("hash", "")) == 0) open.push_back(e);
  }
  return open;
}

AuditVerification verify_audit_log(const std::filesystem::path& file) {
  AuditVerification result;
  std::string prev = kAuditGenesis;
  std::uint64_t number = 0;
  auto fail = [&](const std::string& problem) {
    result.ok = false;
    result.first_bad_line = number;
    result.problem = problem;
    return false;
  };
  const bool exists = for_each_line(file, [&](std::string_view line) {
    ++number;
    auto body = nlohmann::json::parse(line, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("hash") || !body["hash"].is_string()) {
      return fail("not an audit entry");
    }
    const std::string hash = body["hash"].get<std::string>();
    body.erase("hash");
    if (body.value("prev", "") != prev)
      return fail("its 'prev' is not the hash of the line before (a line was removed or reordered)");
    if (body.value("seq", std::uint64_t{0}) != number) return fail(fmt::format("sequence number is not {}", number));
    if (chain_hash(prev, body) != hash) return fail("its hash does not match its content (the line was edited)");
    prev = hash;
    ++result.entries;
    return true;
  });
  if (!exists) {
    result.ok = false;
    result.problem = fmt::format("cannot read {}: there is no such file", file.string());
  }
  return result;
}

}  // namespace espfab::station
