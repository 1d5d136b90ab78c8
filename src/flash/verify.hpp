// SPI_FLASH_MD5 of a flash range as lowercase hex, whichever loader answers (ROM: 32 hex
// characters, stub: 16 raw bytes).
#pragma once

#include <cstdint>
#include <string>

#include "loader/client.hpp"

namespace espfab::flash {

std::string device_md5_hex(loader::LoaderClient& client, std::uint32_t address, std::uint32_t size);

}  // namespace espfab::flash
