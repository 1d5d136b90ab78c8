#include "service/test_app_image.hpp"

#include <vector>

#include "image/app_descriptor.hpp"
#include "image/image_builder.hpp"
#include "station/preflight.hpp"

namespace espfab::service {
namespace {

constexpr std::uint32_t kAppDescAddress = 0x3C000020;  // first DROM bytes after the headers
constexpr std::uint32_t kFlashTextAddress = 0x42000020;
constexpr std::uint32_t kIramAddress = 0x40370000;
constexpr std::uint32_t kBootloaderDescAddress = 0x3FCE2810;
constexpr std::uint32_t kBootloaderTextAddress = 0x403C8700;
constexpr std::uint8_t kFlashModeDio = 2;
constexpr std::uint8_t kFlash8MbAt80Mhz = 0x3F;

// Deterministic filler so the images have realistic (poorly compressible) contents.
Bytes filler(std::size_t size, std::uint32_t seed) {
  Bytes out(size);
  std::uint32_t x = seed;
  for (auto& byte : out) {
    x = x * 1664525u + 1013904223u;
    byte = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

// The firmware contract's strings a real build of the espfab components carries in its read-only
// data (the preflight looks for them): the factory-test ready line's format, the identity log tag.
std::string contract_strings(FirmwareRole role) {
  if (role == FirmwareRole::FactoryTest) {
    return R"({"ft":1,"event":"ready","fw":"factory-test","version":"%s","mac":"%s"})" + std::string(1, '\0');
  }
  return std::string(station::kIdentityLogTag) + std::string(1, '\0') + "serial=%s cert_sha256=%s" +
         std::string(1, '\0');
}

}  // namespace

Bytes build_test_app_image(const TestAppSpec& spec) {
  image::AppDescriptor desc;
  desc.secure_version = spec.secure_version;
  desc.version = spec.version;
  desc.project_name = spec.project_name;
  desc.time = "12:00:00";
  desc.date = "Dec  2 2026";
  desc.idf_version = "v5.5.1";
  std::vector<image::SegmentInput> segments;
  Bytes rodata = image::serialize_app_descriptor(desc);  // esp_app_desc_t, then .rodata
  const std::string strings = contract_strings(spec.role);
  rodata.insert(rodata.end(), strings.begin(), strings.end());
  segments.push_back({kAppDescAddress, std::move(rodata), ".flash.appdesc", 0});
  segments.push_back({kFlashTextAddress, filler(spec.code_size, static_cast<std::uint32_t>(spec.code_size)),
                      ".flash.text", image::kSegmentExecutable});
  segments.push_back({kIramAddress, filler(0x400, 7), ".iram0.text", image::kSegmentExecutable});
  image::ImageBuildOptions options;
  options.entry_point = kIramAddress;
  options.flash_mode = spec.flash_mode;
  options.flash_size_freq = spec.flash_size_freq;
  return image::build_image(std::move(segments), options);
}

Bytes build_test_bootloader_image() {
  image::BootloaderDescriptor desc;
  desc.version = 1;
  desc.idf_version = "v5.5.1";
  desc.date_time = "Dec  2 2026 12:00:00";
  std::vector<image::SegmentInput> segments;
  segments.push_back({kBootloaderDescAddress, image::serialize_bootloader_descriptor(desc), ".dram0.bootdesc", 0});
  segments.push_back({kBootloaderTextAddress, filler(0x3000, 3), ".iram_loader.text", image::kSegmentExecutable});
  image::ImageBuildOptions options;
  options.entry_point = kBootloaderTextAddress;
  options.flash_mode = kFlashModeDio;
  options.flash_size_freq = kFlash8MbAt80Mhz;
  return image::build_image(std::move(segments), options);
}

}  // namespace espfab::service
