// An in-memory StationDb with the SQLite implementation's semantics (devices by MAC, a serial
// counter, newest step result wins, one certificate per MAC, snapshots per stage, an outbox with
// one item per kind and MAC). Every call is recorded by name; `fail_on` makes a call throw a
// DatabaseError (station.db_fake) as a full disk or a locked DB would.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "station/station_db.hpp"

namespace espfab::test {

class FakeStationDb final : public station::StationDb {
 public:
  // Calls by name ("record_step", "allocate_serial", ...), in order.
  std::vector<std::string> calls() const;
  // The named call throws DatabaseError from now on (until `heal`), after `after` more successes.
  void fail_on(const std::string& call, unsigned after = 0);
  void heal(const std::string& call);

  station::DeviceRow touch_device(const std::string& mac, const std::string& fixture) override;
  std::optional<station::DeviceRow> find_device(const std::string& mac_or_serial) override;
  std::vector<station::DeviceRow> devices(const std::string& since_iso = {}) override;
  void set_status(const std::string& mac, const std::string& status, const std::string& reason) override;
  std::optional<station::DeviceRow> last_on_fixture(const std::string& fixture) override;
  std::string allocate_serial(const std::string& mac, const station::SerialScheme& scheme) override;
  void record_step(const station::StepRow& row) override;
  std::vector<station::StepRow> steps(const std::string& mac) override;
  bool step_done(const std::string& mac, const std::string& step) override;
  void store_certificate(const station::CertificateRow& row) override;
  std::optional<station::CertificateRow> certificate(const std::string& mac) override;
  std::optional<station::CertificateRow> revoke_certificate(const std::string& mac, const std::string& reason) override;
  void store_revocation(const station::CertificateRow& certificate, const std::string& reason) override;
  std::vector<station::RevocationRow> revocations(const std::string& mac) override;
  std::vector<station::CertificateRow> all_certificates() override;
  void store_efuse_snapshot(const std::string& mac, const std::string& stage, const nlohmann::json& summary) override;
  std::optional<nlohmann::json> efuse_snapshot(const std::string& mac, const std::string& stage) override;
  std::int64_t enqueue(const std::string& kind, const std::string& mac, const nlohmann::json& payload) override;
  std::vector<station::OutboxItem> pending(const std::string& kind = {}) override;
  std::vector<station::OutboxItem> outbox(const std::string& mac) override;
  void outbox_attempt(std::int64_t id, bool done, const std::string& error) override;
  void record_run(const station::RunRow& row) override;
  std::optional<station::RunRow> run(const std::string& run_id) override;

 private:
  void enter(const char* call);  // records the call; throws when it is set to fail

  mutable std::recursive_mutex mutex_;
  std::vector<std::string> calls_;
  std::map<std::string, unsigned> failing_;  // call -> successes left before it fails
  std::map<std::string, station::DeviceRow> devices_;
  std::map<std::string, std::string> last_on_fixture_;
  std::uint64_t next_serial_ = 0;
  bool serial_started_ = false;
  std::vector<station::StepRow> steps_;
  std::map<std::string, station::CertificateRow> certificates_;
  std::vector<station::RevocationRow> revocations_;
  std::map<std::pair<std::string, std::string>, nlohmann::json> snapshots_;
  std::vector<station::OutboxItem> outbox_;
  std::map<std::string, station::RunRow> runs_;
};

}  // namespace espfab::test
