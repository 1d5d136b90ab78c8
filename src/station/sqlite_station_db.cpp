#include "station/sqlite_station_db.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cctype>
#include <cstring>
#include <iterator>

#include "util/error.hpp"

namespace espfab::station {
namespace {

// Schema version 1 (IF NOT EXISTS: a DB made before versions were counted is version 1 already).
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS devices(
  mac TEXT PRIMARY KEY, serial TEXT UNIQUE, status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
  fixture TEXT NOT NULL DEFAULT '', first_seen TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fixture_last_device(fixture TEXT PRIMARY KEY, mac TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS serial_counter(id INTEGER PRIMARY KEY CHECK (id = 1), next INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS step_results(
  id INTEGER PRIMARY KEY, mac TEXT NOT NULL, run_id TEXT NOT NULL, step TEXT NOT NULL, outcome TEXT NOT NULL,
  started TEXT NOT NULL, seconds REAL NOT NULL, measurements TEXT NOT NULL, error TEXT NOT NULL, details TEXT NOT NULL);
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
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, mac TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  UNIQUE (kind, mac));
)sql";

// Version 2: the runs (station, code version, profile and image hashes of each attempt).
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE IF NOT EXISTS runs(
  run_id TEXT PRIMARY KEY, station_id TEXT NOT NULL, code_version TEXT NOT NULL, profile_sha256 TEXT NOT NULL,
  images TEXT NOT NULL, started TEXT NOT NULL);
)sql";

// Version 3: serial leases and outbox claims, which only a DB shared by stations has (PostgreSQL);
// a station's own file changes nothing but its version.
constexpr const char* kSchemaV3 = "-- nothing for SQLite";

// Migration i brings the schema from version i to i + 1.
constexpr const char* kMigrations[] = {kSchemaV1, kSchemaV2, kSchemaV3};
static_assert(std::size(kMigrations) == kStationDbSchemaVersion);

// One prepared statement; binds by position, steps, finalizes.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&&) = delete;
  Statement& operator=(Statement&&) = delete;
  Statement& bind(int index, const std::string& text) {
    sqlite3_bind_text(stmt_, index, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Statement& bind(int index, double value) {
    sqlite3_bind_double(stmt_, index, value);
    return *this;
  }
  // True while there is a row.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("step");
  }
  void run() {
    while (step()) {
    }
  }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw DatabaseError("station.db", fmt::format("station DB {} failed: {}", what, sqlite3_errmsg(db_)),
                        "check that the disk is writable and that no other program holds the database");
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

DeviceRow device_from(const Statement& s) { return {s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)}; }

OutboxItem outbox_from(const Statement& s) {
  return {s.integer(0), s.text(1),
          s.text(2),    nlohmann::json::parse(s.text(3), nullptr, false),
          s.text(4),    static_cast<unsigned>(s.integer(5)),
          s.text(6)};
}

// "file:/data/station%3F.db?mode=ro": the path percent-encoded as SQLite's URI names want it.
std::string sqlite_uri(const std::filesystem::path& file, const char* query) {
  std::string uri = "file:";
  for (const char c : file.string()) {
    const bool plain = std::isalnum(static_cast<unsigned char>(c)) != 0 || std::strchr("/-._~", c) != nullptr;
    uri += plain ? std::string(1, c) : fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return uri + "?" + query;
}

constexpr const char* kDeviceColumns = "mac, COALESCE(serial, ''), status, reason, fixture, updated";
constexpr const char* kOutboxColumns = "id, kind, mac, payload, state, attempts, last_error";

// One revocation row (the certificate as issued, why, when); a certificate is revoked once.
void insert_revocation(sqlite3* db, const CertificateRow& row, const std::string& reason) {
  Statement(db,
            "INSERT OR IGNORE INTO revocations(certificate_serial, mac, serial, sha256, pem, issued, reason, revoked) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
      .bind(1, row.certificate_serial)
      .bind(2, row.mac)
      .bind(3, row.serial)
      .bind(4, row.sha256)
      .bind(5, row.pem)
      .bind(6, row.issued)
      .bind(7, reason)
      .bind(8, utc_now_iso())
      .run();
}

}  // namespace

std::unique_ptr<StationDb> open_station_db(const std::filesystem::path& file, DbAccess access) {
  return std::make_unique<SqliteStationDb>(file, access);
}

Migration migrate_sqlite_station_db(const std::filesystem::path& file) {
  SqliteStationDb db(file, DbAccess::ReadWrite);
  return db.migration();
}

SqliteStationDb::SqliteStationDb(const std::filesystem::path& file, DbAccess access) : file_(file) {
  // A constructor that throws runs no destructor: the connection is closed here (a newer schema,
  // a failed migration).
  try {
    if (access == DbAccess::ReadOnly) {
      open_read_only();
      return;
    }
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
    open(file.c_str(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec("PRAGMA foreign_keys=ON");
    migrate();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

int SqliteStationDb::read_version() {
  Statement s(db_, "PRAGMA user_version");
  s.step();
  const auto version = static_cast<int>(s.integer(0));
  if (version > kStationDbSchemaVersion) {
    throw DatabaseError("station.db_schema_newer",
                        fmt::format("the station DB {} has schema version {}; this espfab knows versions up to {}",
                                    file_.string(), version, kStationDbSchemaVersion),
                        "a newer espfab migrated it: use that version (or newer) here too; never downgrade a "
                        "station DB");
  }
  return version;
}

void SqliteStationDb::migrate() {
  std::lock_guard lock(mutex_);
  exec("BEGIN IMMEDIATE");
  try {
    migration_.from = read_version();
    for (int version = migration_.from; version < kStationDbSchemaVersion; ++version) {
      exec(kMigrations[version]);  // NOLINT(cppcoreguidelines-pro-bounds-constant-array-index): bounded above
    }
    exec(fmt::format("PRAGMA user_version = {}", kStationDbSchemaVersion).c_str());
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
  migration_.to = kStationDbSchemaVersion;
  version_ = kStationDbSchemaVersion;
}

void SqliteStationDb::open(const char* name, int flags) {
  if (sqlite3_open_v2(name, &db_, flags, nullptr) != SQLITE_OK) {
    const std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw DatabaseError("station.db_open", fmt::format("cannot open the station DB {}: {}", file_.string(), reason),
                        "check the path and its permissions ([station] data_dir in the profile)");
  }
  sqlite3_busy_timeout(db_, 10000);
}

// A WAL database is read through its -shm file. When a station has it open, that file exists and
// mode=ro reads it; when nobody has it open and the directory is read-only (an archive, a read-only
// mount), SQLite cannot create it and the file is opened as immutable: nobody can be writing it.
void SqliteStationDb::open_read_only() {
  const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX;
  open(sqlite_uri(file_, "mode=ro").c_str(), flags);
  if (sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) == SQLITE_OK) {
    version_ = read_version();
    migration_ = {version_, version_};
    return;
  }
  sqlite3_close(db_);
  db_ = nullptr;
  open(sqlite_uri(file_, "immutable=1").c_str(), flags);
  char* message = nullptr;
  if (sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, &message) == SQLITE_OK) {
    version_ = read_version();
    migration_ = {version_, version_};
    return;
  }
  const std::string reason = message ? message : sqlite3_errmsg(db_);
  sqlite3_free(message);
  sqlite3_close(db_);
  db_ = nullptr;
  throw DatabaseError("station.db_open", fmt::format("cannot read the station DB {}: {}", file_.string(), reason),
                      "check that the file is a station DB and readable");
}
SqliteStationDb::~SqliteStationDb() { sqlite3_close(db_); }

void SqliteStationDb::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string reason = message ? message : "unknown";
    sqlite3_free(message);
    throw DatabaseError("station.db", fmt::format("station DB {}: {}", file_.string(), reason),
                        "check that the disk is writable and the file is a station DB");
  }
}

DeviceRow SqliteStationDb::touch_device(const std::string& mac, const std::string& fixture) {
  std::lock_guard lock(mutex_);
  const std::string now = utc_now_iso();
  Statement(db_,
            "INSERT INTO devices(mac, status, fixture, first_seen, updated) VALUES (?1, 'in_progress', ?2, ?3, ?3) "
            "ON CONFLICT(mac) DO UPDATE SET fixture = ?2, updated = ?3")
      .bind(1, mac)
      .bind(2, fixture)
      .bind(3, now)
      .run();
  Statement(db_,
            "INSERT INTO fixture_last_device(fixture, mac) VALUES (?1, ?2) ON CONFLICT(fixture) DO UPDATE SET mac = ?2")
      .bind(1, fixture)
      .bind(2, mac)
      .run();
  return *find_device(mac);
}

std::optional<DeviceRow> SqliteStationDb::find_device(const std::string& mac_or_serial) {
  std::lock_guard lock(mutex_);
  Statement s(db_, fmt::format("SELECT {} FROM devices WHERE mac = ?1 OR serial = ?1", kDeviceColumns).c_str());
  s.bind(1, mac_or_serial);
  if (!s.step()) return std::nullopt;
  return device_from(s);
}

std::vector<DeviceRow> SqliteStationDb::devices(const std::string& since_iso) {
  std::lock_guard lock(mutex_);
  Statement s(
      db_,
      fmt::format("SELECT {} FROM devices WHERE updated >= ?1 ORDER BY COALESCE(serial, mac)", kDeviceColumns).c_str());
  s.bind(1, since_iso);
  std::vector<DeviceRow> out;
  while (s.step()) out.push_back(device_from(s));
  return out;
}

std::optional<DeviceRow> SqliteStationDb::last_on_fixture(const std::string& fixture) {
  std::lock_guard lock(mutex_);
  Statement s(db_,
              fmt::format("SELECT {} FROM devices WHERE mac = (SELECT mac FROM fixture_last_device WHERE fixture = ?1)",
                          kDeviceColumns)
                  .c_str());
  s.bind(1, fixture);
  if (!s.step()) return std::nullopt;
  return device_from(s);
}

void SqliteStationDb::set_status(const std::string& mac, const std::string& status, const std::string& reason) {
  std::lock_guard lock(mutex_);
  Statement(db_, "UPDATE devices SET status = ?2, reason = ?3, updated = ?4 WHERE mac = ?1")
      .bind(1, mac)
      .bind(2, status)
      .bind(3, reason)
      .bind(4, utc_now_iso())
      .run();
}

std::string SqliteStationDb::allocate_serial(const std::string& mac, const SerialScheme& scheme) {
  std::lock_guard lock(mutex_);
  exec("BEGIN IMMEDIATE");
  try {
    Statement existing(db_, "SELECT COALESCE(serial, '') FROM devices WHERE mac = ?1");
    existing.bind(1, mac);
    if (!existing.step()) {
      throw InternalError("station.db_no_device", "allocate_serial for a device the DB has not seen: " + mac);
    }
    std::string serial = existing.text(0);
    if (serial.empty()) {
      Statement(db_, "INSERT OR IGNORE INTO serial_counter(id, next) VALUES (1, ?1)")
          .bind(1, static_cast<std::int64_t>(scheme.first))
          .run();
      Statement next(db_, "SELECT next FROM serial_counter WHERE id = 1");
      next.step();
      const auto number = static_cast<std::uint64_t>(next.integer(0));
      serial = format_serial(scheme, number);
      Statement(db_, "UPDATE serial_counter SET next = next + 1 WHERE id = 1").run();
      Statement(db_, "UPDATE devices SET serial = ?2, updated = ?3 WHERE mac = ?1")
          .bind(1, mac)
          .bind(2, serial)
          .bind(3, utc_now_iso())
          .run();
    }
    exec("COMMIT");
    return serial;
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

void SqliteStationDb::record_step(const StepRow& row) {
  std::lock_guard lock(mutex_);
  Statement(db_,
            "INSERT INTO step_results(mac, run_id, step, outcome, started, seconds, measurements, error, details) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
      .bind(1, row.mac)
      .bind(2, row.run_id)
      .bind(3, row.step)
      .bind(4, row.outcome)
      .bind(5, row.started)
      .bind(6, row.seconds)
      .bind(7, row.measurements.dump())
      .bind(8, row.error)
      .bind(9, row.details.dump())
      .run();
}

std::vector<StepRow> SqliteStationDb::steps(const std::string& mac) {
  std::lock_guard lock(mutex_);
  Statement s(db_,
              "SELECT mac, run_id, step, outcome, started, seconds, measurements, error, details FROM step_results "
              "WHERE mac = ?1 ORDER BY id");
  s.bind(1, mac);
  std::vector<StepRow> out;
  while (s.step()) {
    out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.real(5),
                   nlohmann::json::parse(s.text(6), nullptr, false), s.text(7),
                   nlohmann::json::parse(s.text(8), nullptr, false)});
  }
  return out;
}

bool SqliteStationDb::step_done(const std::string& mac, const std::string& step) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT outcome FROM step_results WHERE mac = ?1 AND step = ?2 ORDER BY id DESC LIMIT 1");
  s.bind(1, mac).bind(2, step);
  if (!s.step()) return false;
  const std::string outcome = s.text(0);
  return outcome == "pass" || outcome == "skipped";
}

void SqliteStationDb::store_certificate(const CertificateRow& row) {
  std::lock_guard lock(mutex_);
  Statement(
      db_,
      "INSERT INTO certificates(mac, serial, certificate_serial, sha256, pem, issued) VALUES (?1, ?2, ?3, ?4, ?5, "
      "?6) ON CONFLICT(mac) DO UPDATE SET serial = ?2, certificate_serial = ?3, sha256 = ?4, pem = ?5, issued = ?6")
      .bind(1, row.mac)
      .bind(2, row.serial)
      .bind(3, row.certificate_serial)
      .bind(4, row.sha256)
      .bind(5, row.pem)
      .bind(6, row.issued)
      .run();
}

std::optional<CertificateRow> SqliteStationDb::certificate(const std::string& mac) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT mac, serial, certificate_serial, sha256, pem, issued FROM certificates WHERE mac = ?1");
  s.bind(1, mac);
  if (!s.step()) return std::nullopt;
  return CertificateRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)};
}

std::optional<CertificateRow> SqliteStationDb::revoke_certificate(const std::string& mac, const std::string& reason) {
  std::lock_guard lock(mutex_);
  exec("BEGIN IMMEDIATE");
  try {
    Statement s(db_, "SELECT mac, serial, certificate_serial, sha256, pem, issued FROM certificates WHERE mac = ?1");
    s.bind(1, mac);
    if (!s.step()) {
      exec("COMMIT");
      return std::nullopt;
    }
    CertificateRow row{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)};
    insert_revocation(db_, row, reason);
    Statement(db_, "DELETE FROM certificates WHERE mac = ?1").bind(1, mac).run();
    exec("COMMIT");
    return row;
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

void SqliteStationDb::store_revocation(const CertificateRow& row, const std::string& reason) {
  std::lock_guard lock(mutex_);
  insert_revocation(db_, row, reason);
}

std::vector<CertificateRow> SqliteStationDb::all_certificates() {
  std::lock_guard lock(mutex_);
  std::vector<CertificateRow> out;
  Statement s(db_,
              "SELECT mac, serial, certificate_serial, sha256, pem, issued FROM certificates UNION ALL "
              "SELECT mac, serial, certificate_serial, sha256, pem, issued FROM revocations");
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)});
  return out;
}

