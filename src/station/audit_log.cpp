#include "station/audit_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <set>

#include "station/station_db.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

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
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) {
      throw IoError("station.audit_open", fmt::format("cannot open the audit log {}", file.string()),
                    "check the station data directory's permissions");
    }
  }
  ~FileLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
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

// The whole file; cuts a torn last line (no newline) off and says so.
std::string read_and_repair(int fd, bool& repaired) {
  std::string text;
  char buffer[65536];
  ::lseek(fd, 0, SEEK_SET);
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  repaired = false;
  if (!text.empty() && text.back() != '\n') {
    const auto last = text.rfind('\n');
    text.resize(last == std::string::npos ? 0 : last + 1);
    if (::ftruncate(fd, static_cast<off_t>(text.size())) != 0) {
      throw IoError("station.audit_write", "cannot cut the torn last line of the audit log");
    }
    repaired = true;
  }
  return text;
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
  const std::string text = read_and_repair(lock.fd(), repaired);
  std::string prev = kAuditGenesis;
  std::uint64_t seq = 0;
  if (!text.empty()) {
    const auto start = text.rfind('\n', text.size() - 2);
    const auto last = nlohmann::json::parse(text.substr(start == std::string::npos ? 0 : start + 1), nullptr, false);
    if (last.is_discarded() || !last.contains("hash")) {
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

std::vector<nlohmann::json> read_audit_entries(const std::filesystem::path& file) {
  std::vector<nlohmann::json> entries;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_object()) entries.push_back(std::move(entry));
  }
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
  std::ifstream in(file);
  if (!in) {
    result.ok = false;
    result.problem = fmt::format("cannot read {}", file.string());
    return result;
  }
  std::string prev = kAuditGenesis;
  std::string line;
  std::uint64_t number = 0;
  auto fail = [&](const std::string& problem) {
    result.ok = false;
    result.first_bad_line = number;
    result.problem = problem;
    return result;
  };
  while (std::getline(in, line)) {
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
  }
  return result;
}

}  // namespace espfab::station
