#include "station/postgres_station_db.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <iterator>
#include <memory>

#include "station/postgres_transaction.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS devices(
  mac TEXT PRIMARY KEY, serial TEXT UNIQUE, status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
  fixture TEXT NOT NULL DEFAULT '', station TEXT NOT NULL DEFAULT '', first_seen TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fixture_last_device(station TEXT NOT NULL, fixture TEXT NOT NULL, mac TEXT NOT NULL,
  PRIMARY KEY (station, fixture));
CREATE TABLE IF NOT EXISTS serial_counter(prefix TEXT PRIMARY KEY, next BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS step_results(
  id BIGSERIAL PRIMARY KEY, mac TEXT NOT NULL, run_id TEXT NOT NULL, step TEXT NOT NULL, outcome TEXT NOT NULL,
  started TEXT NOT NULL, seconds DOUBLE PRECISION NOT NULL, measurements TEXT NOT NULL, error TEXT NOT NULL,
  details TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS step_results_mac ON step_results(mac, step);
CREATE TABLE IF NOT EXISTS certificates(
  mac TEXT PRIMARY KEY, serial TEXT NOT NULL, certificate_serial TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL,
  pem TEXT NOT NULL, issued TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revocations(
  certificate_serial TEXT PRIMARY KEY, mac TEXT NOT NULL, serial TEXT NOT NULL, sha256 TEXT NOT NULL,
  pem TEXT NOT NULL, issued TEXT NOT NULL, reason TEXT NOT NULL, revoked TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS efuse_snapshots(
  mac TEXT NOT NULL, stage TEXT NOT NULL, taken TEXT NOT NULL, summary TEXT NOT NULL, PRIMARY KEY (mac, stage));
CREATE TABLE IF NOT EXISTS outbox(
  id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, mac TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  UNIQUE (kind, mac));
)sql";

constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE IF NOT EXISTS runs(
  run_id TEXT PRIMARY KEY, station_id TEXT NOT NULL, code_version TEXT NOT NULL, profile_sha256 TEXT NOT NULL,
  images TEXT NOT NULL, started TEXT NOT NULL);
)sql";

// Version 3 (issue 19): serial leases — one row per number a station holds ('leased', its station)
// or one returned for anybody's next allocation ('pool'); a number leaves the table in the
// transaction that makes it a device's serial — and outbox claims (who tries an item, until when).
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE IF NOT EXISTS serial_leases(
  prefix TEXT NOT NULL, number BIGINT NOT NULL, state TEXT NOT NULL CHECK (state IN ('leased', 'pool')),
  station TEXT NOT NULL DEFAULT '', since TEXT NOT NULL, PRIMARY KEY (prefix, number));
CREATE INDEX IF NOT EXISTS serial_leases_holder ON serial_leases(prefix, state, station, number);
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claimed_until TIMESTAMPTZ;
CREATE INDEX IF NOT EXISTS outbox_state ON outbox(state, id);
)sql";

constexpr const char* kMigrations[] = {kSchemaV1, kSchemaV2, kSchemaV3};
static_assert(std::size(kMigrations) == kStationDbSchemaVersion);

// pg_advisory_xact_lock key of `espfab db migrate`: two migrations never run at once.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7365736601)";

constexpr const char* kDeviceColumns = "mac, COALESCE(serial, ''), status, reason, fixture, updated";
constexpr const char* kCertificateColumns = "mac, serial, certificate_serial, sha256, pem, issued";

DeviceRow device_from(const PgResult& r, int row) {
  return {r.text(row, 0), r.text(row, 1), r.text(row, 2), r.text(row, 3), r.text(row, 4), r.text(row, 5)};
}

CertificateRow certificate_from(const PgResult& r, int row) {
  return {r.text(row, 0), r.text(row, 1), r.text(row, 2), r.text(row, 3), r.text(row, 4), r.text(row, 5)};
}

// host:port/dbname of the connection, for messages.
std::string describe(pg_conn* conn) {
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  const char* db = PQdb(conn);
  return fmt::format("postgresql://{}:{}/{}", host ? host : "?", port ? port : "?", db ? db : "?");
}

pg_conn* connect(const PostgresTarget& target) {
  const std::array<const char*, 4> keywords{"dbname", target.password.empty() ? nullptr : "password", nullptr, nullptr};
  const std::array<const char*, 4> values{target.url.c_str(), target.password.c_str(), nullptr, nullptr};
  pg_conn* conn = PQconnectdbParams(keywords.data(), values.data(), 1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    const std::string reason = conn != nullptr ? pg_message(conn) : "out of memory";
    PQfinish(conn);
    throw DatabaseError("station.db_open", fmt::format("cannot connect to the station DB server: {}", reason),
                        "check [station] database (host, port, database, user, sslmode) and the password "
                        "(database_password_env or database_password_file); docs/stations.md");
  }
  // The server's notices ("relation already exists, skipping") are not errors: never printed.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return conn;
}

}  // namespace

