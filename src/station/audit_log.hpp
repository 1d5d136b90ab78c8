// The append-only, hash-chained audit log of every irreversible action (eFuse burns, final lock)
// and every identity issued. One JSON object per line; each line carries the SHA-256 of the line
// before it ("prev") and its own hash over prev + its canonical JSON, so removing, reordering or
// editing any line breaks the chain from there on. Appends are flock'ed and fsync'ed.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

namespace espfab::station {

struct AuditEntry {
  std::string action;  // "identity.issued", "efuse.burned", "efuse.final_lock", ...
  std::string mac;
  std::string serial;
  nlohmann::json details = nlohmann::json::object();  // public facts only: never a secret
};

class AuditLog {
 public:
  AuditLog(std::filesystem::path file, std::string station_id);
  // Appends one entry and returns its hash. A torn last line left by a crash is cut off (and the
  // cut recorded) before the next entry is chained.
  std::string append(const AuditEntry& entry);

 private:
  std::filesystem::path file_;
  std::string station_id_;
  std::mutex mutex_;
};

struct AuditVerification {
  bool ok = true;
  std::uint64_t entries = 0;
  std::uint64_t first_bad_line = 0;  // 1-based, when not ok
  std::string problem;
};

AuditVerification verify_audit_log(const std::filesystem::path& file);

// The hash of the chain's start (before the first line).
inline constexpr const char* kAuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace espfab::station
