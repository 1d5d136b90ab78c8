// The station DB: devices (MAC unique), serial numbers (unique, idempotent per MAC), step results
// with measurements, issued certificates (public part only), eFuse snapshots and the outbox for
// registration and labels. SQLite in WAL mode with synchronous=FULL: a call returns once its
// change is durable, so a step's result is committed before the next step starts. Safe to use
// from every fixture worker (one connection, serialised).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "station/station_profile.hpp"

struct sqlite3;

namespace espfab::station {

// Device status: in_progress, provisioned, rejected (Reject/Repair), fault (needs an engineer).
struct DeviceRow {
  std::string mac;
  std::string serial;  // empty until allocated
  std::string status;
  std::string reason;
  std::string fixture;
  std::string updated;  // ISO-8601 UTC
};

struct StepRow {
  std::string mac;
  std::string run_id;
  std::string step;
  std::string outcome;  // pass, fail, skipped (already done), error
  std::string started;  // ISO-8601 UTC
  double seconds = 0;
  nlohmann::json measurements = nlohmann::json::array();
  std::string error;
  nlohmann::json details = nlohmann::json::object();
};

struct CertificateRow {
  std::string mac;
  std::string serial;
  std::string certificate_serial;  // hex, as the CA issued it
  std::string sha256;              // of the DER
  std::string pem;
  std::string issued;
};

struct OutboxItem {
  std::int64_t id = 0;
  std::string kind;  // "register", "label"
  std::string mac;
  nlohmann::json payload;
  std::string state;  // pending, done
  unsigned attempts = 0;
  std::string last_error;
};

class StationDb {
 public:
  // Opens (creating when missing) the database file.
  explicit StationDb(const std::filesystem::path& file);
  ~StationDb();
  StationDb(const StationDb&) = delete;
  StationDb& operator=(const StationDb&) = delete;

  // The device row, created as in_progress on first sight.
  DeviceRow touch_device(const std::string& mac, const std::string& fixture);
  std::optional<DeviceRow> find_device(const std::string& mac_or_serial);
  std::vector<DeviceRow> devices(const std::string& since_iso = {});
  void set_status(const std::string& mac, const std::string& status, const std::string& reason);
  // The device last seen on this fixture port that is still in progress (a chip in Secure
  // Download Mode cannot tell its MAC: a resumed run recognises it by its fixture).
  std::optional<DeviceRow> unfinished_on_fixture(const std::string& fixture);

  // The serial of this MAC, allocating the next number of the scheme on first call. One
  // transaction: two workers never get the same number, a MAC never gets two.
  std::string allocate_serial(const std::string& mac, const SerialScheme& scheme);

  void record_step(const StepRow& row);
  std::vector<StepRow> steps(const std::string& mac);
  // True when the step's newest result for this MAC is a pass (or skipped as done).
  bool step_done(const std::string& mac, const std::string& step);

  // One certificate per MAC: a re-issue (the key was lost before injection) replaces the row.
  void store_certificate(const CertificateRow& row);
  std::optional<CertificateRow> certificate(const std::string& mac);

  void store_efuse_snapshot(const std::string& mac, const std::string& stage, const nlohmann::json& summary);
  std::optional<nlohmann::json> efuse_snapshot(const std::string& mac, const std::string& stage);

  std::int64_t enqueue(const std::string& kind, const std::string& mac, const nlohmann::json& payload);
  std::vector<OutboxItem> pending(const std::string& kind = {});
  std::vector<OutboxItem> outbox(const std::string& mac);
  void outbox_attempt(std::int64_t id, bool done, const std::string& error);

 private:
  void exec(const char* sql);
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
  std::recursive_mutex mutex_;
};

// "2026-12-02T19:45:01.123Z"
std::string utc_now_iso();

}  // namespace espfab::station
