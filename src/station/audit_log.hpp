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
#include <vector>

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
  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::filesystem::path file_;
  std::string station_id_;
  std::mutex mutex_;
};

// Write-ahead audit: before an irreversible or identity action the station appends an intent
// ("efuse.burn.begin", "identity.sign.begin"); the completion line names the intent's hash in
// details.intent. An intent no line names is open: the station stopped in between, and the next
// run reconciles it from the chip's eFuses or the CA index ("...reconciled" lines).
inline constexpr const char* kIntentSuffix = ".begin";

// Every entry of the log in order (unparsable lines are skipped; verify_audit_log finds them); only
// those of one device when `mac` is not empty (streamed: the log is never held whole for that).
std::vector<nlohmann::json> read_audit_entries(const std::filesystem::path& file, const std::string& mac = {});
// The open intents (entries whose action ends in ".begin" and that no later line names), of one
// device when `mac` is not empty.
std::vector<nlohmann::json> open_intents(const std::vector<nlohmann::json>& entries, const std::string& mac = {});

struct AuditVerification {
  bool ok = true;
  std::uint64_t entries = 0;
  std::uint64_t first_bad_line = 0;  // 1-based, when not ok
  std::string problem;
  // Completeness (audit_completeness.hpp): burns and certificates the DB and the CA index know
  // of without their audit lines; open intents of devices that finished.
  std::vector<std::string> missing;
  std::vector<std::string> open_intents;  // of devices still in progress (to be reconciled): not a failure
};

AuditVerification verify_audit_log(const std::filesystem::path& file);

// The hash of the chain's start (before the first line).
inline constexpr const char* kAuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace espfab::station