bool is_postgres_url(const std::string& database) {
  return database.rfind("postgresql://", 0) == 0 || database.rfind("postgres://", 0) == 0;
}

PostgresStationDb::PostgresStationDb(const PostgresTarget& target, DbAccess access)
    : conn_(connect(target)), station_(target.station_id) {
  where_ = describe(conn_);
  // Unique per instance: a restarted station waits for its dead predecessor's claims to lapse too.
  const auto started = std::chrono::system_clock::now().time_since_epoch();
  claimant_ = fmt::format("{}/{}/{}", station_, ::getpid(),
                          std::chrono::duration_cast<std::chrono::microseconds>(started).count());
  try {
    check_schema(access);
  } catch (...) {  // a constructor that throws runs no destructor
    PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
}

void PostgresStationDb::check_schema(DbAccess access) {
  const int version = schema_version();
  if (version > kStationDbSchemaVersion) {
    throw DatabaseError("station.db_schema_newer",
                        fmt::format("the station DB {} has schema version {}; this espfab knows versions up to {}",
                                    where_, version, kStationDbSchemaVersion),
                        "a newer espfab migrated it: update this station's espfab; never downgrade a station DB");
  }
  if (access == DbAccess::ReadWrite && version < kStationDbSchemaVersion) {
    throw DatabaseError("station.db_schema_old",
                        fmt::format("the station DB {} has schema version {}; this espfab needs {}", where_, version,
                                    kStationDbSchemaVersion),
                        "run `espfab db migrate --profile P` once for the line, then start the stations");
  }
}

PostgresStationDb::~PostgresStationDb() { PQfinish(conn_); }

int PostgresStationDb::schema_version() {
  PgTransaction t(*this);
  const auto exists = t.run("SELECT to_regclass('espfab_schema') IS NOT NULL");
  if (exists.text(0, 0) != "t") return 0;
  const auto r = t.run("SELECT version FROM espfab_schema WHERE id = 1");
  return r.rows() == 0 ? 0 : static_cast<int>(r.integer(0, 0));
}

Migration PostgresStationDb::migrate(const PostgresTarget& target) {
  pg_conn* conn = connect(target);
  const std::unique_ptr<pg_conn, void (*)(pg_conn*)> owner(conn, PQfinish);
  const auto where = describe(conn);
  const auto exec = [&](const std::string& sql) {
    PgResult result(PQexec(conn, sql.c_str()));
    if (!result.ok()) {
      const auto reason = pg_message(conn);
      PQclear(PQexec(conn, "ROLLBACK"));
      pg_fail(where, "migration", reason);
    }
    return result;
  };
  exec("BEGIN");
  exec(kMigrationLock);
  exec("CREATE TABLE IF NOT EXISTS espfab_schema(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)");
  const auto current = exec("SELECT version FROM espfab_schema WHERE id = 1");
  Migration migration;
  migration.from = current.rows() == 0 ? 0 : static_cast<int>(current.integer(0, 0));
  if (migration.from > kStationDbSchemaVersion) {
    exec("ROLLBACK");
    throw DatabaseError("station.db_schema_newer",
                        fmt::format("the station DB {} has schema version {}; this espfab knows versions up to {}",
                                    where, migration.from, kStationDbSchemaVersion),
                        "a newer espfab migrated it: update this espfab; never downgrade a station DB");
  }
  for (int version = migration.from; version < kStationDbSchemaVersion; ++version) {
    exec(kMigrations[version]);  // NOLINT(cppcoreguidelines-pro-bounds-constant-array-index): bounded above
  }
  exec(
      fmt::format("INSERT INTO espfab_schema(id, version) VALUES (1, {0}) ON CONFLICT (id) DO UPDATE SET version = {0}",
                  kStationDbSchemaVersion));
  exec("COMMIT");
  migration.to = kStationDbSchemaVersion;
  return migration;
}

DeviceRow PostgresStationDb::touch_device(const std::string& mac, const std::string& fixture) {
  PgTransaction t(*this, true);
  const auto now = utc_now_iso();
  t.run(
      "INSERT INTO devices(mac, status, fixture, first_seen, updated) VALUES ($1, 'in_progress', $2, $3, $3) "
      "ON CONFLICT (mac) DO UPDATE SET fixture = $2, updated = $3",
      {mac, fixture, now});
  t.run(
      "INSERT INTO fixture_last_device(station, fixture, mac) VALUES ($1, $2, $3) "
      "ON CONFLICT (station, fixture) DO UPDATE SET mac = $3",
      {station_, fixture, mac});
  t.run("UPDATE devices SET station = $2 WHERE mac = $1", {mac, station_});
  const auto r = t.run(fmt::format("SELECT {} FROM devices WHERE mac = $1", kDeviceColumns).c_str(), {mac});
  t.commit();
  return device_from(r, 0);
}

std::optional<DeviceRow> PostgresStationDb::find_device(const std::string& mac_or_serial) {
  PgTransaction t(*this);
  const auto r = t.run(fmt::format("SELECT {} FROM devices WHERE mac = $1 OR serial = $1", kDeviceColumns).c_str(),
                       {mac_or_serial});
  if (r.rows() == 0) return std::nullopt;
  return device_from(r, 0);
}

std::vector<DeviceRow> PostgresStationDb::devices(const std::string& since_iso) {
  PgTransaction t(*this);
  const auto r = t.run(
      fmt::format("SELECT {} FROM devices WHERE updated >= $1 ORDER BY COALESCE(serial, mac)", kDeviceColumns).c_str(),
      {since_iso});
  std::vector<DeviceRow> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(device_from(r, i));
  return out;
}

void PostgresStationDb::set_status(const std::string& mac, const std::string& status, const std::string& reason) {
  PgTransaction t(*this);
  t.run("UPDATE devices SET status = $2, reason = $3, updated = $4 WHERE mac = $1",
        {mac, status, reason, utc_now_iso()});
}

std::optional<DeviceRow> PostgresStationDb::last_on_fixture(const std::string& fixture) {
  PgTransaction t(*this);
  const auto r = t.run(fmt::format("SELECT {} FROM devices WHERE mac = (SELECT mac FROM fixture_last_device WHERE "
                                   "station = $1 AND fixture = $2)",
                                   kDeviceColumns)
                           .c_str(),
                       {station_, fixture});
  if (r.rows() == 0) return std::nullopt;
  return device_from(r, 0);
}

void PostgresStationDb::record_step(const StepRow& row) {
  PgTransaction t(*this);
  t.run(
      "INSERT INTO step_results(mac, run_id, step, outcome, started, seconds, measurements, error, details) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {row.mac, row.run_id, row.step, row.outcome, row.started, fmt::format("{}", row.seconds), row.measurements.dump(),
       row.error, row.details.dump()});
}

