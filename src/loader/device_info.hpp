// Facts read from the chip through registers: the base MAC (docs/serial-protocol.md §5.2) and the SPI flash JEDEC id
// (docs/serial-protocol.md §5.4, RDID through the SPI1 user-command registers).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "chip/chip_description.hpp"
#include "loader/client.hpp"

namespace espfab::loader {

using MacAddress = std::array<std::uint8_t, 6>;

// MAC bytes = [w1 b15..8, w1 b7..0, w0 b31..24, w0 b23..16, w0 b15..8, w0 b7..0]; bits 31..16 of
// w1 are not MAC bits.
MacAddress mac_from_efuse_words(std::uint32_t w0, std::uint32_t w1);
std::string format_mac(const MacAddress& mac);  // "7c:df:a1:00:11:22"
MacAddress read_mac(LoaderClient& client, const chip::ChipDescription& chip);

// Runs one SPI flash command through SPI1's user registers and returns up to 32 MISO bits (W0).
// Restores USER/USER2 afterwards. Throws TimeoutError when the command does not complete.
std::uint32_t run_spiflash_command(LoaderClient& client, const chip::ChipDescription& chip, std::uint8_t opcode,
                                   unsigned miso_bits);

// JEDEC id as esptool reports it: byte0 manufacturer, byte1 memory type, byte2 capacity code.
std::uint32_t read_flash_id(LoaderClient& client, const chip::ChipDescription& chip);

// Flash size in bytes from the capacity code (id >> 16); empty when the code is unknown.
std::optional<std::uint32_t> flash_size_from_id(std::uint32_t flash_id);

}  // namespace espfab::loader
