// The images of one station run, read and checked once: bootloader, partition table, factory-test
// app, production app and data images, with the flash layout the steps need (the two app slots,
// otadata when the table has one, esp_secure_cert, the data partitions). Shared read-only by every
// fixture worker. docs/station-profile.md, "Partition layouts".
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chip/esp32s3.hpp"
#include "image/app_descriptor.hpp"
#include "image/partition_table.hpp"
#include "station/station_profile.hpp"
#include "util/bytes.hpp"

namespace espfab::station {

// Where the station writes the bootloader and the partition table: the ESP32-S3's offsets.
inline constexpr std::uint32_t kBootloaderOffset = chip::kEsp32s3.bootloader_offset;
inline constexpr std::uint32_t kPartitionTableOffset = chip::kEsp32s3.partition_table_offset;

// A data image and the partition it goes to.
struct DataRegion {
  image::PartitionEntry partition;
  std::shared_ptr<const Bytes> data;
  bool encrypted = false;  // the partition's `encrypted` flag (or an encrypted-by-default type)
};

struct FirmwareSet {
  std::shared_ptr<const Bytes> bootloader;
  std::shared_ptr<const Bytes> partition_table;  // binary, 0xC00 bytes
  std::shared_ptr<const Bytes> factory_app;
  std::shared_ptr<const Bytes> production_app;
  image::PartitionTable table;
  // Where the two apps go: the production slot (ota_0 by default, factory without OTA slots) and
  // the factory-test slot (factory by default, else the production slot itself). When the slots
  // differ, flash-production erases the factory-test app's first sector so it never boots again.
  std::optional<image::PartitionEntry> factory_test_slot;
  std::optional<image::PartitionEntry> production_slot;
  std::optional<image::PartitionEntry> otadata;      // written only when the table has one
  std::optional<image::PartitionEntry> secure_cert;  // type 0x3F (esp_secure_cert)
  std::vector<DataRegion> data;
  image::AppDescriptor production_descriptor;

  bool slots_differ() const { return factory_test_slot->offset != production_slot->offset; }
};

// Throws BadInputError ("station.images") naming every image problem: unreadable or invalid
// images, slots that are not app partitions, a table without esp_secure_cert, an OTA slot with no
// otadata to select it, a data image for a partition the table does not have, an image larger than
// its partition.
FirmwareSet load_firmware_set(const StationImages& images);

// The index of an OTA app slot (ota_0 -> 0), nullopt for factory and test partitions.
std::optional<unsigned> ota_slot_index(const image::PartitionEntry& partition);

// The otadata partition contents that select OTA slot `slot` (sequence slot + 1 in the first
// sector; the second sector stays erased, as after the first esp_ota_set_boot_partition()).
Bytes otadata_selecting(unsigned slot, std::uint32_t partition_size);

}  // namespace espfab::station
