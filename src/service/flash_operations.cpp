#include "service/flash_operations.hpp"

#include <fmt/format.h>

#include "chip/esp32s3.hpp"
#include "flash/erase.hpp"
#include "image/idf_build.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

void check_erase_allowed(const loader::Session& session, bool force) {
  const auto& security = session.chip().security;
  if (force || !security) return;
  if (security->flash_encryption_enabled() || security->secure_boot_enabled()) {
    throw PolicyRefusalError(
        "cli.erase_refused", "flash encryption or Secure Boot is active; erasing is refused as a safety measure",
        "the device could not be re-flashed with plain-text firmware; pass --force if you are sure");
  }
}

}  // namespace

std::vector<flash::FlashRegion> idf_build_regions(const std::filesystem::path& build_dir, bool encrypt_marked) {
  const auto build = image::read_idf_build(build_dir);
  if (build.chip != chip::kEsp32s3.esptool_name) {
    throw BadInputError("idf_build.wrong_chip",
                        fmt::format("{} is a build for '{}', not for the ESP32-S3", build_dir.string(),
                                    build.chip.empty() ? "an unknown chip" : build.chip),
                        "set the target with `idf.py set-target esp32s3` and rebuild");
  }
  std::vector<const image::IdfFlashFile*> files;
  for (const auto* file : {&build.bootloader, &build.partition_table, &build.otadata, &build.app}) {
    if (*file) files.push_back(&**file);
  }
  for (const auto& file : build.data) files.push_back(&file);
  std::vector<flash::FlashRegion> regions;
  regions.reserve(files.size());
  for (const auto* file : files) {
    regions.push_back({file->offset, std::make_shared<Bytes>(read_file(file->file)), file->file.filename().string(),
                       encrypt_marked && file->encrypted});
  }
  return regions;
}

void check_flash_regions(const std::vector<flash::FlashRegion>& regions, bool compress) {
  flash::PlanOptions options;
  options.compress = compress;
  flash::plan_writes(regions, options);  // the flash size is not known yet
}

WriteFlashOutcome write_flash(loader::Session& session, const WriteFlashRequest& request) {
  WriteFlashOutcome outcome;
  const auto& security = session.chip().security;
  for (const auto& region : request.regions) {
    if (region.encrypt && security && !security->flash_encryption_enabled()) outcome.encrypted_for_plain_chip = true;
  }
  flash::PlanOptions plan_options;
  plan_options.compress = request.compress;
  plan_options.flash_size = session.flash_size();
  plan_options.chip = &session.description();
  const auto plan = flash::plan_writes(request.regions, plan_options);
  flash::WriteOptions write_options;
  write_options.skip_unchanged = request.skip_unchanged;
  write_options.progress = request.progress;
  outcome.regions = flash::write_flash(session, plan, write_options);
  return outcome;
}

Bytes read_flash(loader::Session& session, std::uint32_t address, std::uint32_t size, ProgressCallback progress) {
  flash::ReadOptions options;
  options.progress = std::move(progress);
  return flash::read_flash(session, address, size, options);
}

void erase_flash(loader::Session& session, bool force) {
  check_erase_allowed(session, force);
  flash::erase_flash(session);
}

void erase_region(loader::Session& session, std::uint32_t address, std::uint32_t size, bool force) {
  check_erase_allowed(session, force);
  flash::erase_region(session, address, size);
}

}  // namespace espfab::service
