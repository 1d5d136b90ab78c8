#include "support/station/fake_station_db.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace espfab::test {

using station::CertificateRow;
using station::DeviceRow;
using station::OutboxItem;
using station::RevocationRow;
using station::StepRow;

std::vector<std::string> FakeStationDb::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

void FakeStationDb::fail_on(const std::string& call, unsigned after) {
  std::lock_guard lock(mutex_);
  failing_[call] = after;
}

void FakeStationDb::heal(const std::string& call) {
  std::lock_guard lock(mutex_);
  failing_.erase(call);
}

void FakeStationDb::enter(const char* call) {
  calls_.emplace_back(call);
  const auto it = failing_.find(call);
  if (it == failing_.end()) return;
  if (it->second > 0) {
    --it->second;
    return;
  }
  throw DatabaseError("station.db_fake", std::string("database or disk is full (fake, in ") + call + ")",
                      "free space on the station's data disk");
}

DeviceRow FakeStationDb::touch_device(const std::string& mac, const std::string& fixture) {
  std::lock_guard lock(mutex_);
  enter("touch_device");
  auto [it, created] = devices_.try_emplace(mac);
  if (created) {
    it->second.mac = mac;
    it->second.status = "in_progress";
  }
  it->second.fixture = fixture;
  it->second.updated = station::utc_now_iso();
  last_on_fixture_[fixture] = mac;
  return it->second;
}

std::optional<DeviceRow> FakeStationDb::find_device(const std::string& mac_or_serial) {
  std::lock_guard lock(mutex_);
  enter("find_device");
  for (const auto& [mac, row] : devices_) {
    if (mac == mac_or_serial || (!row.serial.empty() && row.serial == mac_or_serial)) return row;
  }
  return std::nullopt;
}

std::vector<DeviceRow> FakeStationDb::devices(const std::string& since_iso) {
  std::lock_guard lock(mutex_);
  enter("devices");
  std::vector<DeviceRow> out;
  for (const auto& [mac, row] : devices_) {
    if (row.updated >= since_iso) out.push_back(row);
  }
  std::sort(out.begin(), out.end(), [](const DeviceRow& a, const DeviceRow& b) {
    return (a.serial.empty() ? a.mac : a.serial) < (b.serial.empty() ? b.mac : b.serial);
  });
  return out;
}

void FakeStationDb::set_status(const std::string& mac, const std::string& status, const std::string& reason) {
  std::lock_guard lock(mutex_);
  enter("set_status");
  const auto it = devices_.find(mac);
  if (it == devices_.end()) return;
  it->second.status = status;
  it->second.reason = reason;
  it->second.updated = station::utc_now_iso();
}

std::optional<DeviceRow> FakeStationDb::last_on_fixture(const std::string& fixture) {
  std::lock_guard lock(mutex_);
  enter("last_on_fixture");
  const auto it = last_on_fixture_.find(fixture);
  if (it == last_on_fixture_.end()) return std::nullopt;
  const auto device = devices_.find(it->second);
  if (device == devices_.end()) return std::nullopt;
  return device->second;
}

std::string FakeStationDb::allocate_serial(const std::string& mac, const station::SerialScheme& scheme) {
  std::lock_guard lock(mutex_);
  enter("allocate_serial");
  const auto it = devices_.find(mac);
  if (it == devices_.end()) {
    throw InternalError("station.db_no_device", "allocate_serial for a device the DB has not seen: " + mac,
                        "touch_device first (the connect step does)");
  }
  if (it->second.serial.empty()) {
    if (!serial_started_) {
      next_serial_ = scheme.first;
      serial_started_ = true;
    }
    it->second.serial = station::format_serial(scheme, next_serial_++);
    it->second.updated = station::utc_now_iso();
  }
  return it->second.serial;
}

void FakeStationDb::record_step(const StepRow& row) {
  std::lock_guard lock(mutex_);
  enter("record_step");
  steps_.push_back(row);
}

std::vector<StepRow> FakeStationDb::steps(const std::string& mac) {
  std::lock_guard lock(mutex_);
  enter("steps");
  std::vector<StepRow> out;
  std::copy_if(steps_.begin(), steps_.end(), std::back_inserter(out), [&](const StepRow& r) { return r.mac == mac; });
  return out;
}

bool FakeStationDb::step_done(const std::string& mac, const std::string& step) {
  std::lock_guard lock(mutex_);
  enter("step_done");
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
    if (it->mac == mac && it->step == step) return it->outcome == "pass" || it->outcome == "skipped";
  }
  return false;
}

