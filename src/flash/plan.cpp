#include "flash/plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "flash/compressed_cache.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::flash {

std::uint64_t FlashPlan::total_bytes() const {
  std::uint64_t total = 0;
  for (const auto& write : writes) total += write.size();
  return total;
}

bool worth_compressing(ByteView data) {
  constexpr std::size_t kSample = std::size_t{16} * 1024;
  constexpr std::size_t kSamples = 4;
  constexpr std::size_t kPercentWorthIt = 97;
  if (data.size() <= kSample * kSamples) {
    return zlib_compress(data, 1).size() * 100 < data.size() * kPercentWorthIt;
  }
  std::size_t sampled = 0;
  std::size_t compressed = 0;
  const std::size_t stride = (data.size() - kSample) / (kSamples - 1);
  for (std::size_t i = 0; i < kSamples; ++i) {
    const ByteView piece = data.subspan(i * stride, kSample);
    sampled += piece.size();
    compressed += zlib_compress(piece, 1).size();
  }
  return compressed * 100 < sampled * kPercentWorthIt;
}

FlashPlan plan_writes(const std::vector<FlashRegion>& regions, const PlanOptions& options) {
  if (regions.empty()) {
    throw BadInputError("flash.no_regions", "nothing to write", "give at least one ADDRESS FILE pair");
  }
  const std::uint32_t sector = options.chip->flash_sector_size;
  FlashPlan plan;
  for (const auto& region : regions) {
    const std::string label = fmt::format("{} @0x{:x}", region.name, region.address);
    if (!region.data || region.data->empty()) {
      throw BadInputError("flash.empty_region", fmt::format("{} is empty", label), "check the file");
    }
    if (region.address % sector != 0) {
      throw BadInputError("flash.unaligned_address", fmt::format("{} does not start on a 4 KiB sector boundary", label),
                          fmt::format("flash is erased in 4 KiB sectors; use 0x{:x} or 0x{:x}",
                                      region.address / sector * sector, (region.address / sector + 1) * sector));
    }
    auto data = region.data;
    if (data->size() % 4 != 0) {
      auto padded = std::make_shared<Bytes>(*data);
      padded->resize(align_up(padded->size(), 4), 0xFF);
      data = std::move(padded);
    }
    const std::uint64_t end = std::uint64_t{region.address} + data->size();
    if (end > 0xFFFFFFFFull || (options.flash_size && end > *options.flash_size)) {
      throw BadInputError(
          "flash.region_beyond_flash",
          fmt::format("{} ({} bytes) ends at 0x{:x}, beyond the {} flash", label, data->size(), end,
                      options.flash_size ? fmt::format("{} KiB", *options.flash_size / 1024) : std::string("4 GiB")),
          "check the address, or the module's flash size");
    }
    PlannedWrite write;
    write.address = region.address;
    write.data = data;
    write.label = label;
    write.encrypt = region.encrypt;
    write.compress = options.compress && !region.encrypt;
    if (write.compress && !worth_compressing(*data)) {
      write.compress = false;
      write.incompressible = true;
    }
    write.verify = !region.encrypt;
    write.md5_hex = to_hex(crypto::md5(*data));
    plan.writes.push_back(std::move(write));
  }
  std::sort(plan.writes.begin(), plan.writes.end(),
            [](const PlannedWrite& a, const PlannedWrite& b) { return a.address < b.address; });
  for (std::size_t i = 1; i < plan.writes.size(); ++i) {
    const auto& before = plan.writes[i - 1];
    const auto& after = plan.writes[i];
    if (before.end() > after.address) {
      throw BadInputError("flash.overlapping_regions",
                          fmt::format("{} (up to 0x{:x}) overlaps {}", before.label, before.end(), after.label),
                          "move one of the files, or merge them into one image first");
    }
  }
  return plan;
}

}  // namespace espfab::flash