std::vector<StepRow> PostgresStationDb::steps(const std::string& mac) {
  PgTransaction t(*this);
  const auto r = t.run(
      "SELECT mac, run_id, step, outcome, started, seconds, measurements, error, details FROM step_results "
      "WHERE mac = $1 ORDER BY id",
      {mac});
  std::vector<StepRow> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.real(i, 5),
                   nlohmann::json::parse(r.text(i, 6), nullptr, false), r.text(i, 7),
                   nlohmann::json::parse(r.text(i, 8), nullptr, false)});
  }
  return out;
}

bool PostgresStationDb::step_done(const std::string& mac, const std::string& step) {
  PgTransaction t(*this);
  const auto r =
      t.run("SELECT outcome FROM step_results WHERE mac = $1 AND step = $2 ORDER BY id DESC LIMIT 1", {mac, step});
  return r.rows() > 0 && (r.text(0, 0) == "pass" || r.text(0, 0) == "skipped");
}

void PostgresStationDb::store_certificate(const CertificateRow& row) {
  PgTransaction t(*this);
  t.run(
      "INSERT INTO certificates(mac, serial, certificate_serial, sha256, pem, issued) VALUES ($1, $2, $3, $4, $5, "
      "$6) ON CONFLICT (mac) DO UPDATE SET serial = $2, certificate_serial = $3, sha256 = $4, pem = $5, issued = $6",
      {row.mac, row.serial, row.certificate_serial, row.sha256, row.pem, row.issued});
}

