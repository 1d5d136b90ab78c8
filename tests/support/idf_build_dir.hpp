// A directory shaped exactly like an ESP-IDF build (what `idf.py build` leaves for `idf.py flash`):
// bootloader/bootloader.bin, partition_table/partition-table.bin, <project>.bin,
// ota_data_initial.bin, data images, flasher_args.json, project_description.json and
// config/sdkconfig.json, written from images the test made (espfab's own builders). The JSON
// files have the keys and value types ESP-IDF v5 writes (offsets as "0x..." strings, `encrypted`
// as "true"/"false" strings, sdkconfig keys without the CONFIG_ prefix).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/bytes.hpp"

namespace espfab::test {

struct IdfBuildFile {
  std::string name;  // the flasher_args.json key: "storage"
  std::uint32_t offset = 0;
  std::string file;  // relative to the build dir
  Bytes data;
  bool encrypted = false;
};

struct IdfBuildSpec {
  std::string project_name = "my-product";
  std::string target = "esp32s3";
  std::string flash_mode = "dio";
  std::string flash_freq = "80m";
  std::string flash_size = "8MB";
  Bytes bootloader;
  Bytes partition_table;  // binary
  Bytes app;
  std::uint32_t app_offset = 0x20000;
  std::uint32_t otadata_offset = 0;  // 0: no otadata
  std::vector<IdfBuildFile> data;
  nlohmann::json sdkconfig = nlohmann::json::object();
  // Production defaults: every file but the bootloader's and table's encryption decided by flags.
  bool encrypted = false;  // the `encrypted` flag of the bootloader, table, otadata and app
};

// The sdkconfig.json of a build for the ESP32-S3 with Secure Boot V2 and flash encryption in
// release mode (XTS-AES-128), 8 MB flash: what a product built for a locked chip has.
nlohmann::json secure_sdkconfig();

void write_idf_build_dir(const std::filesystem::path& dir, const IdfBuildSpec& spec);

}  // namespace espfab::test
