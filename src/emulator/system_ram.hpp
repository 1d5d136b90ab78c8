// The ESP32-S3's internal SRAM as the loader reaches it: the IRAM and DRAM regions of the chip's
// memory map (chip/esp32s3.hpp), byte-addressable. MEM_BEGIN/MEM_DATA store into it, READ_REG/
// WRITE_REG see it, and MEM_END's stub recognition hashes it (known_stubs.hpp).
//
// Model: IRAM and DRAM are separate stores (the chip maps part of one SRAM through both buses;
// that aliasing is not modelled). Pages are allocated on first write, so 256 idle devices cost
// nothing; bytes never written read 0. A chip reset clears everything (real SRAM keeps
// unspecified contents across a reset; nothing may rely on them).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "util/bytes.hpp"

namespace espfab::emulator {

class SystemRam {
 public:
  static constexpr std::uint32_t kPageSize = 0x1000;

  // True when [address, address + size) lies inside one modelled region (IRAM or DRAM).
  static bool contains(std::uint32_t address, std::uint32_t size = 1) noexcept;

  std::uint32_t read_word(std::uint32_t address) const;  // little-endian; needs contains(address, 4)
  void write_word(std::uint32_t address, std::uint32_t value);
  // Needs contains(address, size); anything else is ignored (callers check first).
  void write(std::uint32_t address, ByteView bytes);
  Bytes read(std::uint32_t address, std::uint32_t size) const;
  void clear() noexcept { pages_.clear(); }

 private:
  using Page = std::array<std::uint8_t, kPageSize>;
  std::uint8_t byte(std::uint32_t address) const;
  std::unordered_map<std::uint32_t, std::unique_ptr<Page>> pages_;
};

}  // namespace espfab::emulator
