// An ESP-IDF build directory as input: what `idf.py build` leaves behind and `idf.py flash` reads.
//   flasher_args.json           every flash file with its offset and `encrypted` flag, the flash
//                               mode/freq/size, the chip (extra_esptool_args.chip)
//   project_description.json    project name and version, target
//   config/sdkconfig.json       the build's configuration, keys without the CONFIG_ prefix
// Paths in flasher_args.json are relative to the build directory. docs/idf-build.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace espfab::image {

struct IdfFlashFile {
  std::string name;  // "bootloader", "app", "partition-table", "otadata", "storage", ... ("" if only in flash_files)
  std::uint32_t offset = 0;
  std::filesystem::path file;  // absolute (build dir joined)
  bool encrypted = false;      // written through flash encryption by `idf.py encrypted-flash`
};

// An sdkconfig.json value: y/n options are bools, int and hex options numbers, the rest strings.
using SdkconfigValue = std::variant<bool, std::int64_t, std::string>;

struct IdfBuild {
  std::filesystem::path dir;
  std::string chip;  // "esp32s3"
  std::string flash_mode;
  std::string flash_freq;
  std::string flash_size;  // "8MB", or "detect"/"keep"
  std::string project_name;
  std::string project_version;
  std::optional<IdfFlashFile> bootloader;
  std::optional<IdfFlashFile> partition_table;
  std::optional<IdfFlashFile> app;
  std::optional<IdfFlashFile> otadata;  // ota_data_initial.bin: the station writes its own
  std::vector<IdfFlashFile> data;       // every other flash file (SPIFFS, FAT, LittleFS, models ...)
  std::map<std::string, SdkconfigValue> sdkconfig;

  // sdkconfig lookups; nullopt when the key is absent (an option that is off is often absent).
  std::optional<bool> flag(const std::string& key) const;
  std::optional<std::int64_t> number(const std::string& key) const;
  std::optional<std::string> text(const std::string& key) const;
};

// Reads the three files. Throws BadInputError naming the file and key: "idf_build.missing_file"
// (not a build directory, or not built yet), "idf_build.bad_json", "idf_build.bad_entry" (an
// offset that is not a number, a file that does not exist, an `encrypted` that is not
// "true"/"false"). project_description.json and sdkconfig.json may be missing (older builds): then
// their fields stay empty and every sdkconfig check reports the key as unknown.
IdfBuild read_idf_build(const std::filesystem::path& dir);

}  // namespace espfab::image
