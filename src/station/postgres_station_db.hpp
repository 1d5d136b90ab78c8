// The station DB in PostgreSQL (libpq): one server shared by every station of a line. Each call is
// one statement or one transaction on the server, so serials, device identity and the outbox are
// the same for every station. One connection per instance, serialised by a mutex; a lost
// connection is reset once before a call fails (DatabaseError station.db).
//
// Version 3 adds serial leases (serial_lease_server.hpp: table serial_leases, one row per number
// leased to a station or waiting in the pool) and outbox claims (claimed_by, claimed_until): a
// station claims the items it tries with SELECT … FOR UPDATE SKIP LOCKED for a limited time.
//
// Schema versions live in the table espfab_schema (one row); `espfab db migrate` applies the
// missing migrations in one transaction under an advisory lock. A station refuses a DB at an older
// version (run db migrate first: stations of a line must not migrate under each other) and every
// opening refuses a newer one.
#pragma once

#include <mutex>
#include <string>

#include "station/serial_lease_server.hpp"
#include "station/station_db.hpp"

struct pg_conn;

namespace espfab::station {

struct PostgresTarget {
  std::string url;         // postgresql://user@host:port/db?sslmode=verify-full ... (no password in it)
  std::string password;    // from the environment or a 0600 file; never logged
  std::string station_id;  // fixtures are the station's own: "fixture 1" of station A is not B's
};

class PostgresStationDb final : public StationDb, public SerialLeaseServer {
 public:
  // ReadWrite: the schema must be at kStationDbSchemaVersion. ReadOnly: at most that version.
  explicit PostgresStationDb(const PostgresTarget& target, DbAccess access = DbAccess::ReadWrite);
  ~PostgresStationDb() override;
  PostgresStationDb(const PostgresStationDb&) = delete;
  PostgresStationDb& operator=(const PostgresStationDb&) = delete;
  PostgresStationDb(PostgresStationDb&&) = delete;
  PostgresStationDb& operator=(PostgresStationDb&&) = delete;

  // Brings the server's schema to kStationDbSchemaVersion.
  static Migration migrate(const PostgresTarget& target);

  DeviceRow touch_device(const std::string& mac, const std::string& fixture) override;
  std::optional<DeviceRow> find_device(const std::string& mac_or_serial) override;
  std::vector<DeviceRow> devices(const std::string& since_iso = {}) override;
  void set_status(const std::string& mac, const std::string& status, const std::string& reason) override;
  std::optional<DeviceRow> last_on_fixture(const std::string& fixture) override;

  // The pool's lowest number first (numbers a station returned), else the counter's next.
  std::string allocate_serial(const std::string& mac, const SerialScheme& scheme) override;

  std::vector<std::uint64_t> lease_serials(const SerialScheme& scheme, unsigned count) override;
  std::vector<std::uint64_t> leased_serials(const SerialScheme& scheme) override;
  LeasedSerialUse use_leased_serial(const std::string& mac, const SerialScheme& scheme, std::uint64_t number) override;
  void return_serials(const SerialScheme& scheme, const std::vector<std::uint64_t>& numbers) override;

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
  // Records the attempt and ends its claim.
  void outbox_attempt(std::int64_t id, bool done, const std::string& error) override;
  // Claims (FOR UPDATE SKIP LOCKED) pending items nobody holds, or whose claim has lapsed, for
  // this instance until `claim` has passed on the server's clock.
  std::vector<OutboxItem> claim_pending(std::chrono::seconds claim) override;
  bool claim_item(std::int64_t id, std::chrono::seconds claim) override;

  void record_run(const RunRow& row) override;
  std::optional<RunRow> run(const std::string& run_id) override;

  int schema_version();

 private:
  friend class PgTransaction;
  // Refuses a newer schema, and for ReadWrite an older one.
  void check_schema(DbAccess access);
  pg_conn* conn_ = nullptr;
  std::string station_;
  std::string claimant_;  // this instance in outbox claims: station id, process, start time
  std::string where_;     // host:port/db for messages (no user, no password)
  std::recursive_mutex mutex_;
};

// "postgresql://" or "postgres://".
bool is_postgres_url(const std::string& database);

}  // namespace espfab::station
