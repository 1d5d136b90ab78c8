#include "emulator/boot_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "chip/esp32s3.hpp"
#include "image/partition_binary.hpp"
#include "security/secure_boot_v2.hpp"
#include "util/bytes.hpp"
#include "util/crc32.hpp"
#include "util/error.hpp"

namespace espfab::emulator {
namespace {

constexpr std::uint16_t kEsp32s3ChipId = chip::kEsp32s3.image_chip_id;
constexpr std::uint32_t kSectorSize = chip::kEsp32s3.flash_sector_size;
constexpr std::uint32_t kOtadataEntrySize = 32;
constexpr std::uint32_t kOtaStateInvalid = 3;
constexpr std::uint32_t kOtaStateAborted = 4;
constexpr std::uint8_t kSubtypeFactory = 0x00;
constexpr std::uint8_t kSubtypeOtaFirst = 0x10;
constexpr std::uint8_t kSubtypeOtaLast = 0x1F;
constexpr std::uint8_t kSubtypeTest = 0x20;
constexpr std::uint8_t kSubtypeOtadata = 0x00;
constexpr const char* kDefaultIdfVersion = "v5.5.5";

// The usage column of the bootloader's partition listing.
std::string usage(const image::PartitionEntry& entry) {
  if (entry.type == image::kPartitionTypeApp) {
    if (entry.subtype == kSubtypeFactory) return "factory app";
    if (entry.subtype == kSubtypeTest) return "test app";
    if (entry.subtype >= kSubtypeOtaFirst && entry.subtype <= kSubtypeOtaLast) return "OTA app";
    return "Unknown app";
  }
  if (entry.type == image::kPartitionTypeData) {
    switch (entry.subtype) {
      case 0x00: return "OTA data";
      case 0x01: return "RF data";
      case 0x02: return "WiFi data";
      case 0x04: return "NVS keys";
      case 0x05: return "efuse";
      default: return "Unknown data";
    }
  }
  return "unknown";
}

// One candidate app partition, verified as image_load does; nullopt (with the error lines) if not.
std::optional<image::AppImage> verify_app(const BootContext& context, BootConsole& console,
                                          const image::PartitionEntry& partition) {
  const Bytes data = context.read(partition.offset, partition.size);
  if (data.empty() || data[0] != 0xE9) {
    console.error("esp_image",
                  fmt::format("image at 0x{:x} has invalid magic byte (nothing flashed here?)", partition.offset));
    return std::nullopt;
  }
  image::AppImage app;
  try {
    app = image::parse_app_image(data);
  } catch (const Error& error) {
    console.error("esp_image", fmt::format("image at 0x{:x} is corrupt: {}", partition.offset, error.message()));
    return std::nullopt;
  }
  if (app.extended.chip_id != kEsp32s3ChipId) {
    console.error("boot_comm",
                  fmt::format("mismatch chip ID, expected {}, found {}", kEsp32s3ChipId, app.extended.chip_id));
    return std::nullopt;
  }
  for (std::size_t i = 0; i < app.segments.size(); ++i) {
    const auto& segment = app.segments[i];
    const bool mapped = segment.has_memory_type("DROM") || segment.has_memory_type("IROM");
    console.info("esp_image", fmt::format("segment {}: paddr={:08x} vaddr={:08x} size={:05x}h ({:6}) {}", i,
                                          partition.offset + segment.data_offset(), segment.load_address,
                                          segment.data.size(), segment.data.size(), mapped ? "map" : "load"));
  }
  if (!app.checksum.valid()) {
    console.error("esp_image", fmt::format("Checksum failed. Calculated 0x{:x} read 0x{:x}", app.checksum.calculated,
                                           app.checksum.stored));
    return std::nullopt;
  }
  const std::uint64_t padded = align_up(std::uint64_t{app.image_size}, kSectorSize);
  if (context.secure_boot_enabled()) {
    if (padded + kSectorSize > partition.size) {
      console.error("esp_image", fmt::format("Image length {} doesn't fit in partition length {}", padded + kSectorSize,
                                             partition.size));
      return std::nullopt;
    }
    console.info("esp_image", "Verifying image signature...");
    console.info("secure_boot_v2", "Verifying with RSA-PSS...");
    const ByteView signed_image(data.data(), static_cast<std::size_t>(padded + kSectorSize));
    if (!security::verify_with_digests(signed_image, context.trusted_digests()).verified) {
      console.error("secure_boot_v2", "Secure Boot V2 verification failed.");
      console.error("esp_image", "Secure boot signature verification failed");
      console.info("esp_image", "Calculating simple hash to check for corruption...");
      if (app.hash && !app.hash->valid()) {
        console.warn("esp_image", "image corrupted on flash");
      } else {
        console.warn("esp_image", "image valid, signature bad");
      }
      return std::nullopt;
    }
    console.info("secure_boot_v2", "Signature verified successfully!");
  } else if (app.hash && !app.hash->valid()) {
    console.error("esp_image", "Image hash failed - image is corrupt");
    return std::nullopt;
  }
  return app;
}

void print_table(BootConsole& console, const image::PartitionTable& table) {
  console.info("boot", "Partition Table:");
  console.info("boot", "## Label            Usage          Type ST Offset   Length");
  for (std::size_t i = 0; i < table.entries.size(); ++i) {
    const auto& e = table.entries[i];
    console.info("boot", fmt::format("{:2} {:<16} {:<16} {:02x} {:02x} {:08x} {:08x}", i, e.name, usage(e), e.type,
                                     e.subtype, e.offset, e.size));
  }
  console.info("boot", "End of partition table");
}

}  // namespace

std::optional<unsigned> select_ota_slot(ByteView otadata, unsigned ota_app_count) {
  if (ota_app_count == 0) return std::nullopt;
  std::optional<std::uint32_t> best;
  for (std::uint32_t entry = 0; entry < 2; ++entry) {
    const std::uint32_t at = entry * kSectorSize;
    if (otadata.size() < at + kOtadataEntrySize) continue;
    const ByteView e = otadata.subspan(at, kOtadataEntrySize);
    const std::uint32_t seq = load_le32(e, 0);
    const std::uint32_t state = load_le32(e, 24);
    const std::uint32_t crc = load_le32(e, 28);
    if (seq == 0xFFFFFFFFu || state == kOtaStateInvalid || state == kOtaStateAborted) continue;
    if (crc != crc32_esp(e.first(4))) continue;
    if (!best || seq > *best) best = seq;
  }
  if (!best) return std::nullopt;
  return (*best - 1) % ota_app_count;
}

std::optional<LoadedApp> run_second_stage(const BootContext& context, BootConsole& console,
                                          std::uint32_t partition_table_offset) {
  console.advance_ms(27);  // the ROM's load time before the first bootloader line
  const Bytes boot = context.read(0, partition_table_offset);
  std::string idf_version = kDefaultIdfVersion;
  try {
    const auto bootloader = image::parse_app_image(boot);
    if (bootloader.bootloader_descriptor && !bootloader.bootloader_descriptor->idf_version.empty()) {
      idf_version = bootloader.bootloader_descriptor->idf_version;
    }
  } catch (const Error&) {
  }
  console.info("boot", fmt::format("ESP-IDF {} 2nd stage bootloader", idf_version));
  console.info("boot", "Multicore bootloader");
  console.info("boot", "chip revision: v0.2");
  console.info("boot", "efuse block revision: v1.3");
  console.info("boot", "Enabling RNG early entropy source...");

  image::PartitionTable table;
  const Bytes table_bytes =
      context.read(partition_table_offset, static_cast<std::uint32_t>(image::kPartitionTableMaxLength));
  if (table_bytes.size() < 2 || table_bytes[0] != image::kPartitionEntryMagic[0] ||
      table_bytes[1] != image::kPartitionEntryMagic[1]) {
    console.error("flash_parts", fmt::format("partition 0 invalid magic number 0x{:x}",
                                             table_bytes.size() >= 2 ? load_le16(table_bytes, 0) : 0xFFFFu));
    console.error("boot", "Failed to verify partition table");
    console.error("boot", "load partition table error!");
    return std::nullopt;
  }
  try {
    table = image::read_partition_binary(table_bytes, true);
  } catch (const Error& error) {
    console.error("flash_parts", error.message());
    console.error("boot", "Failed to verify partition table");
    console.error("boot", "load partition table error!");
    return std::nullopt;
  }
  for (std::size_t i = 0; i < table.entries.size(); ++i) {
    if (table.entries[i].end() > context.flash_size()) {
      console.error("flash_parts",
                    fmt::format("partition {} invalid - offset 0x{:x} size 0x{:x} exceeds flash chip "
                                "size 0x{:x}",
                                i, table.entries[i].offset, table.entries[i].size, context.flash_size()));
      console.error("boot", "Failed to verify partition table");
      console.error("boot", "load partition table error!");
      return std::nullopt;
    }
  }
  print_table(console, table);

  // Candidates: the selected partition first, then factory, the other OTA slots, test.
  const image::PartitionEntry* factory = nullptr;
  const image::PartitionEntry* test = nullptr;
  const image::PartitionEntry* otadata = nullptr;
  std::vector<const image::PartitionEntry*> ota(16, nullptr);
  unsigned ota_count = 0;
  for (const auto& e : table.entries) {
    if (e.type == image::kPartitionTypeApp && e.subtype == kSubtypeFactory) factory = &e;
    if (e.type == image::kPartitionTypeApp && e.subtype == kSubtypeTest) test = &e;
    if (e.type == image::kPartitionTypeApp && e.subtype >= kSubtypeOtaFirst && e.subtype <= kSubtypeOtaLast) {
      ota[e.subtype & 0x0F] = &e;
      ++ota_count;
    }
    if (e.type == image::kPartitionTypeData && e.subtype == kSubtypeOtadata) otadata = &e;
  }
  std::vector<const image::PartitionEntry*> order;
  std::optional<unsigned> slot;
  if (otadata)
    slot = select_ota_slot(context.read(otadata->offset, std::min(otadata->size, 2 * kSectorSize)), ota_count);
  if (slot && ota[*slot]) {
    order.push_back(ota[*slot]);
  } else if (factory) {
    console.info("boot", "Defaulting to factory image");
  } else {
    console.info("boot", "No factory image, trying OTA 0");
  }
  if (factory) order.push_back(factory);
  for (const auto* p : ota)
    if (p) order.push_back(p);
  if (test) order.push_back(test);
  order.erase(std::unique(order.begin(), order.end()), order.end());

  for (const auto* partition : order) {
    if (auto app = verify_app(context, console, *partition)) {
      console.info("boot", fmt::format("Loaded app from partition at offset 0x{:x}", partition->offset));
      if (context.secure_boot_enabled()) {
        console.info("secure_boot_v2", "enabling secure boot v2...");
        console.info("secure_boot_v2", "secure boot v2 is already enabled, continuing..");
      }
      if (context.flash_encryption_enabled()) {
        console.info("boot", "Checking flash encryption...");
        const unsigned left = context.crypt_cnt_write_protected() ? 0 : (3 - context.crypt_cnt_bits()) / 2;
        console.info("flash_encrypt", fmt::format("flash encryption is enabled ({} plaintext flashes left)", left));
      }
      console.info("boot", "Disabling RNG early entropy source...");
      return LoadedApp{partition->offset, std::move(*app), table};
    }
    if (partition == factory) {
      console.error("boot", "Factory app partition is not bootable");
    } else if (partition == test) {
      console.error("boot", "Test app partition is not bootable");
    } else {
      console.error("boot", fmt::format("OTA app partition slot {} is not bootable", partition->subtype & 0x0F));
    }
  }
  console.error("boot", "No bootable app partitions in the partition table");
  return std::nullopt;
}

}  // namespace espfab::emulator
