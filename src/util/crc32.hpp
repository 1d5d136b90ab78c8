// CRC-32 over the reflected polynomial 0xEDB88320, in the two forms ESP-IDF's tools use.
#pragma once

#include <cstdint>

#include "util/bytes.hpp"

namespace espfab {

// zlib's crc32(seed, data): the register starts at ~seed and the result is inverted, so results
// chain (crc32_update(crc32_update(s, a), b) == crc32_update(s, a + b)). Standard CRC-32 is seed 0.
std::uint32_t crc32_update(std::uint32_t seed, ByteView data);

// What ESP-IDF's generators compute with zlib.crc32(data, 0xFFFFFFFF) and the chip with
// esp_rom_crc32_le(0xFFFFFFFF, ...): register starting at 0, final XOR 0xFFFFFFFF. Used by NVS
// pages/entries, nvs_keys and esp_secure_cert TLVs. Check value for "123456789": 0xD202D277
// (standard CRC-32 gives 0xCBF43926).
inline std::uint32_t crc32_esp(ByteView data) { return crc32_update(0xFFFFFFFFu, data); }

}  // namespace espfab
