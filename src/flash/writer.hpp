// Executes a FlashPlan on one chip: compressed (FLASH_DEFL_*), raw (FLASH_*) or chip-encrypted
// writes, then an MD5 check of every region that can be checked. Regions whose MD5 on the chip
// already matches can be skipped (re-work). Reports progress per region.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "flash/compressed_cache.hpp"
#include "flash/plan.hpp"
#include "loader/session.hpp"
#include "util/progress.hpp"

namespace espfab::flash {

struct WriteOptions {
  bool skip_unchanged = false;
  ProgressCallback progress;          // "write-flash" events per region, bytes of the image
  CompressionCache* cache = nullptr;  // shared across fixtures; a private one is used when null
  unsigned block_attempts = 3;        // per data block, for checksum errors and lost replies
  // Per region: a region whose MD5 does not match after writing is written again. A noisy link can
  // flip two bits of a block in the same position, which the loader's XOR checksum cannot see (more
  // likely in the stub's 16 KiB blocks than in the ROM's 1 KiB ones); the MD5 sees it.
  unsigned region_attempts = 2;
};

struct RegionResult {
  std::string label;
  std::uint32_t address = 0;
  std::uint32_t size = 0;
  bool skipped = false;          // MD5 already matched
  bool verified = false;         // MD5 checked after writing
  std::uint64_t wire_bytes = 0;  // payload bytes sent (compressed when compressing), every attempt
  unsigned attempts = 0;         // writes of the region (more than 1 after an MD5 mismatch)
  std::chrono::steady_clock::duration elapsed{};
};

// Throws on the first failing region; the error's context names the region and the offset.
std::vector<RegionResult> write_flash(loader::Session& session, const FlashPlan& plan, const WriteOptions& options);

}  // namespace espfab::flash
