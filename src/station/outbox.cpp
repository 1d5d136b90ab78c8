#include "station/outbox.hpp"

#include "station/device_record.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

// Claims an item for one attempt; released when the attempt ends.
class InFlight {
 public:
  InFlight(std::mutex& mutex, std::set<std::int64_t>& ids, std::int64_t id) : mutex_(mutex), ids_(ids), id_(id) {
    std::lock_guard lock(mutex_);
    claimed_ = ids_.insert(id_).second;
  }
  ~InFlight() {
    if (!claimed_) return;
    std::lock_guard lock(mutex_);
    ids_.erase(id_);
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  InFlight(InFlight&&) = delete;
  InFlight& operator=(InFlight&&) = delete;
  bool claimed() const { return claimed_; }

 private:
  std::mutex& mutex_;
  std::set<std::int64_t>& ids_;
  std::int64_t id_;
  bool claimed_ = false;
};

std::optional<OutboxItem> find_item(StationDb& db, const std::string& mac, std::int64_t id) {
  for (auto& item : db.outbox(mac))
    if (item.id == id) return item;
  return std::nullopt;
}

}  // namespace

std::string Outbox::describe(const std::string& kind) const {
  return kind == kRegisterItem ? registrar_.describe() : labels_.describe();
}

bool Outbox::attempt(const OutboxItem& item, nlohmann::json& details) {
  try {
    const std::string serial = item.payload.value("serial", "");
    if (item.kind == kRegisterItem) {
      const auto certificate = db_.certificate(item.mac);
      if (!certificate) {
        throw InternalError("station.no_certificate",
                            "no certificate in the station DB for " + item.mac + " to register");
      }
      details["delivered_to"] = registrar_.register_device({serial, item.mac, certificate->pem});
    } else {
      details["delivered_to"] = labels_.print({serial, item.mac, item.payload.value("date", "")});
    }
    db_.outbox_attempt(item.id, true, "");
    details.erase("queued");
    details.erase("last_error");
    return true;
  } catch (const Error& error) {
    db_.outbox_attempt(item.id, false, error.describe());
    details["queued"] = true;
    details["last_error"] = error.describe();
    return false;
  }
}

nlohmann::json Outbox::deliver(const std::string& kind, const std::string& mac, const nlohmann::json& payload) {
  nlohmann::json details = nlohmann::json::object();
  const auto id = db_.enqueue(kind, mac, payload);
  const auto item = find_item(db_, mac, id);
  if (!item) throw DatabaseError("station.outbox", "the outbox item just queued is missing");
  if (item->state == "done") {
    details["delivered_to"] = describe(kind);
    details["already_done"] = true;
    return details;
  }
  InFlight claim(mutex_, in_flight_, id);
  if (!claim.claimed()) {
    details["queued"] = true;
    details["last_error"] = "being retried by the outbox";
    return details;
  }
  if (!db_.claim_item(id, claim_)) {
    details["queued"] = true;
    details["last_error"] = "being delivered by another station";
    return details;
  }
  attempt(*item, details);
  return details;
}

std::size_t Outbox::retry_pending() {
  for (const auto& item : db_.claim_pending(claim_)) {
    InFlight claim(mutex_, in_flight_, item.id);
    if (!claim.claimed()) continue;  // this station's step is delivering it now
    nlohmann::json details = nlohmann::json::object();
    if (attempt(item, details)) refresh_record(item.mac);
  }
  return db_.pending().size();
}

void Outbox::refresh_record(const std::string& mac) { refresh_record_handoff(db_, records_dir_, mac); }

}  // namespace espfab::station
