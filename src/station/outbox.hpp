// The outbox: phase 4's deliveries (a registration with the broker, a label to the printer) that
// must not be lost when the broker or the printer is down. An item is committed to the station DB
// first, then tried; a failure leaves it pending, and retry_pending() (the station's outbox thread,
// every [station] outbox_retry_ms, and again at the next run) tries it until it is delivered. A
// delivered item is never delivered again (a resumed step finds it done); an item is never in
// flight twice at once: inside the station by its own bookkeeping, between the stations of a line by
// the shared DB's claims (StationDb::claim_pending, claim_item; a claim lapses after `claim`, so a
// station killed during a delivery holds its items that long at most). After a late delivery the
// device record's "handoff" section is rewritten (the delivering station's copy of it, if it has one).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>

#include "label/label_printer.hpp"
#include "registry/registrar.hpp"
#include "station/station_db.hpp"

namespace espfab::station {

inline constexpr const char* kRegisterItem = "register";
inline constexpr const char* kLabelItem = "label";

class Outbox {
 public:
  Outbox(StationDb& db, registry::Registrar& registrar, label::LabelSink& labels, std::filesystem::path records_dir,
         std::chrono::seconds claim = std::chrono::seconds(300))
      : db_(db), registrar_(registrar), labels_(labels), records_dir_(std::move(records_dir)), claim_(claim) {}

  // Queues `kind` for this device (serial, mac, provisioning date) and tries it once. Returns the
  // step details: {"delivered_to": ...} or {"queued": true, "last_error": ...}.
  nlohmann::json deliver(const std::string& kind, const std::string& mac, const nlohmann::json& payload);

  // Tries every pending item it can claim and that is not in flight here once; returns how many
  // items are still pending (with a shared DB: the line's, whoever holds them).
  std::size_t retry_pending();

  std::string describe(const std::string& kind) const;

 private:
  // One attempt at an item; true when delivered. Records the attempt in the DB.
  bool attempt(const OutboxItem& item, nlohmann::json& details);
  void refresh_record(const std::string& mac);

  StationDb& db_;
  registry::Registrar& registrar_;
  label::LabelSink& labels_;
  std::filesystem::path records_dir_;
  std::chrono::seconds claim_;
  std::mutex mutex_;
  std::set<std::int64_t> in_flight_;
};

}  // namespace espfab::station
