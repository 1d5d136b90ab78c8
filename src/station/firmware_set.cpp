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
  for (const auto& e : set.table.entries) {
    if (e.type == image::kPartitionTypeApp && e.subtype == 0x00) set.factory = e;
    if (e.type == image::kPartitionTypeApp && e.subtype == image::kAppSubtypeOtaFirst) set.ota_0 = e;
    if (e.type == image::kPartitionTypeData && e.subtype == image::kDataSubtypeOta) set.otadata = e;
    if (e.type == kSecureCertType) set.secure_cert = e;
  }
  if (set.partition_table) {
    if (!set.factory) problems.push_back("the partition table has no factory app partition (for the factory-test app)");
    if (!set.ota_0) problems.push_back("the partition table has no ota_0 partition (for the production app)");
    if (!set.otadata) problems.push_back("the partition table has no otadata partition (it selects ota_0)");
    if (!set.secure_cert) problems.push_back("the partition table has no esp_secure_cert partition (type 0x3F)");
  }
  auto fits = [&](const std::shared_ptr<const Bytes>& data, const std::optional<image::PartitionEntry>& p,
                  const char* what) {
    if (data && p && data->size() > p->size) {
      problems.push_back(fmt::format("the {} ({} bytes) does not fit its partition '{}' ({} bytes)", what, data->size(),
                                     p->name, p->size));
    }
  };
  fits(set.factory_app, set.factory, "factory-test app");
  fits(set.production_app, set.ota_0, "production app");
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

Bytes otadata_selecting_ota0(std::uint32_t partition_size) {
  Bytes data(partition_size, 0xFF);
  // esp_ota_select_entry_t: ota_seq, seq_label[20], ota_state, crc (over ota_seq) — sector 0 only;
  // sector 1 stays erased, as after the first esp_ota_set_boot_partition().
  const std::uint32_t seq = 1;
  const std::uint8_t seq_bytes[4] = {static_cast<std::uint8_t>(seq), 0, 0, 0};
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
