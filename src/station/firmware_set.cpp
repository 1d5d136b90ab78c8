#include "station/firmware_set.hpp"

#include <fmt/format.h>

#include "image/app_image.hpp"
#include "image/partition_binary.hpp"
#include "image/partition_csv.hpp"
#include "image/partition_verify.hpp"
#include "util/crc32.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::station {
namespace {

constexpr std::uint8_t kSecureCertType = 0x3F;

std::shared_ptr<const Bytes> load_image(const std::filesystem::path& path, const char* what,
                                        std::vector<std::string>& problems,
                                        std::optional<image::AppDescriptor>* descriptor = nullptr) {
  try {
    auto data = std::make_shared<Bytes>(read_file(path));
    const auto parsed = image::parse_app_image(*data);
    if (!parsed.valid())
      problems.push_back(fmt::format("{} {}: checksum or SHA-256 does not match", what, path.string()));
    if (descriptor) *descriptor = parsed.app_descriptor;
    return data;
  } catch (const Error& error) {
    problems.push_back(fmt::format("{} {}: {}", what, path.string(), error.message()));
    return nullptr;
  }
}

bool is_app(const image::PartitionEntry& e) { return e.type == image::kPartitionTypeApp; }

const image::PartitionEntry* find_by_name(const image::PartitionTable& table, const std::string& name) {
  for (const auto& e : table.entries)
    if (e.name == name) return &e;
  return nullptr;
}

const image::PartitionEntry* find_app(const image::PartitionTable& table, std::uint8_t subtype) {
  for (const auto& e : table.entries)
    if (is_app(e) && e.subtype == subtype) return &e;
  return nullptr;
}

// A named slot, or the default; nullopt with a problem when the name is no app partition.
std::optional<image::PartitionEntry> app_slot(const image::PartitionTable& table, const std::string& name,
                                              const image::PartitionEntry* fallback, const char* what, const char* key,
                                              std::vector<std::string>& problems) {
  if (name.empty()) {
    if (fallback) return *fallback;
    problems.push_back(
        fmt::format("the partition table has no app partition for the {} (name one with [images] {})", what, key));
    return std::nullopt;
  }
  const auto* found = find_by_name(table, name);
  if (found == nullptr || !is_app(*found)) {
    problems.push_back(
        fmt::format("[images] {} = \"{}\": the partition table has no app partition of that name", key, name));
    return std::nullopt;
  }
  return *found;
}

// ESP-IDF encrypts app partitions, otadata and nvs_keys always, other data partitions by their flag.
bool written_encrypted(const image::PartitionEntry& e) {
  constexpr std::uint8_t kDataSubtypeNvsKeys = 0x04;
  return e.encrypted || is_app(e) ||
         (e.type == image::kPartitionTypeData &&
          (e.subtype == image::kDataSubtypeOta || e.subtype == kDataSubtypeNvsKeys));
}

void read_table(const StationImages& images, FirmwareSet& set, std::vector<std::string>& problems) {
  try {
    const Bytes raw = read_file(images.partition_table);
    if (image::looks_like_partition_binary(raw)) {
      set.table = image::read_partition_binary(raw);
    } else {
      set.table = image::parse_partition_csv(std::string(raw.begin(), raw.end()));
    }
    image::verify_partition_table(set.table, {});
    set.partition_table = std::make_shared<Bytes>(image::write_partition_binary(set.table));
  } catch (const Error& error) {
    problems.push_back(fmt::format("partition table {}: {}", images.partition_table.string(), error.message()));
  }
}

void choose_layout(const StationImages& images, FirmwareSet& set, std::vector<std::string>& problems) {
  const auto& table = set.table;
  const auto* factory = find_app(table, 0x00);
  const auto* ota_0 = find_app(table, image::kAppSubtypeOtaFirst);
  for (const auto& e : table.entries) {
    if (e.type == image::kPartitionTypeData && e.subtype == image::kDataSubtypeOta) set.otadata = e;
    if (e.type == kSecureCertType) set.secure_cert = e;
  }
  set.production_slot =
      app_slot(table, images.production_slot, ota_0 ? ota_0 : factory, "production app", "production_slot", problems);
  const image::PartitionEntry* production =
      set.production_slot ? find_by_name(table, set.production_slot->name) : nullptr;
  set.factory_test_slot = app_slot(table, images.factory_test_slot, factory ? factory : production, "factory-test app",
                                   "factory_test_slot", problems);
  if (!set.secure_cert) problems.push_back("the partition table has no esp_secure_cert partition (type 0x3F)");
  // Without otadata the bootloader boots factory, else the first OTA slot: nothing else can be chosen.
  for (const auto& slot : {set.production_slot, set.factory_test_slot}) {
    if (!slot || set.otadata) continue;
    const bool default_boot = factory ? slot->offset == factory->offset : ota_0 && slot->offset == ota_0->offset;
    if (!default_boot) {
      problems.push_back(
          fmt::format("the app slot '{}' can only be booted through otadata, and the partition table "
                      "has no otadata partition",
                      slot->name));
    }
  }
}

void place_data_images(const StationImages& images, FirmwareSet& set, std::vector<std::string>& problems) {
  for (const auto& data : images.data) {
    const image::PartitionEntry* partition = nullptr;
    for (const auto& e : set.table.entries) {
      if ((!data.partition.empty() && e.name == data.partition) || (data.offset && e.offset == *data.offset)) {
        partition = &e;
      }
    }
    if (partition == nullptr) {
      problems.push_back(fmt::format(
          "data image {}: the partition table has no partition {}", data.file.string(),
          data.partition.empty() ? fmt::format("at 0x{:x}", data.offset.value_or(0)) : "'" + data.partition + "'"));
      continue;
    }
    if (is_app(*partition)) {
      problems.push_back(
          fmt::format("data image {}: '{}' is an app partition (the apps are [images] entries of their "
                      "own)",
                      data.file.string(), partition->name));
      continue;
    }
    try {
      auto bytes = std::make_shared<Bytes>(read_file(data.file));
      if (bytes->size() > partition->size) {
        problems.push_back(fmt::format("data image {} ({} bytes) does not fit its partition '{}' ({} bytes)",
                                       data.file.string(), bytes->size(), partition->name, partition->size));
        continue;
      }
      set.data.push_back({*partition, std::move(bytes), written_encrypted(*partition)});
    } catch (const Error& error) {
      problems.push_back(fmt::format("data image {}: {}", data.file.string(), error.message()));
    }
  }
}

}  // namespace