std::vector<RevocationRow> SqliteStationDb::revocations(const std::string& mac) {
  std::lock_guard lock(mutex_);
  Statement s(db_,
              "SELECT mac, serial, certificate_serial, sha256, pem, issued, reason, revoked FROM revocations "
              "WHERE mac = ?1 ORDER BY revoked");
  s.bind(1, mac);
  std::vector<RevocationRow> out;
  while (s.step()) {
    out.push_back({{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)}, s.text(6), s.text(7)});
  }
  return out;
}

void SqliteStationDb::store_efuse_snapshot(const std::string& mac, const std::string& stage,
                                           const nlohmann::json& summary) {
  std::lock_guard lock(mutex_);
  Statement(db_,
            "INSERT INTO efuse_snapshots(mac, stage, taken, summary) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT(mac, stage) DO UPDATE SET taken = ?3, summary = ?4")
      .bind(1, mac)
      .bind(2, stage)
      .bind(3, utc_now_iso())
      .bind(4, summary.dump())
      .run();
}

std::optional<nlohmann::json> SqliteStationDb::efuse_snapshot(const std::string& mac, const std::string& stage) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT summary FROM efuse_snapshots WHERE mac = ?1 AND stage = ?2");
  s.bind(1, mac).bind(2, stage);
  if (!s.step()) return std::nullopt;
  return nlohmann::json::parse(s.text(0), nullptr, false);
}

