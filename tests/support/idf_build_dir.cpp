#include "support/idf_build_dir.hpp"

#include <fmt/format.h>

#include "util/file_io.hpp"

namespace espfab::test {
namespace {

nlohmann::json entry(std::uint32_t offset, const std::string& file, bool encrypted) {
  return {{"offset", fmt::format("0x{:x}", offset)}, {"file", file}, {"encrypted", encrypted ? "true" : "false"}};
}

void put(const std::filesystem::path& dir, const std::string& file, const Bytes& data) {
  std::filesystem::create_directories((dir / file).parent_path());
  write_file_atomic(dir / file, data);
}

}  // namespace

nlohmann::json secure_sdkconfig() {
  return {{"IDF_TARGET", "esp32s3"},
          {"ESPTOOLPY_FLASHSIZE", "8MB"},
          {"SECURE_BOOT", true},
          {"SECURE_BOOT_V2_ENABLED", true},
          {"SECURE_BOOT_BUILD_SIGNED_BINARIES", true},
          {"SECURE_FLASH_ENC_ENABLED", true},
          {"SECURE_FLASH_ENCRYPTION_MODE_RELEASE", true},
          {"SECURE_FLASH_ENCRYPTION_AES128", true},
          {"BOOTLOADER_APP_ANTI_ROLLBACK", false},
          {"PARTITION_TABLE_OFFSET", 0x8000}};
}

void write_idf_build_dir(const std::filesystem::path& dir, const IdfBuildSpec& spec) {
  const std::string app_file = spec.project_name + ".bin";
  put(dir, "bootloader/bootloader.bin", spec.bootloader);
  put(dir, "partition_table/partition-table.bin", spec.partition_table);
  put(dir, app_file, spec.app);
  nlohmann::json args;
  args["write_flash_args"] = {"--flash_mode",  spec.flash_mode, "--flash_size",
                              spec.flash_size, "--flash_freq",  spec.flash_freq};
  args["flash_settings"] = {
      {"flash_mode", spec.flash_mode}, {"flash_size", spec.flash_size}, {"flash_freq", spec.flash_freq}};
  nlohmann::json files = nlohmann::json::object();
  const auto add = [&](const std::string& key, std::uint32_t offset, const std::string& file, bool encrypted) {
    files[fmt::format("0x{:x}", offset)] = file;
    args[key] = entry(offset, file, encrypted);
  };
  add("bootloader", 0x0, "bootloader/bootloader.bin", spec.encrypted);
  add("partition-table", 0x8000, "partition_table/partition-table.bin", spec.encrypted);
  if (spec.otadata_offset != 0) {
    put(dir, "ota_data_initial.bin", Bytes(0x2000, 0xFF));
    add("otadata", spec.otadata_offset, "ota_data_initial.bin", spec.encrypted);
  }
  add("app", spec.app_offset, app_file, spec.encrypted);
  for (const auto& data : spec.data) {
    put(dir, data.file, data.data);
    add(data.name, data.offset, data.file, data.encrypted);
  }
  args["flash_files"] = files;
  args["extra_esptool_args"] = {
      {"after", "hard_reset"}, {"before", "default_reset"}, {"stub", true}, {"chip", spec.target}};
  write_text_file_atomic(dir / "flasher_args.json", args.dump(4));
  const nlohmann::json description{{"project_name", spec.project_name},
                                   {"project_version", "1.0.0"},
                                   {"target", spec.target},
                                   {"app_bin", app_file},
                                   {"build_dir", dir.string()}};
  write_text_file_atomic(dir / "project_description.json", description.dump(4));
  std::filesystem::create_directories(dir / "config");
  write_text_file_atomic(dir / "config" / "sdkconfig.json", spec.sdkconfig.dump(4));
}

}  // namespace espfab::test
