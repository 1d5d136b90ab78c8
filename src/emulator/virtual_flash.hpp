// The SPI NOR flash of a virtual device: a file mapped into memory (or anonymous memory for
// tests), so every write is on disk without an explicit save and survives emulator restarts.
//
// Semantics are those of NOR flash: erase sets whole 4 KiB sectors to 0xFF; program can only
// clear bits (new = old AND data). Writing over unerased data therefore corrupts it, as on a
// real chip; esptool's and the stub's flows always erase first (ROM FLASH_BEGIN erases up front,
// the stub erases each sector before it writes it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "chip/esp32s3.hpp"
#include "emulator/unique_mapping.hpp"
#include "util/bytes.hpp"
#include "util/unique_fd.hpp"

namespace espfab::emulator {

// What the flash chip has done since it was opened; the link model turns differences of these
// into erase and program time.
struct FlashActivity {
  std::uint64_t sectors_erased = 0;    // 4 KiB sector erases
  std::uint64_t bytes_programmed = 0;  // page-program bytes
  std::uint64_t chip_erases = 0;       // whole-chip erases
  std::uint64_t blocks_erased = 0;     // 64 KiB block erases
};

class VirtualFlash {
 public:
  static constexpr std::uint32_t kSectorSize = chip::kEsp32s3.flash_sector_size;
  static constexpr std::uint32_t kBlockSize = 0x10000;  // the 64 KiB block erase (opcode D8h)

  // Anonymous memory, erased (all 0xFF).
  explicit VirtualFlash(std::uint32_t size);
  // File-backed: created erased if missing; an existing file keeps its contents and must have
  // exactly `size` bytes (throws BadInputError otherwise, IoError on OS failures).
  VirtualFlash(const std::filesystem::path& path, std::uint32_t size);
  ~VirtualFlash();
  VirtualFlash(const VirtualFlash&) = delete;
  VirtualFlash& operator=(const VirtualFlash&) = delete;
  VirtualFlash(VirtualFlash&&) = delete;
  VirtualFlash& operator=(VirtualFlash&&) = delete;

  std::uint32_t size() const noexcept { return size_; }
  bool in_range(std::uint64_t offset, std::uint64_t length) const noexcept {
    return offset <= size_ && length <= size_ - offset;
  }

  // All of these require in_range (they throw BadInputError otherwise).
  ByteView view(std::uint32_t offset, std::uint32_t length) const;
  // Erases every sector that [offset, offset + length) touches.
  void erase(std::uint32_t offset, std::uint32_t length);
  // Erases the 64 KiB block starting at `offset` (must be block-aligned) in one operation.
  void erase_block(std::uint32_t offset);
  void erase_all();
  void program(std::uint32_t offset, ByteView data);  // NOR: AND into the current contents
  // Writes the mapping back to the file (also done by the destructor).
  void sync();

  const FlashActivity& activity() const noexcept { return activity_; }

 private:
  void check(std::uint64_t offset, std::uint64_t length) const;

  UniqueFd fd_;  // declared before the mapping: the mapping is unmapped first
  UniqueMapping mapping_;
  std::uint8_t* data_ = nullptr;
  std::uint32_t size_ = 0;
  FlashActivity activity_;
};

}  // namespace espfab::emulator
