// The server side of serial leases (`[station] serial_lease = N`, docs/stations.md): a station
// takes a block of serial numbers in one transaction and issues them one by one; the numbers it
// does not use go back to a pool that every allocation of the line takes first. The shared DB is
// the authority: a number is issued by the one transaction that removes it from the station's
// lease and gives it to a device, so a number is never issued twice, whatever the station's own
// copy of its lease says. Implemented by the PostgreSQL station DB (SQLite has no leases).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "station/station_profile.hpp"

namespace espfab::station {

struct LeasedSerialUse {
  enum class Outcome {
    Used,             // the number is the device's serial now
    DeviceHasSerial,  // the device had a serial already (`serial`); the number stays leased
    NotLeased,        // the number is not leased to this station (used or returned): drop it
  };
  Outcome outcome = Outcome::NotLeased;
  std::string serial;  // the device's serial (Used, DeviceHasSerial)
};

class SerialLeaseServer {  // NOLINT(cppcoreguidelines-special-member-functions): an interface, used by reference
 public:
  virtual ~SerialLeaseServer() = default;
  // Leases up to `count` numbers of the scheme to this station in one transaction: the pool's
  // lowest first, then the counter's next. Returns them in ascending order.
  virtual std::vector<std::uint64_t> lease_serials(const SerialScheme& scheme, unsigned count) = 0;
  // The numbers leased to this station now, ascending.
  virtual std::vector<std::uint64_t> leased_serials(const SerialScheme& scheme) = 0;
  // One transaction: the device's serial when it has one, else `number` when it is leased to this
  // station (it leaves the lease and becomes the device's serial).
  virtual LeasedSerialUse use_leased_serial(const std::string& mac, const SerialScheme& scheme,
                                            std::uint64_t number) = 0;
  // Puts numbers leased to this station back into the pool (others are left alone).
  virtual void return_serials(const SerialScheme& scheme, const std::vector<std::uint64_t>& numbers) = 0;
};

}  // namespace espfab::station