std::int64_t SqliteStationDb::enqueue(const std::string& kind, const std::string& mac, const nlohmann::json& payload) {
  std::lock_guard lock(mutex_);
  Statement(db_,
            "INSERT INTO outbox(kind, mac, payload, state, created) VALUES (?1, ?2, ?3, 'pending', ?4) "
            "ON CONFLICT(kind, mac) DO NOTHING")
      .bind(1, kind)
      .bind(2, mac)
      .bind(3, payload.dump())
      .bind(4, utc_now_iso())
      .run();
  Statement s(db_, "SELECT id FROM outbox WHERE kind = ?1 AND mac = ?2");
  s.bind(1, kind).bind(2, mac);
  s.step();
  return s.integer(0);
}

std::vector<OutboxItem> SqliteStationDb::pending(const std::string& kind) {
  std::lock_guard lock(mutex_);
  Statement s(db_, fmt::format("SELECT {} FROM outbox WHERE state = 'pending' AND (?1 = '' OR kind = ?1) ORDER BY id",
                               kOutboxColumns)
                       .c_str());
  s.bind(1, kind);
  std::vector<OutboxItem> out;
  while (s.step()) out.push_back(outbox_from(s));
  return out;
}

std::vector<OutboxItem> SqliteStationDb::outbox(const std::string& mac) {
  std::lock_guard lock(mutex_);
  Statement s(db_, fmt::format("SELECT {} FROM outbox WHERE mac = ?1 ORDER BY id", kOutboxColumns).c_str());
  s.bind(1, mac);
  std::vector<OutboxItem> out;
  while (s.step()) out.push_back(outbox_from(s));
  return out;
}