FirmwareSet load_firmware_set(const StationImages& images) {
  FirmwareSet set;
  std::vector<std::string> problems;
  set.bootloader = load_image(images.bootloader, "bootloader", problems);
  std::optional<image::AppDescriptor> factory_desc;
  std::optional<image::AppDescriptor> production_desc;
  set.factory_app = load_image(images.factory_test_app, "factory-test app", problems, &factory_desc);
  set.production_app = load_image(images.production_app, "production app", problems, &production_desc);
  if (set.factory_app && (!factory_desc || factory_desc->project_name != "factory-test")) {
    problems.push_back(fmt::format("factory-test app {}: its esp_app_desc_t project name is not \"factory-test\"",
                                   images.factory_test_app.string()));
  }
  if (production_desc) set.production_descriptor = *production_desc;
  read_table(images, set, problems);
  if (set.partition_table) {
    choose_layout(images, set, problems);
    place_data_images(images, set, problems);
  }
  auto fits = [&](const std::shared_ptr<const Bytes>& data, const std::optional<image::PartitionEntry>& p,
                  const char* what) {
    if (data && p && data->size() > p->size) {
      problems.push_back(fmt::format("the {} ({} bytes) does not fit its partition '{}' ({} bytes)", what, data->size(),
                                     p->name, p->size));
    }
  };
  fits(set.factory_app, set.factory_test_slot, "factory-test app");
  fits(set.production_app, set.production_slot, "production app");
  if (set.bootloader && set.bootloader->size() > kPartitionTableOffset - kBootloaderOffset) {
    problems.push_back(fmt::format("the bootloader reaches into the partition table at 0x{:x}", kPartitionTableOffset));
  }
  if (!problems.empty()) {
    std::string message = fmt::format("{} problem(s) with the station's images:", problems.size());
    for (const auto& p : problems) message += "\n  " + p;
    throw BadInputError("station.images", message, "fix the [images] section of the profile or rebuild the images");
  }
  return set;
}

std::optional<unsigned> ota_slot_index(const image::PartitionEntry& partition) {
  if (!is_app(partition) || partition.subtype < image::kAppSubtypeOtaFirst ||
      partition.subtype >= image::kAppSubtypeOtaFirst + 16) {
    return std::nullopt;
  }
  return partition.subtype - image::kAppSubtypeOtaFirst;
}

Bytes otadata_selecting(unsigned slot, std::uint32_t partition_size) {
  Bytes data(partition_size, 0xFF);
  // esp_ota_select_entry_t: ota_seq, seq_label[20], ota_state, crc (over ota_seq) — sector 0 only.
  // The bootloader boots OTA slot (ota_seq - 1) % number of OTA slots: seq = slot + 1 selects it.
  const std::uint32_t seq = slot + 1;
  const std::uint8_t seq_bytes[4] = {static_cast<std::uint8_t>(seq), static_cast<std::uint8_t>(seq >> 8),
                                     static_cast<std::uint8_t>(seq >> 16), static_cast<std::uint8_t>(seq >> 24)};
  for (std::size_t i = 0; i < 4; ++i) data[i] = seq_bytes[i];
  const std::uint32_t state = 0xFFFFFFFFu;  // ESP_OTA_IMG_UNDEFINED
  const std::uint32_t crc = crc32_esp(ByteView(seq_bytes, 4));
  for (std::size_t i = 0; i < 4; ++i) {
    data[24 + i] = static_cast<std::uint8_t>(state >> (8 * i));
    data[28 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  }
  return data;
}

}  // namespace espfab::station
