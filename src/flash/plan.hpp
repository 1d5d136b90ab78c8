// The pure planning step of a flash write: files at addresses (regions) become checked write
// operations (padding, compression choice, expected MD5) before a byte goes on the wire.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chip/esp32s3.hpp"
#include "util/bytes.hpp"

namespace espfab::flash {

struct FlashRegion {
  std::uint32_t address = 0;
  std::shared_ptr<const Bytes> data;
  std::string name;      // "bootloader.bin", shown in progress and errors
  bool encrypt = false;  // let the chip encrypt (ROM FLASH_BEGIN flag / stub FLASH_ENCRYPT_DATA)
};

struct PlanOptions {
  bool compress = true;                                 // FLASH_DEFL_* (never for encrypted regions)
  std::optional<std::uint32_t> flash_size;              // refuse regions beyond it when known
  const chip::ChipDescription* chip = &chip::kEsp32s3;  // regions start on its flash sectors
};

struct PlannedWrite {
  std::uint32_t address = 0;
  std::shared_ptr<const Bytes> data;  // padded to a multiple of 4 with 0xFF
  std::string label;                  // "app.bin @0x10000"
  bool compress = true;
  bool incompressible = false;  // sent raw because samples of it do not shrink (host-encrypted data)
  bool encrypt = false;
  bool verify = true;   // MD5 after writing (not possible for chip-encrypted data)
  std::string md5_hex;  // of `data`
  std::uint32_t size() const { return static_cast<std::uint32_t>(data->size()); }
  std::uint32_t end() const { return address + size(); }
};

struct FlashPlan {
  std::vector<PlannedWrite> writes;  // in address order
  std::uint64_t total_bytes() const;
};

// Whether zlib would win anything on `data`: samples of it (up to four 16 KiB pieces spread over
// it) compressed at level 1 shrink below 97 % of their size. Encrypted or already-compressed data
// does not, and is better sent raw than put through a level-9 pass that only adds bytes.
bool worth_compressing(ByteView data);

// Throws BadInputError: flash.no_regions, flash.empty_region, flash.unaligned_address,
// flash.region_beyond_flash, flash.overlapping_regions (naming both regions).
FlashPlan plan_writes(const std::vector<FlashRegion>& regions, const PlanOptions& options);

}  // namespace espfab::flash
