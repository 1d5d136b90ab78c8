// Reed-Solomon RS(44,32) as espefuse applies it to ESP32-S3 eFuse blocks 1..10 (docs/efuse-and-security-facts.md
// §3): GF(2^8) with polynomial 0x11D, generator 2, first root
// alpha^0, 12 check bytes after the 32 data bytes (systematic). Host side only; the emulator has its
// own implementation so each is checked against Espressif's vectors, not against the other.
#pragma once

#include <array>
#include <cstdint>

#include "util/bytes.hpp"

namespace espfab::security {

inline constexpr std::size_t kRsDataBytes = 32;
inline constexpr std::size_t kRsCheckBytes = 12;

using RsCheckBytes = std::array<std::uint8_t, kRsCheckBytes>;
using RsCheckWords = std::array<std::uint32_t, kRsCheckBytes / 4>;

// The 12 check bytes of a 32-byte block (block byte order: byte 0 = PGM_DATA0 bits [7:0]).
RsCheckBytes rs_encode(ByteView block32);
// The same as the three words written to EFUSE_CHECK_VALUE0..2 (little-endian).
RsCheckWords rs_check_words(ByteView block32);

}  // namespace espfab::security
