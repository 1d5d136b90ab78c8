#include "station/serial_lease.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/error.hpp"

namespace espfab::station {

SerialLease::SerialLease(SerialLeaseServer& server, SerialScheme scheme, unsigned size, std::filesystem::path file)
    : server_(server), scheme_(std::move(scheme)), size_(size), file_(std::move(file)) {
  // A lease of another prefix (the profile's scheme changed) stays with the server; nothing of it
  // is used here.
  if (auto stored = read_lease_file(file_); stored && stored->prefix == scheme_.prefix) lease_ = std::move(*stored);
  lease_.prefix = scheme_.prefix;
}

void SerialLease::save() { write_lease_file(file_, lease_); }

void SerialLease::keep(std::uint64_t number) {
  const auto at = std::lower_bound(lease_.free.begin(), lease_.free.end(), number);
  if (at == lease_.free.end() || *at != number) lease_.free.insert(at, number);
}

// Each number given while the server could not confirm it becomes the device's serial now (or,
// when the device got one elsewhere meanwhile, goes back to the free numbers).
void SerialLease::settle_bindings() {
  while (!lease_.bound.empty()) {
    const auto [mac, number] = *lease_.bound.begin();
    const auto use = server_.use_leased_serial(mac, scheme_, number);
    lease_.bound.erase(mac);
    if (use.outcome == LeasedSerialUse::Outcome::DeviceHasSerial && use.serial != format_serial(scheme_, number)) {
      keep(number);
    }
    save();
  }
}

void SerialLease::refill() {
  if (lease_.free.size() >= size_) return;
  for (const auto number : server_.lease_serials(scheme_, size_ - static_cast<unsigned>(lease_.free.size())))
    keep(number);
  save();
}

void SerialLease::open() {
  std::lock_guard lock(mutex_);
  settle_bindings();
  // The server's word: numbers used or returned since this copy was written go, numbers it holds
  // for this station that the copy lost come back.
  lease_.free = server_.leased_serials(scheme_);
  save();
  refill();
}

std::string SerialLease::allocate(const std::string& mac) {
  std::lock_guard lock(mutex_);
  // Numbers the server no longer holds for this station (a copy older than the server's) are
  // dropped one by one; a fresh lease from the server ends that.
  for (std::size_t tries = 0; tries <= lease_.free.size() + size_ + 1; ++tries) {
    std::uint64_t number = 0;
    if (const auto bound = lease_.bound.find(mac); bound != lease_.bound.end()) {
      number = bound->second;
    } else {
      if (lease_.free.empty()) refill();  // the server cannot be reached: its DatabaseError
      if (lease_.free.empty()) {
        throw DatabaseError("station.serial_lease_empty", "the station DB server leased no serial numbers",
                            "check the station DB server (docs/stations.md)");
      }
      number = lease_.free.front();
      lease_.free.erase(lease_.free.begin());
      lease_.bound[mac] = number;
      save();  // write-ahead: this number is this device's unless the server says otherwise
    }
    const auto use = server_.use_leased_serial(mac, scheme_, number);  // unreachable: the binding stays
    lease_.bound.erase(mac);
    if (use.outcome == LeasedSerialUse::Outcome::DeviceHasSerial && use.serial != format_serial(scheme_, number)) {
      keep(number);
    }
    save();
    if (use.outcome == LeasedSerialUse::Outcome::NotLeased) continue;
    if (lease_.free.size() * 2 <= size_) {
      try {
        refill();
      } catch (const DatabaseError&) {
        // The device has its serial; the next allocation tries again.
      }
    }
    return use.serial;
  }
  throw DatabaseError("station.serial_lease",
                      fmt::format("no leased serial number of {} could be used for {}", file_.string(), mac),
                      "check the station DB server's serial_leases table (docs/stations.md)");
}

std::size_t SerialLease::release() {
  std::lock_guard lock(mutex_);
  settle_bindings();
  const auto held = server_.leased_serials(scheme_);
  server_.return_serials(scheme_, held);
  lease_.free.clear();
  save();
  return held.size();
}

std::vector<std::uint64_t> SerialLease::available() const {
  std::lock_guard lock(mutex_);
  return lease_.free;
}

std::filesystem::path serial_lease_path(const StationProfile& profile) {
  return profile.data_dir / "serial-lease.json";
}

std::unique_ptr<SerialLease> make_serial_lease(const StationProfile& profile, StationDb& db) {
  if (profile.serial_lease == 0) return nullptr;
  auto* server = dynamic_cast<SerialLeaseServer*>(&db);
  if (server == nullptr) {
    throw BadInputError("station.serial_lease", "serial_lease needs the line's shared station DB (PostgreSQL)",
                        "set [station] database = \"postgresql://…\", or remove serial_lease: a station's own "
                        "SQLite file allocates every serial itself");
  }
  return std::make_unique<SerialLease>(*server, profile.serial, profile.serial_lease, serial_lease_path(profile));
}

}  // namespace espfab::station