void FakeStationDb::store_certificate(const CertificateRow& row) {
  std::lock_guard lock(mutex_);
  enter("store_certificate");
  certificates_[row.mac] = row;
}

std::optional<CertificateRow> FakeStationDb::certificate(const std::string& mac) {
  std::lock_guard lock(mutex_);
  enter("certificate");
  const auto it = certificates_.find(mac);
  if (it == certificates_.end()) return std::nullopt;
  return it->second;
}

std::optional<CertificateRow> FakeStationDb::revoke_certificate(const std::string& mac, const std::string& reason) {
  std::lock_guard lock(mutex_);
  enter("revoke_certificate");
  const auto it = certificates_.find(mac);
  if (it == certificates_.end()) return std::nullopt;
  CertificateRow row = it->second;
  revocations_.push_back({row, reason, station::utc_now_iso()});
  certificates_.erase(it);
  return row;
}

void FakeStationDb::store_revocation(const CertificateRow& certificate, const std::string& reason) {
  std::lock_guard lock(mutex_);
  enter("store_revocation");
  revocations_.push_back({certificate, reason, station::utc_now_iso()});
}

std::vector<RevocationRow> FakeStationDb::revocations(const std::string& mac) {
  std::lock_guard lock(mutex_);
  enter("revocations");
  std::vector<RevocationRow> out;
  std::copy_if(revocations_.begin(), revocations_.end(), std::back_inserter(out),
               [&](const RevocationRow& r) { return r.certificate.mac == mac; });
  return out;
}

std::vector<CertificateRow> FakeStationDb::all_certificates() {
  std::lock_guard lock(mutex_);
  enter("all_certificates");
  std::vector<CertificateRow> out;
  for (const auto& [mac, row] : certificates_) out.push_back(row);
  for (const auto& r : revocations_) out.push_back(r.certificate);
  return out;
}

void FakeStationDb::store_efuse_snapshot(const std::string& mac, const std::string& stage,
                                         const nlohmann::json& summary) {
  std::lock_guard lock(mutex_);
  enter("store_efuse_snapshot");
  snapshots_[{mac, stage}] = summary;
}

std::optional<nlohmann::json> FakeStationDb::efuse_snapshot(const std::string& mac, const std::string& stage) {
  std::lock_guard lock(mutex_);
  enter("efuse_snapshot");
  const auto it = snapshots_.find({mac, stage});
  if (it == snapshots_.end()) return std::nullopt;
  return it->second;
}

std::int64_t FakeStationDb::enqueue(const std::string& kind, const std::string& mac, const nlohmann::json& payload) {
  std::lock_guard lock(mutex_);
  enter("enqueue");
  for (const auto& item : outbox_) {
    if (item.kind == kind && item.mac == mac) return item.id;  // one item per kind and device
  }
  OutboxItem item;
  item.id = static_cast<std::int64_t>(outbox_.size()) + 1;
  item.kind = kind;
  item.mac = mac;
  item.payload = payload;
  item.state = "pending";
  outbox_.push_back(item);
  return item.id;
}

std::vector<OutboxItem> FakeStationDb::pending(const std::string& kind) {
  std::lock_guard lock(mutex_);
  enter("pending");
  std::vector<OutboxItem> out;
  std::copy_if(outbox_.begin(), outbox_.end(), std::back_inserter(out),
               [&](const OutboxItem& item) { return item.state == "pending" && (kind.empty() || item.kind == kind); });
  return out;
}

std::vector<OutboxItem> FakeStationDb::outbox(const std::string& mac) {
  std::lock_guard lock(mutex_);
  enter("outbox");
  std::vector<OutboxItem> out;
  std::copy_if(outbox_.begin(), outbox_.end(), std::back_inserter(out),
               [&](const OutboxItem& item) { return item.mac == mac; });
  return out;
}

void FakeStationDb::outbox_attempt(std::int64_t id, bool done, const std::string& error) {
  std::lock_guard lock(mutex_);
  enter("outbox_attempt");
  for (auto& item : outbox_) {
    if (item.id != id) continue;
    ++item.attempts;
    item.state = done ? "done" : "pending";
    item.last_error = error;
  }
}

void FakeStationDb::record_run(const station::RunRow& row) {
  std::lock_guard lock(mutex_);
  enter("record_run");
  runs_.emplace(row.run_id, row);
}

std::optional<station::RunRow> FakeStationDb::run(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  enter("run");
  const auto it = runs_.find(run_id);
  if (it == runs_.end()) return std::nullopt;
  return it->second;
}

}  // namespace espfab::test
