// Writes a partition table as ESP-IDF CSV, byte-identical to gen_esp32part.py 1.5 (binary -> CSV):
// two header comments, then `name,type,subtype,0xoffset,size,flags` with keywords where known,
// decimal numbers otherwise, sizes as nM/nK when whole, else hex.
#pragma once

#include <string>

#include "image/partition_table.hpp"

namespace espfab::image {

// Throws BadInputError when a name cannot survive as a CSV field (a comma, '$', a control character,
// surrounding spaces, or a leading '#' on the first column).
std::string write_partition_csv(const PartitionTable& table);

}  // namespace espfab::image
