// The station DB: devices (MAC unique), serial numbers (unique, idempotent per MAC), step results
// with measurements, issued certificates (public part only), eFuse snapshots and the outbox for
// registration and labels. A call returns once its change is durable, so a step's result is
// committed before the next step starts; every fixture worker uses the same instance.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "station/station_profile.hpp"

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

// A certificate withdrawn from its device (the device was rejected after its identity was issued,
// or scrapped); the certificate row is gone, so a reworked device gets a new identity.
struct RevocationRow {
  CertificateRow certificate;
  std::string reason;
  std::string revoked;  // ISO-8601 UTC
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

// One run of a station (espfab run, a rehearsal): who ran what. Every step row names its run, so
// a record says which station, code and profile handled each attempt and which images it flashed.
struct RunRow {
  std::string run_id;
  std::string station_id;
  std::string code_version;
  std::string profile_sha256;
  nlohmann::json images = nlohmann::json::object();  // image name -> SHA-256 (hex) of the bytes flashed
  std::string started;                               // ISO-8601 UTC
};

// The schema this binary knows: a DB at a newer version is refused (an older binary must not write
// a schema it does not know); an older one is migrated (`espfab db migrate`).
// Version 3: serial leases and outbox claims (PostgreSQL; nothing changes in SQLite).
inline constexpr int kStationDbSchemaVersion = 3;

// The station DB interface: SQLite is the embedded default (sqlite_station_db.hpp); a shared
// PostgreSQL for many stations implements the same calls.
class StationDb {  // NOLINT(cppcoreguidelines-special-member-functions): an interface, used by reference
 public:
  virtual ~StationDb() = default;

  // The device row, created as in_progress on first sight.
  virtual DeviceRow touch_device(const std::string& mac, const std::string& fixture) = 0;
  virtual std::optional<DeviceRow> find_device(const std::string& mac_or_serial) = 0;
  virtual std::vector<DeviceRow> devices(const std::string& since_iso = {}) = 0;
  virtual void set_status(const std::string& mac, const std::string& status, const std::string& reason) = 0;
  // The device this fixture port saw last, whatever its status (a chip in Secure Download Mode
  // cannot tell its MAC: a resumed run recognises it by its fixture, and only when no other
  // device has been on that fixture since).
  virtual std::optional<DeviceRow> last_on_fixture(const std::string& fixture) = 0;

  // The serial of this MAC, allocating the next number of the scheme on first call. One
  // transaction: two workers never get the same number, a MAC never gets two.
  virtual std::string allocate_serial(const std::string& mac, const SerialScheme& scheme) = 0;

  virtual void record_step(const StepRow& row) = 0;
  virtual std::vector<StepRow> steps(const std::string& mac) = 0;
  // True when the step's newest result for this MAC is a pass (or skipped as done).
  virtual bool step_done(const std::string& mac, const std::string& step) = 0;

  // One certificate per MAC: a re-issue (the key was lost before injection) replaces the row.
  virtual void store_certificate(const CertificateRow& row) = 0;
  virtual std::optional<CertificateRow> certificate(const std::string& mac) = 0;
  // Moves the MAC's certificate to the revocations in one transaction; nullopt when it has none.
  virtual std::optional<CertificateRow> revoke_certificate(const std::string& mac, const std::string& reason) = 0;
  // A certificate that never reached the certificates table (issued while the station stopped).
  virtual void store_revocation(const CertificateRow& certificate, const std::string& reason) = 0;
  virtual std::vector<RevocationRow> revocations(const std::string& mac) = 0;
  // Every certificate the DB knows of (issued and revoked), for audits.
  virtual std::vector<CertificateRow> all_certificates() = 0;

  virtual void store_efuse_snapshot(const std::string& mac, const std::string& stage,
                                    const nlohmann::json& summary) = 0;
  virtual std::optional<nlohmann::json> efuse_snapshot(const std::string& mac, const std::string& stage) = 0;

  virtual std::int64_t enqueue(const std::string& kind, const std::string& mac, const nlohmann::json& payload) = 0;
  virtual std::vector<OutboxItem> pending(const std::string& kind = {}) = 0;
  virtual std::vector<OutboxItem> outbox(const std::string& mac) = 0;
  virtual void outbox_attempt(std::int64_t id, bool done, const std::string& error) = 0;
  // The pending items this station may try now. A DB shared by stations claims them for this
  // station until `claim` has passed (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED), so two stations
  // never try one item at once and a dead station's claims lapse; outbox_attempt ends a claim. A
  // station's own DB has no one to share with: every pending item.
  virtual std::vector<OutboxItem> claim_pending(std::chrono::seconds /*claim*/) { return pending(); }
  // Claims one item for an attempt; false while another station holds it.
  virtual bool claim_item(std::int64_t /*id*/, std::chrono::seconds /*claim*/) { return true; }

  // Once per run, before its first device; a second call for the same run_id changes nothing.
  virtual void record_run(const RunRow& row) = 0;
  // nullopt for a run the DB does not know (steps written before schema version 2).
  virtual std::optional<RunRow> run(const std::string& run_id) = 0;
};

enum class DbAccess {
  ReadWrite,  // the station: the file (and its directory) are created when missing
  ReadOnly,   // reports: never writes, works on a read-only copy or mount; the file must exist
};

// The embedded default: SQLite at `file`. ReadWrite migrates an older schema to this binary's;
// both refuse a newer one (DatabaseError station.db_schema_newer).
std::unique_ptr<StationDb> open_station_db(const std::filesystem::path& file, DbAccess access = DbAccess::ReadWrite);

struct Migration {
  int from = 0;  // 0: a DB without a version (made before versions, or new)
  int to = 0;
};
// Brings the SQLite DB at `file` (created when missing) to kStationDbSchemaVersion.
Migration migrate_sqlite_station_db(const std::filesystem::path& file);

// "2026-12-02T19:45:01.123Z"
std::string utc_now_iso();

}  // namespace espfab::station
