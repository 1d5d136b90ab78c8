// One flash write session (FLASH_BEGIN/DATA/END or FLASH_DEFL_*), with the ROM's and the stub's
// different rules (docs/serial-protocol.md §3):
// - ROM: erases ceil(erase_size / 4 KiB) sectors from the sector holding `offset` up front;
//   plain blocks land at offset + seq * block_size including their 0xFF padding.
// - Stub: `size` is the exact byte count; blocks are written one after the other and trimmed to
//   what remains (padding dropped); each sector is erased just before the first write into it
//   (lazily, as the stub does), not up front. Like esptool's stub, it erases a whole 64 KiB block
//   in one operation when the next sector to erase starts a block and at least a block of the
//   region is still unerased; sector by sector otherwise.
// - Compressed sessions inflate one zlib stream across blocks and write its output in order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "emulator/virtual_flash.hpp"
#include "emulator/xts_engine.hpp"
#include "util/bytes.hpp"

namespace espfab::emulator {

class FlashWriter {
 public:
  enum class Flavour { Rom, Stub };
  enum class Status {
    Ok,
    NotInFlashMode,
    OutOfRange,
    InflateError,
    NotEnoughData,
    TooMuchData,
    Unaligned,
    EncryptionDisabled
  };

  struct Begin {
    Flavour flavour = Flavour::Rom;
    bool compressed = false;
    std::uint32_t size = 0;        // bytes to write (ROM: erase size)
    std::uint32_t block_size = 0;  // ROM plain writes: block stride
    std::uint32_t offset = 0;
  };

  explicit FlashWriter(VirtualFlash& flash);
  ~FlashWriter();
  FlashWriter(const FlashWriter&) = delete;
  FlashWriter& operator=(const FlashWriter&) = delete;
  FlashWriter(FlashWriter&&) = delete;
  FlashWriter& operator=(FlashWriter&&) = delete;

  // With `key`, every block goes through XTS-AES at its flash address on the way (the ROM's
  // FLASH_BEGIN "encrypted" word); only plain ROM writes of 16-byte multiples can be encrypted.
  Status begin(const Begin& params, std::optional<XtsEngine> key = std::nullopt);
  // One block's data-to-write (after the 16-byte _DATA header); `seq` from that header.
  Status write(std::uint32_t seq, ByteView data);
  // Stub FLASH_ENCRYPT_DATA: the block goes on sequentially like FLASH_DATA (trimmed to what
  // remains, sectors erased ahead) but through the chip's XTS engine at its flash address.
  // Unaligned when the write position or length is not a multiple of 16; the position moves on
  // regardless, as the stub's does. Without `engine` (manual encryption disabled) nothing is
  // written and the block fails.
  Status write_encrypted(ByteView data, const XtsEngine* engine);
  // Ends the session; Stub flavour: NotEnoughData when bytes are still missing.
  Status end();
  void abort();

  bool active() const noexcept { return active_; }
  bool compressed() const noexcept { return params_.compressed; }
  std::uint32_t remaining() const noexcept { return remaining_; }

 private:
  Status write_sequential(ByteView data);
  Status inflate_block(ByteView data);
  void erase_ahead(std::uint64_t until);

  struct Inflater;
  VirtualFlash& flash_;
  Begin params_;
  bool active_ = false;
  std::uint32_t next_write_ = 0;
  std::uint32_t remaining_ = 0;
  std::uint32_t erased_until_ = 0;  // stub: sectors below this address are erased
  std::uint64_t erase_end_ = 0;     // stub: end of the region's last sector
  std::unique_ptr<Inflater> inflater_;
  std::optional<XtsEngine> key_;
};

}  // namespace espfab::emulator
