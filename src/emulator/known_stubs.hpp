// The published ESP32-S3 flasher stubs the virtual chip can run, each recognised by the SHA-256 of
// its text and data segments at their load addresses and by its entry point. MEM_END with any
// other entry point runs code the emulator does not know (virtual_device.hpp: silence, then a
// watchdog reset). The stubs themselves are never part of espfab; these are facts about them:
// - esptool v4.8.1 esptool/targets/stub_flasher/1/esp32s3.json (the default, esptool-legacy-flasher-stub 1.3.0)
// - esptool v4.8.1 esptool/targets/stub_flasher/2/esp32s3.json (`--stub-version 2`, esp-flasher-stub)
// - esptool-js 0.7.0 (npm) lib/targets/stub_flasher/esp32s3.json
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "emulator/system_ram.hpp"

namespace espfab::emulator {

struct KnownStub {
  std::string_view name;
  std::uint32_t entry;
  std::uint32_t text_start;
  std::uint32_t text_size;
  std::string_view text_sha256;  // lowercase hex
  std::uint32_t data_start;
  std::uint32_t data_size;
  std::string_view data_sha256;
};

inline constexpr std::array<KnownStub, 3> kPublishedStubs{{
    {"esptool v4.8.1 stub 1", 0x40378A80, 0x40378000, 5292,
     "14ab7c0beb0520624f7c14f4547f9c42657e651f50c19106cb510477751c8e29", 0x3FCB2BFC, 252,
     "0ed9e45f3c15a144281066dc7c50db6ae4e936bad0fea257d7453a6ec16752f5"},
    {"esptool v4.8.1 stub 2", 0x4037AFA4, 0x40378000, 13864,
     "af2c211be160d0711309204998c2e29fbf5fea5f2ad08e293cea3063172e5717", 0x3FC90020, 3952,
     "46a502201d1f1b22aea5da028b40fcb63064fa79be2a60a5538ac0c580e88ece"},
    {"esptool-js 0.7.0", 0x40379524, 0x40378000, 7832,
     "c37a7d12d52633fd629fbed13f3a7418216af368d8e80f17853ce6de29741374", 0x3FCB2DC0, 264,
     "75be8e20e5c91b2b92cd02be9abe2462436648780e4878ea173598c5ed14df93"},
}};

// The stub of `catalogue` that RAM holds and `entry` starts, or null.
const KnownStub* recognise_stub(std::span<const KnownStub> catalogue, const SystemRam& ram, std::uint32_t entry);

}  // namespace espfab::emulator
