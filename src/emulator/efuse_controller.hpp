// The ESP32-S3 eFuse controller behind its 0x60007000 register window, as espefuse drives it:
// PGM_DATA0..7 + CHECK_VALUE0..2, CONF op codes 0x5A5A/0x5AA5, CMD PGM (block in [5:2]) / READ.
//
// Model (docs/efuse-and-security-facts.md §1-§8):
// - The fuse array (raw_) only ever gains bits: a program cycle ORs PGM_DATA into the block,
//   minus the bits write-protected by WR_DIS (whole block for 1..10, per field for BLOCK0).
// - Blocks 1..10 also store the 12 RS check bytes written with them (ORed like the data). The
//   read-out decoder flags a block whose stored check bytes do not match its data: the fail bit
//   of that block in RD_RS_ERR0/1. So bad check bytes, or a second write into a non-empty RS
//   block, burn but read back as a coding error, as on silicon.
// - Read registers show the array as loaded by the last READ_CMD or chip reset (reload()), as on
//   silicon: a program cycle changes the array, not the read registers. A block whose RD_DIS bit
//   is set reads as zeros (the key is kept inside for the crypto engines: key_block()).
// - After a program cycle PGM_DATA0..7 are cleared, CHECK_VALUE0..2 keep their last value, CMD
//   reads back 0 at once (the operation completes instantly).
// - The 512-byte file image is exactly what `espefuse --virt --path-efuse-file` stores (§8):
//   the register window, byte-reversed. Contents hidden by RD_DIS and the stored check bytes do
//   not fit that layout; hidden_state() carries them in a second file.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "chip/esp32s3.hpp"
#include "chip/esp32s3_efuse.hpp"
#include "util/bytes.hpp"

namespace espfab::emulator {

struct SecurityInfo {
  std::uint32_t flags = 0;
  std::uint8_t flash_crypt_cnt = 0;
  std::array<std::uint8_t, 7> key_purposes{};  // 6 key blocks + one 0 byte
  std::uint32_t chip_id = chip::kEsp32s3.security_info_chip_id;
  std::uint32_t api_version = 0;

  Bytes serialize() const;  // the 20 bytes of the GET_SECURITY_INFO reply
};

class EfuseController {
 public:
  static constexpr std::size_t kFileSize = chip::esp32s3_efuse::kWindowSize;
  using BlockWords = std::array<std::uint32_t, 8>;

  EfuseController();  // a virgin chip: every fuse 0

  static bool contains(std::uint32_t address) noexcept;
  std::uint32_t read_register(std::uint32_t address) const;
  // A bus write of the whole word (WRITE_REG's mask is applied by the caller).
  void write_register(std::uint32_t address, std::uint32_t value);

  // Factory programming (what Espressif does before shipping): BLOCK1 with the MAC and the chip
  // revision v0.2, through a normal program cycle with correct check bytes.
  void factory_program(const std::array<std::uint8_t, 6>& mac);

  // Persistence: the register window with the read registers loaded from the array (what the
  // file shows after a READ_CMD, as espefuse --virt stores it). load_file_image accepts what
  // espefuse accepts: a shorter or missing file is a virgin chip.
  Bytes file_image() const;
  void load_file_image(ByteView image);
  Bytes hidden_state() const;
  // Throws BadInputError when the bytes are not a hidden-state record.
  void load_hidden_state(ByteView state);

  // Chip-side views.
  std::uint32_t block0_word(unsigned word) const { return raw_[0][word]; }
  std::uint32_t field(chip::esp32s3_efuse::Field field) const;
  // A BLOCK0 field as the read registers show it (what ROM code reads between resets).
  std::uint32_t read_field(chip::esp32s3_efuse::Field field) const;
  // Chip reset: the controller loads the read registers from the array.
  void reload() { refresh_read_registers(); }
  // The raw 32 bytes of key block `key` (0..5), as the AES/HMAC engines see them.
  std::array<std::uint8_t, 32> key_block(unsigned key) const;
  std::array<std::uint8_t, 6> mac() const;
  bool flash_encryption_enabled() const;  // odd popcount of SPI_BOOT_CRYPT_CNT
  bool secure_download_mode() const;      // ENABLE_SECURITY_DOWNLOAD
  SecurityInfo security_info() const;
  // Number of program cycles executed (diagnostics, tests).
  unsigned program_cycles() const noexcept { return program_cycles_; }
  // Fault: power fails during program cycle number `cycle` (counted from now): half of the block's
  // data words and none of its RS check bytes get burned, as an interrupted cycle leaves them.
  void interrupt_program_cycle(std::optional<unsigned> cycle) noexcept {
    interrupt_at_ = cycle ? std::optional<unsigned>(program_cycles_ + *cycle) : std::nullopt;
  }
  // True once, right after the interrupted cycle: the chip has lost power.
  bool take_power_loss() noexcept { return std::exchange(power_lost_, false); }

 private:
  std::uint32_t& reg(std::uint32_t offset) { return regs_[offset / 4]; }
  std::uint32_t reg(std::uint32_t offset) const { return regs_[offset / 4]; }
  void execute_command(std::uint32_t command);
  void program_block(unsigned block);
  void refresh_read_registers() { load_read_registers(regs_); }
  void load_read_registers(std::array<std::uint32_t, kFileSize / 4>& regs) const;
  bool write_protected_block(unsigned block) const;

  std::array<std::uint32_t, kFileSize / 4> regs_{};
  std::array<BlockWords, chip::esp32s3_efuse::kBlockCount> raw_{};
  std::array<std::array<std::uint8_t, 12>, chip::esp32s3_efuse::kBlockCount> check_{};
  unsigned program_cycles_ = 0;
  std::optional<unsigned> interrupt_at_;
  bool power_lost_ = false;
};

}  // namespace espfab::emulator
