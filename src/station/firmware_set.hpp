// The images of one station run, read and checked once: bootloader, partition table, factory-test
// app and production app, with the flash layout the steps need (factory, ota_0, otadata,
// esp_secure_cert). Shared read-only by every fixture worker.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "chip/esp32s3.hpp"
#include "image/app_descriptor.hpp"
#include "image/partition_table.hpp"
#include "station/station_profile.hpp"
#include "util/bytes.hpp"

namespace espfab::station {

// Where the station writes the bootloader and the partition table: the ESP32-S3's offsets.
inline constexpr std::uint32_t kBootloaderOffset = chip::kEsp32s3.bootloader_offset;
inline constexpr std::uint32_t kPartitionTableOffset = chip::kEsp32s3.partition_table_offset;

struct FirmwareSet {
  std::shared_ptr<const Bytes> bootloader;
  std::shared_ptr<const Bytes> partition_table;  // binary, 0xC00 bytes
  std::shared_ptr<const Bytes> factory_app;
  std::shared_ptr<const Bytes> production_app;
  image::PartitionTable table;
  std::optional<image::PartitionEntry> factory;
  std::optional<image::PartitionEntry> ota_0;
  std::optional<image::PartitionEntry> otadata;
  std::optional<image::PartitionEntry> secure_cert;  // type 0x3F (esp_secure_cert)
  image::AppDescriptor production_descriptor;
};

// Throws BadInputError ("station.images") naming every image problem: unreadable or invalid
// images, a table without factory/ota_0/otadata/esp_secure_cert, an image larger than its partition.
FirmwareSet load_firmware_set(const StationImages& images);

// The otadata partition contents that select ota_0 (sequence 1), both sectors.
Bytes otadata_selecting_ota0(std::uint32_t partition_size);

}  // namespace espfab::station
