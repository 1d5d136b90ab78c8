// The ESP-IDF 2nd-stage bootloader as the station sees it on the console (docs/boot-behaviour.md
// §2, checklist items 7-13): start-up lines, the partition table read
// through the cache and printed, the boot partition chosen from otadata, the app image verified
// (magic, chip id, segments, checksum, and the appended SHA-256 or, with Secure Boot, the RSA-PSS
// signature against the unrevoked eFuse digests), the steady-state Secure Boot and flash-encryption
// lines. First-boot enabling by the bootloader (checklist 14-16) is not modelled: the station
// burns and encrypts from the host.
#pragma once

#include <cstdint>
#include <optional>

#include "emulator/boot_console.hpp"
#include "emulator/boot_context.hpp"
#include "emulator/boot_rom.hpp"
#include "image/app_image.hpp"
#include "image/partition_table.hpp"

namespace espfab::emulator {

struct LoadedApp {
  std::uint32_t offset = 0;  // partition offset
  image::AppImage image;     // parsed from the decrypted partition contents
  image::PartitionTable table;
};

// Prints the bootloader's lines; the app that starts, or nothing (the chip would reset).
std::optional<LoadedApp> run_second_stage(const BootContext& context, BootConsole& console,
                                          std::uint32_t partition_table_offset = kDefaultPartitionTableOffset);

// otadata (two 32-byte esp_ota_select_entry_t, at +0 and +0x1000): the OTA slot to boot, if any
// entry is valid (CRC over ota_seq with init 0xFFFFFFFF; largest sequence wins).
std::optional<unsigned> select_ota_slot(ByteView otadata, unsigned ota_app_count);

}  // namespace espfab::emulator
