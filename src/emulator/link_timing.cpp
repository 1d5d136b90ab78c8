#include "emulator/link_timing.hpp"

#include <algorithm>

namespace espfab::emulator {
namespace {

constexpr std::uint64_t kBitsPerByte = 10;  // start + 8 data + stop
constexpr std::uint64_t kMiB = std::uint64_t{1024} * 1024;

}  // namespace

LinkTiming::Duration LinkTiming::wire_time(std::size_t bytes, std::uint32_t baud) {
  if (baud == 0) return Duration::zero();
  const std::uint64_t bits = std::uint64_t{bytes} * kBitsPerByte;
  return std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(bits * 1'000'000'000ULL / baud));
}

LinkTiming::Duration LinkTiming::flash_time(const FlashActivity& before, const FlashActivity& after) const {
  const std::uint64_t sectors = after.sectors_erased - before.sectors_erased;
  const std::uint64_t programmed = after.bytes_programmed - before.bytes_programmed;
  const std::uint64_t chips = after.chip_erases - before.chip_erases;
  const std::uint64_t blocks = after.blocks_erased - before.blocks_erased;
  std::chrono::nanoseconds total = config_.sector_erase * static_cast<std::int64_t>(sectors) +
                                   config_.block_erase * static_cast<std::int64_t>(blocks);
  if (config_.program_bytes_per_second != 0) {
    total += std::chrono::nanoseconds(programmed * 1'000'000'000ULL / config_.program_bytes_per_second);
  }
  const auto chip_erase = std::chrono::duration_cast<std::chrono::nanoseconds>(config_.chip_erase_per_mib) *
                          static_cast<std::int64_t>(flash_size_) / static_cast<std::int64_t>(kMiB);
  total += chip_erase * static_cast<std::int64_t>(chips);
  return std::chrono::duration_cast<Duration>(total);
}

LinkTiming::TimePoint LinkTiming::receive(TimePoint now, std::size_t bytes, std::uint32_t baud) {
  const TimePoint begin = std::max(rx_free_, now);
  rx_free_ = begin + wire_time(bytes, baud);
  busy_.add(begin, rx_free_);
  return rx_free_;
}

LinkTiming::TimePoint LinkTiming::handle(TimePoint received, Duration work, bool reply_before_work) {
  const TimePoint start = std::max(received, busy_until_);
  busy_until_ = start + work;
  const TimePoint ready = (reply_before_work ? start : busy_until_) + config_.turnaround;
  busy_.add(start, std::max(busy_until_, ready));
  return ready;
}

LinkTiming::TimePoint LinkTiming::transmit(TimePoint ready, std::size_t bytes, std::uint32_t baud) {
  const TimePoint begin = std::max(tx_free_, ready);
  tx_free_ = begin + wire_time(bytes, baud);
  busy_.add(begin, tx_free_);
  return tx_free_;
}

void LinkTiming::reset(TimePoint now) {
  rx_free_ = now;
  busy_until_ = now;
  tx_free_ = now;
}

}  // namespace espfab::emulator
