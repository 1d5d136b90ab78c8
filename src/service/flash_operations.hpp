// The flash operations of the CLI's device commands (write-flash, read-flash, erase-flash,
// erase-region) as one service each, on an open loader session. The flash size comes from the
// session (it told the loader with SPI_SET_PARAMS when it connected, as for the station).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "flash/plan.hpp"
#include "flash/reader.hpp"
#include "flash/writer.hpp"
#include "loader/session.hpp"
#include "util/bytes.hpp"

namespace espfab::service {

struct WriteFlashRequest {
  std::vector<flash::FlashRegion> regions;
  bool compress = true;
  bool skip_unchanged = false;
  ProgressCallback progress;
};

struct WriteFlashOutcome {
  std::vector<flash::RegionResult> regions;
  // Encrypted writes to a chip whose flash encryption is off: the chip will not boot them.
  bool encrypted_for_plain_chip = false;
};

// Every flash file of an ESP-IDF build directory (image/idf_build.hpp) as a region at its offset,
// as `idf.py flash` writes them; with `encrypt_marked` the files flasher_args.json marks
// `encrypted` are written through the chip's flash encryption, as `idf.py encrypted-flash` does.
// Throws BadInputError (idf_build.*; idf_build.wrong_chip for a build that is not for the ESP32-S3).
std::vector<flash::FlashRegion> idf_build_regions(const std::filesystem::path& build_dir, bool encrypt_marked);

// Checks the regions without a device first (call before connecting: bad input leaves the device
// untouched); throws the planner's BadInputError.
void check_flash_regions(const std::vector<flash::FlashRegion>& regions, bool compress);

// Plans against the attached flash's size and writes, verifying each region.
WriteFlashOutcome write_flash(loader::Session& session, const WriteFlashRequest& request);

Bytes read_flash(loader::Session& session, std::uint32_t address, std::uint32_t size, ProgressCallback progress);

// Erasing is refused (PolicyRefusalError cli.erase_refused) on a chip with flash encryption or
// Secure Boot on unless `force`: its firmware could not be written back in plain text (as
// esptool refuses).
void erase_flash(loader::Session& session, bool force);
void erase_region(loader::Session& session, std::uint32_t address, std::uint32_t size, bool force);

}  // namespace espfab::service
