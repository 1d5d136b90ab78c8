// Erasing flash: the whole chip or a 4 KiB-aligned region. Only the stub has these commands; in
// ROM mode the error says so before anything is sent.
#pragma once

#include <cstdint>

#include "loader/session.hpp"

namespace espfab::flash {

// BadInputError flash.erase_needs_stub in ROM mode.
void erase_flash(loader::Session& session);
// BadInputError flash.unaligned_erase when address or size is not a multiple of 4096.
void erase_region(loader::Session& session, std::uint32_t address, std::uint32_t size);

}  // namespace espfab::flash
