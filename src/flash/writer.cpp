#include "flash/writer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "flash/verify.hpp"
#include "loader/timeouts.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace espfab::flash {

namespace {

using loader::LoaderMode;
namespace commands = loader::commands;

std::chrono::milliseconds write_timeout(std::uint64_t bytes) {
  return loader::timeout_per_mb(loader::kEraseWriteTimeoutPerMb, bytes);
}

class RegionWriter {
 public:
  RegionWriter(loader::Session& session, const WriteOptions& options, CompressionCache& cache)
      : session_(session), client_(session.client()), options_(options), cache_(cache) {}

  RegionResult write(const PlannedWrite& write) {
    RegionResult result{write.label, write.address, write.size(), false, false, 0, {}};
    const auto start = std::chrono::steady_clock::now();
    ProgressReporter progress(options_.progress, "write-flash", write.label, write.size());
    if (options_.skip_unchanged && write.verify &&
        device_md5_hex(client_, write.address, write.size()) == write.md5_hex) {
      log::get("flash")->info("{}: already on the chip, skipped", write.label);
      result.skipped = true;
      progress.finish();
      result.elapsed = std::chrono::steady_clock::now() - start;
      return result;
    }
    const unsigned attempts = std::max(1u, options_.region_attempts);
    for (result.attempts = 1;; ++result.attempts) {
      result.wire_bytes += write.compress ? write_compressed(write, progress) : write_raw(write, progress);
      if (client_.mode() == LoaderMode::Stub) {
        // The stub writes the last block while the next command arrives: a cheap READ_REG waits for it.
        auto dummy = commands::read_reg(session_.description().registers.chip_detect_magic_reg);
        dummy.timeout = write_timeout(session_.flash_block() * 4ull);
        client_.command(dummy);
      }
      if (!write.verify) break;
      const std::string actual = device_md5_hex(client_, write.address, write.size());
      if (actual == write.md5_hex) {
        result.verified = true;
        break;
      }
      if (result.attempts >= attempts) {
        throw ProtocolError(
            "flash.verify_failed",
            fmt::format("MD5 of {} on the chip is {}, expected {} (written {} time{})", write.label, actual,
                        write.md5_hex, result.attempts, result.attempts == 1 ? "" : "s"),
            "the flash does not hold what was sent; check the link (cable, baud) and the module's flash");
      }
      log::get("flash")->warn("{}: MD5 on the chip is {}, expected {}: writing the region again ({} of {})",
                              write.label, actual, write.md5_hex, result.attempts + 1, attempts);
    }
    progress.finish();
    result.elapsed = std::chrono::steady_clock::now() - start;
    return result;
  }

 private:
  void send_block(const loader::Command& command, const PlannedWrite& write, std::uint32_t seq, std::uint64_t offset) {
    try {
      client_.command(command, options_.block_attempts);
    } catch (Error& error) {
      error.with_context(fmt::format("writing {} block {} (image offset 0x{:x}, flash 0x{:x})", write.label, seq,
                                     offset, write.address + offset));
      throw;
    }
  }

  std::uint64_t write_compressed(const PlannedWrite& write, ProgressReporter& progress) {
    const auto image = cache_.get(*write.data);
    const ByteView stream = image->compressed;
    const std::uint32_t block = session_.flash_block();
    const auto blocks = static_cast<std::uint32_t>((stream.size() + block - 1) / block);
    const bool rom = client_.mode() == LoaderMode::Rom;
    const std::uint32_t size =
        rom ? static_cast<std::uint32_t>(align_up(write.size(), session_.description().rom_flash_write_block))
            : write.size();
    const auto begin_timeout =
        rom ? loader::timeout_per_mb(loader::kEraseRegionTimeoutPerMb, write.size()) : loader::kDefaultTimeout;
    try {
      client_.command(commands::flash_defl_begin(size, blocks, block, write.address,
                                                 rom ? std::optional<bool>(false) : std::nullopt, begin_timeout));
    } catch (Error& error) {
      error.with_context("starting " + write.label);
      throw;
    }
    const double ratio = static_cast<double>(write.size()) / static_cast<double>(stream.size());
    for (std::uint32_t seq = 0; seq < blocks; ++seq) {
      const std::size_t offset = static_cast<std::size_t>(seq) * block;
      const auto chunk = stream.subspan(offset, std::min<std::size_t>(block, stream.size() - offset));
      // Uncompressed bytes this block (and, for the stub, the previous one still being written) stand for.
      const auto expands_to = static_cast<std::uint64_t>(static_cast<double>(chunk.size()) * ratio);
      send_block(commands::flash_defl_data(chunk, seq, write_timeout(expands_to * (rom ? 1 : 2))), write, seq,
                 static_cast<std::uint64_t>(static_cast<double>(offset) * ratio));
      progress.update(std::min<std::uint64_t>(
          write.size(), static_cast<std::uint64_t>(static_cast<double>(offset + chunk.size()) * ratio)));
    }
    return stream.size();
  }

  std::uint64_t write_raw(const PlannedWrite& write, ProgressReporter& progress) {
    const bool rom = client_.mode() == LoaderMode::Rom;
    const std::uint32_t block = session_.flash_block();
    const std::uint32_t blocks = (write.size() + block - 1) / block;
    const auto begin_timeout =
        rom ? loader::timeout_per_mb(loader::kEraseRegionTimeoutPerMb, write.size()) : loader::kDefaultTimeout;
    try {
      client_.command(commands::flash_begin(write.size(), blocks, block, write.address,
                                            rom ? std::optional<bool>(write.encrypt) : std::nullopt, begin_timeout));
    } catch (Error& error) {
      error.with_context("starting " + write.label);
      throw;
    }
    const ByteView data = *write.data;
    Bytes padded;
    for (std::uint32_t seq = 0; seq < blocks; ++seq) {
      const std::size_t offset = static_cast<std::size_t>(seq) * block;
      const auto chunk = data.subspan(offset, std::min<std::size_t>(block, data.size() - offset));
      padded.assign(chunk.begin(), chunk.end());
      padded.resize(block, 0xFF);
      const auto timeout = write_timeout(std::uint64_t{block} * (rom ? 1 : 2));
      const auto command = write.encrypt && !rom ? commands::flash_encrypt_data(padded, seq, timeout)
                                                 : commands::flash_data(padded, seq, timeout);
      send_block(command, write, seq, offset);
      progress.update(offset + chunk.size());
    }
    return std::uint64_t{blocks} * block;
  }

  loader::Session& session_;
  loader::LoaderClient& client_;
  const WriteOptions& options_;
  CompressionCache& cache_;
};

}  // namespace

std::vector<RegionResult> write_flash(loader::Session& session, const FlashPlan& plan, const WriteOptions& options) {
  session.prepare_flash();
  CompressionCache private_cache;
  CompressionCache& cache = options.cache != nullptr ? *options.cache : private_cache;
  RegionWriter writer(session, options, cache);
  std::vector<RegionResult> results;
  bool any_written = false;
  bool last_compressed = true;
  for (const auto& write : plan.writes) {
    results.push_back(writer.write(write));
    if (!results.back().skipped) {
      any_written = true;
      last_compressed = write.compress;
    }
  }
  auto& client = session.client();
  if (any_written && client.mode() == LoaderMode::Stub) {
    // Close the stub's write session without leaving the stub (esptool's end of write_flash).
    client.command(commands::flash_begin(0, 0, session.flash_block(), 0, std::nullopt, loader::kDefaultTimeout));
    client.command(last_compressed ? commands::flash_defl_end(false) : commands::flash_end(false));
  }
  return results;
}

}  // namespace espfab::flash
