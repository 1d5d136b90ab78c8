// RS(44,32) over GF(2^8) as the ESP32-S3 eFuse controller checks it for blocks 1..10: primitive
// polynomial 0x11D, generator alpha = 2, roots alpha^0..alpha^11, systematic (32 data bytes then
// 12 check bytes). docs/efuse-and-security-facts.md §3.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace espfab::emulator {

using RsCheckBytes = std::array<std::uint8_t, 12>;

RsCheckBytes rs_check_bytes(std::span<const std::uint8_t, 32> data);

}  // namespace espfab::emulator
