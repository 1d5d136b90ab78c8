#include "flash/erase.hpp"

#include <fmt/format.h>

#include "flash/plan.hpp"
#include "util/error.hpp"

namespace espfab::flash {

namespace {

void require_stub(const loader::Session& session, const char* what) {
  if (!session.stub_running()) {
    throw BadInputError("flash.erase_needs_stub",
                        fmt::format("{} needs the flasher stub; the ESP32-S3 ROM loader has no erase command", what),
                        "use the flasher stub: leave out --no-stub (run scripts/setup if `espfab --version` finds "
                        "none) or pass --stub FILE; or overwrite the area with write-flash");
  }
}

}  // namespace

void erase_flash(loader::Session& session) {
  require_stub(session, "erasing the whole flash");
  session.prepare_flash();
  session.client().command(loader::commands::erase_flash());
}

void erase_region(loader::Session& session, std::uint32_t address, std::uint32_t size) {
  const std::uint32_t sector = session.description().flash_sector_size;
  if (address % sector != 0 || size % sector != 0 || size == 0) {
    throw BadInputError("flash.unaligned_erase",
                        fmt::format("erase region 0x{:x}+0x{:x} is not a whole number of 4 KiB sectors", address, size),
                        "use an address and a size that are multiples of 0x1000");
  }
  require_stub(session, "erasing a region");
  session.prepare_flash();
  session.client().command(loader::commands::erase_region(address, size));
}

}  // namespace espfab::flash