void SqliteStationDb::outbox_attempt(std::int64_t id, bool done, const std::string& error) {
  std::lock_guard lock(mutex_);
  Statement(db_, "UPDATE outbox SET attempts = attempts + 1, state = ?2, last_error = ?3 WHERE id = ?1")
      .bind(1, id)
      .bind(2, std::string(done ? "done" : "pending"))
      .bind(3, error)
      .run();
}

void SqliteStationDb::record_run(const RunRow& row) {
  std::lock_guard lock(mutex_);
  Statement(db_,
            "INSERT INTO runs(run_id, station_id, code_version, profile_sha256, images, started) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(run_id) DO NOTHING")
      .bind(1, row.run_id)
      .bind(2, row.station_id)
      .bind(3, row.code_version)
      .bind(4, row.profile_sha256)
      .bind(5, row.images.dump())
      .bind(6, row.started)
      .run();
}

std::optional<RunRow> SqliteStationDb::run(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  if (version_ < 2) return std::nullopt;  // read-only, before the runs were recorded
  Statement s(db_,
              "SELECT run_id, station_id, code_version, profile_sha256, images, started FROM runs WHERE run_id = ?1");
  s.bind(1, run_id);
  if (!s.step()) return std::nullopt;
  return RunRow{s.text(0), s.text(1), s.text(2), s.text(3), nlohmann::json::parse(s.text(4), nullptr, false),
                s.text(5)};
}

}  // namespace espfab::station