std::optional<CertificateRow> PostgresStationDb::certificate(const std::string& mac) {
  PgTransaction t(*this);
  const auto r = t.run(fmt::format("SELECT {} FROM certificates WHERE mac = $1", kCertificateColumns).c_str(), {mac});
  if (r.rows() == 0) return std::nullopt;
  return certificate_from(r, 0);
}

namespace {
void insert_revocation(PgTransaction& t, const CertificateRow& row, const std::string& reason) {
  t.run(
      "INSERT INTO revocations(certificate_serial, mac, serial, sha256, pem, issued, reason, revoked) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (certificate_serial) DO NOTHING",
      {row.certificate_serial, row.mac, row.serial, row.sha256, row.pem, row.issued, reason, utc_now_iso()});
}
}  // namespace

std::optional<CertificateRow> PostgresStationDb::revoke_certificate(const std::string& mac, const std::string& reason) {
  PgTransaction t(*this, true);
  const auto r =
      t.run(fmt::format("SELECT {} FROM certificates WHERE mac = $1 FOR UPDATE", kCertificateColumns).c_str(), {mac});
  if (r.rows() == 0) {
    t.commit();
    return std::nullopt;
  }
  const auto row = certificate_from(r, 0);
  insert_revocation(t, row, reason);
  t.run("DELETE FROM certificates WHERE mac = $1", {mac});
  t.commit();
  return row;
}

void PostgresStationDb::store_revocation(const CertificateRow& certificate, const std::string& reason) {
  PgTransaction t(*this);
  insert_revocation(t, certificate, reason);
}

std::vector<RevocationRow> PostgresStationDb::revocations(const std::string& mac) {
  PgTransaction t(*this);
  const auto r = t.run(
      "SELECT mac, serial, certificate_serial, sha256, pem, issued, reason, revoked FROM revocations WHERE mac = $1 "
      "ORDER BY revoked",
      {mac});
  std::vector<RevocationRow> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back({certificate_from(r, i), r.text(i, 6), r.text(i, 7)});
  return out;
}

std::vector<CertificateRow> PostgresStationDb::all_certificates() {
  PgTransaction t(*this);
  const auto r = t.run(
      fmt::format("SELECT {0} FROM certificates UNION ALL SELECT {0} FROM revocations", kCertificateColumns).c_str());
  std::vector<CertificateRow> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(certificate_from(r, i));
  return out;
}

void PostgresStationDb::store_efuse_snapshot(const std::string& mac, const std::string& stage,
                                             const nlohmann::json& summary) {
  PgTransaction t(*this);
  t.run(
      "INSERT INTO efuse_snapshots(mac, stage, taken, summary) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (mac, stage) DO UPDATE SET taken = $3, summary = $4",
      {mac, stage, utc_now_iso(), summary.dump()});
}

std::optional<nlohmann::json> PostgresStationDb::efuse_snapshot(const std::string& mac, const std::string& stage) {
  PgTransaction t(*this);
  const auto r = t.run("SELECT summary FROM efuse_snapshots WHERE mac = $1 AND stage = $2", {mac, stage});
  if (r.rows() == 0) return std::nullopt;
  return nlohmann::json::parse(r.text(0, 0), nullptr, false);
}

void PostgresStationDb::record_run(const RunRow& row) {
  PgTransaction t(*this);
  t.run(
      "INSERT INTO runs(run_id, station_id, code_version, profile_sha256, images, started) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id) DO NOTHING",
      {row.run_id, row.station_id, row.code_version, row.profile_sha256, row.images.dump(), row.started});
}

std::optional<RunRow> PostgresStationDb::run(const std::string& run_id) {
  PgTransaction t(*this);
  const auto r = t.run(
      "SELECT run_id, station_id, code_version, profile_sha256, images, started FROM runs WHERE run_id = $1", {run_id});
  if (r.rows() == 0) return std::nullopt;
  return RunRow{
      r.text(0, 0), r.text(0, 1), r.text(0, 2), r.text(0, 3), nlohmann::json::parse(r.text(0, 4), nullptr, false),
      r.text(0, 5)};
}

}  // namespace espfab::station
