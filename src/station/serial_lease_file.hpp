// The station's own copy of its serial lease, `<data_dir>/serial-lease.json`: the numbers it holds
// and, write-ahead, the number each device was given before the server confirmed it. Replaced
// atomically (temp file, fsync, rename, directory fsync), so a kill leaves the old or the new copy.
// The server's serial_leases table is the authority (serial_lease_server.hpp); this copy lets the
// station go on taking numbers while the server cannot be reached.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace espfab::station {

struct LeaseFile {
  std::string prefix;                          // the serial scheme's prefix the numbers belong to
  std::vector<std::uint64_t> free;             // leased, not given to a device yet (ascending)
  std::map<std::string, std::uint64_t> bound;  // MAC -> number given, not yet confirmed by the server
};

// nullopt when the file does not exist; IoError station.serial_lease_file when it is damaged.
std::optional<LeaseFile> read_lease_file(const std::filesystem::path& file);
void write_lease_file(const std::filesystem::path& file, const LeaseFile& lease);

}  // namespace espfab::station
