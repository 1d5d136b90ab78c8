#include "emulator/system_ram.hpp"

#include <algorithm>
#include <string_view>

#include "chip/esp32s3.hpp"

namespace espfab::emulator {
namespace {

constexpr chip::MemoryRegion region(std::string_view name) {
  for (const auto& r : chip::kEsp32s3.memory_map) {
    if (r.name == name) return r;
  }
  return {0, 0, name};
}

constexpr std::array<chip::MemoryRegion, 2> kRegions{region("IRAM"), region("DRAM")};
static_assert(kRegions[0].end > kRegions[0].start && kRegions[1].end > kRegions[1].start,
              "the ESP32-S3 memory map names IRAM and DRAM");

}  // namespace

bool SystemRam::contains(std::uint32_t address, std::uint32_t size) noexcept {
  const std::uint64_t end = std::uint64_t{address} + size;
  return std::any_of(kRegions.begin(), kRegions.end(),
                     [&](const chip::MemoryRegion& r) { return address >= r.start && end <= r.end; });
}

std::uint8_t SystemRam::byte(std::uint32_t address) const {
  const auto it = pages_.find(address / kPageSize);
  return it == pages_.end() ? 0 : (*it->second)[address % kPageSize];
}

std::uint32_t SystemRam::read_word(std::uint32_t address) const {
  std::uint32_t value = 0;
  for (std::uint32_t i = 0; i < 4; ++i) value |= static_cast<std::uint32_t>(byte(address + i)) << (8 * i);
  return value;
}

void SystemRam::write_word(std::uint32_t address, std::uint32_t value) {
  std::uint8_t bytes[4];
  for (std::uint32_t i = 0; i < 4; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
  write(address, ByteView(bytes, 4));
}

void SystemRam::write(std::uint32_t address, ByteView bytes) {
  if (!contains(address, static_cast<std::uint32_t>(bytes.size()))) return;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const std::uint32_t at = address + static_cast<std::uint32_t>(done);
    auto& page = pages_[at / kPageSize];
    if (!page) page = std::make_unique<Page>(Page{});
    const std::size_t offset = at % kPageSize;
    const std::size_t count = std::min(bytes.size() - done, kPageSize - offset);
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(done), count,
                page->begin() + static_cast<std::ptrdiff_t>(offset));
    done += count;
  }
}

Bytes SystemRam::read(std::uint32_t address, std::uint32_t size) const {
  Bytes out(size);
  for (std::uint32_t i = 0; i < size; ++i) out[i] = byte(address + i);
  return out;
}

}  // namespace espfab::emulator
