// The ESP32-S3 flasher stub of the esptool-js 0.7.0 npm package, read at run time: a published
// stub the emulator recognises (src/emulator/known_stubs.hpp), never committed to espfab. ctest's
// fixture esptool_js_modules (tests/e2e/esptool-js) installs the package into the build tree.
#pragma once

#include <cstdint>
#include <filesystem>

#include "util/bytes.hpp"

namespace espfab::test {

struct StubFile {
  std::filesystem::path path;  // esptool's JSON format
  std::uint32_t entry = 0;
  std::uint32_t text_start = 0;
  std::uint32_t data_start = 0;
  Bytes text;
  Bytes data;
};

// Throws std::runtime_error (naming the ctest fixture to run) when the package is not installed.
const StubFile& esptool_js_stub();

}  // namespace espfab::test
