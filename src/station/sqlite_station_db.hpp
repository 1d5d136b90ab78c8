// The station DB in SQLite (the embedded default): WAL mode with synchronous=FULL, one connection
// serialised by a mutex, busy timeout for other processes sharing the file. The schema version is
// SQLite's user_version; opening for writing applies the migrations it lacks.
#pragma once

#include <filesystem>
#include <mutex>

#include "station/station_db.hpp"

struct sqlite3;

namespace espfab::station {

class SqliteStationDb final : public StationDb {
 public:
  explicit SqliteStationDb(const std::filesystem::path& file, DbAccess access = DbAccess::ReadWrite);
  ~SqliteStationDb() override;
  SqliteStationDb(const SqliteStationDb&) = delete;
  SqliteStationDb& operator=(const SqliteStationDb&) = delete;
  SqliteStationDb(SqliteStationDb&&) = delete;
  SqliteStationDb& operator=(SqliteStationDb&&) = delete;

  DeviceRow touch_device(const std::string& mac, const std::string& fixture) override;
  std::optional<DeviceRow> find_device(const std::string& mac_or_serial) override;
  std::vector<DeviceRow> devices(const std::string& since_iso = {}) override;
  void set_status(const std::string& mac, const std::string& status, const std::string& reason) override;
  std::optional<DeviceRow> last_on_fixture(const std::string& fixture) override;

  std::string allocate_serial(const std::string& mac, const SerialScheme& scheme) override;

  void record_step(const StepRow& row) override;
  std::vector<StepRow> steps(const std::string& mac) override;
  bool step_done(const std::string& mac, const std::string& step) override;

  void store_certificate(const CertificateRow& row) override;
  std::optional<CertificateRow> certificate(const std::string& mac) override;
  std::optional<CertificateRow> revoke_certificate(const std::string& mac, const std::string& reason) override;
  void store_revocation(const CertificateRow& certificate, const std::string& reason) override;
  std::vector<RevocationRow> revocations(const std::string& mac) override;
  std::vector<CertificateRow> all_certificates() override;

  void store_efuse_snapshot(const std::string& mac, const std::string& stage, const nlohmann::json& summary) override;
  std::optional<nlohmann::json> efuse_snapshot(const std::string& mac, const std::string& stage) override;

  std::int64_t enqueue(const std::string& kind, const std::string& mac, const nlohmann::json& payload) override;
  std::vector<OutboxItem> pending(const std::string& kind = {}) override;
  std::vector<OutboxItem> outbox(const std::string& mac) override;
  void outbox_attempt(std::int64_t id, bool done, const std::string& error) override;

  void record_run(const RunRow& row) override;
  std::optional<RunRow> run(const std::string& run_id) override;

  // What opening did to the schema (ReadOnly: from == to, nothing changed).
  Migration migration() const { return migration_; }

 private:
  void open(const char* name, int flags);
  void open_read_only();
  void exec(const char* sql);
  int read_version();  // throws station.db_schema_newer past kStationDbSchemaVersion
  void migrate();
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
  std::recursive_mutex mutex_;
  int version_ = 0;
  Migration migration_;
};

}  // namespace espfab::station
