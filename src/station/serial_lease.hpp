// A station's serial lease (`[station] serial_lease = N`, PostgreSQL only; docs/stations.md): a
// block of N numbers taken from the server in one transaction, kept in the data dir
// (serial_lease_file.hpp), issued from there and refilled when it runs low; the unused numbers go
// back to the line's pool when a run ends cleanly.
//
// A device is given its number in two steps: first the number is bound to its MAC in the lease
// file (write-ahead, no server needed), then one server transaction makes it the device's serial
// (serial_lease_server.hpp). Only then is it used: while the server cannot be reached allocate()
// fails with its DatabaseError (the step stops resumable, as for every DB failure) and the binding
// stays; the device's next try gives it the same number, and open() and release() write every
// binding to the server as soon as it answers. A number is issued by the server's transaction
// only, so none is ever issued twice, and none is lost: each one is a device's serial, leased, or
// in the pool.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "station/serial_lease_file.hpp"
#include "station/serial_lease_server.hpp"
#include "station/station_db.hpp"
#include "station/station_profile.hpp"

namespace espfab::station {

class SerialLease {
 public:
  // Reads the lease file (a missing file is an empty lease); nothing is asked of the server yet.
  SerialLease(SerialLeaseServer& server, SerialScheme scheme, unsigned size, std::filesystem::path file);

  // At the start of a run: the bindings written to the server, the lease as the server holds it,
  // topped up to its size. Throws DatabaseError when the server cannot be reached (the file is
  // kept as it was).
  void open();

  // The device's serial (its own when it has one). Refills the lease when it is low (at most half
  // left) and the server answers.
  std::string allocate(const std::string& mac);

  // At the end of a clean run: the bindings written, every unused number returned to the pool.
  // Returns how many were returned. Throws DatabaseError when the server cannot be reached (the
  // lease stays with the station for its next run).
  std::size_t release();

  // The numbers held and not given to a device yet.
  std::vector<std::uint64_t> available() const;

 private:
  void save();
  void settle_bindings();
  void refill();
  void keep(std::uint64_t number);

  SerialLeaseServer& server_;
  SerialScheme scheme_;
  unsigned size_;
  std::filesystem::path file_;
  mutable std::mutex mutex_;
  LeaseFile lease_;
};

// `<data_dir>/serial-lease.json`.
std::filesystem::path serial_lease_path(const StationProfile& profile);

// The profile's lease on `db`, nullptr without `serial_lease`. BadInputError station.serial_lease
// when the DB keeps no leases (SQLite: the profile check refuses that combination first).
std::unique_ptr<SerialLease> make_serial_lease(const StationProfile& profile, StationDb& db);

}  // namespace espfab::station
