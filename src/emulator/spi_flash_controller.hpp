// SPI1 registers (0x60002000..) as esptool's run_spiflash_command drives them (serial protocol
// §5.4): a write of CMD with bit 18 (USR) executes the opcode in USER2[7:0] against the virtual
// flash, puts the MISO bytes little-endian into W0.., and bit 18 reads back clear at once.
#pragma once

#include <array>
#include <cstdint>

#include "chip/esp32s3.hpp"
#include "emulator/virtual_flash.hpp"

namespace espfab::emulator {

// JEDEC identity of the modelled chip: a GigaDevice GD25Q-class part whose capacity code
// follows the configured size (0x16 = 4 MB, 0x17 = 8 MB, ...).
struct FlashIdentity {
  std::uint8_t manufacturer = 0xC8;
  std::uint8_t memory_type = 0x40;
  std::uint8_t capacity_code = 0x17;

  std::uint32_t jedec_word() const {  // W0 after RDID: byte0 manufacturer, byte1 type, byte2 capacity
    return manufacturer | static_cast<std::uint32_t>(memory_type) << 8 |
           static_cast<std::uint32_t>(capacity_code) << 16;
  }
  static FlashIdentity for_size(std::uint32_t size_bytes);
};

class SpiFlashController {
 public:
  static constexpr std::uint32_t kBase = chip::kEsp32s3.registers.spi1_base;
  static constexpr std::uint32_t kSize = 0x100;
  static constexpr std::uint32_t kCmdUsr = 1u << 18;

  SpiFlashController(VirtualFlash& flash, FlashIdentity identity) : flash_(flash), identity_(identity) {}

  static bool contains(std::uint32_t address) noexcept { return address >= kBase && address < kBase + kSize; }
  std::uint32_t read_register(std::uint32_t address) const { return regs_[(address - kBase) / 4]; }
  void write_register(std::uint32_t address, std::uint32_t value);

  const FlashIdentity& identity() const noexcept { return identity_; }
  // Simulates a missing flash chip: every read returns 0xFF (RDID 0xFFFFFF).
  void set_absent(bool absent) noexcept { absent_ = absent; }
  // SPI_ATTACH's pin configuration (docs/serial-protocol.md §3: 0 = the default SPI pins, 1 = HSPI,
  // otherwise packed pin numbers). The modelled module has its flash on the default pins only, so
  // on any other pins nothing answers: reads are all ones, flash commands fail.
  void attach(std::uint32_t spi_config) noexcept { spi_config_ = spi_config; }
  static constexpr std::uint32_t kDefaultPins = 0;
  // Whether a flash chip answers on the attached pins.
  bool flash_answers() const noexcept { return !absent_ && spi_config_ == kDefaultPins; }

 private:
  void execute();
  std::uint8_t sfdp_byte(std::uint32_t address) const;

  VirtualFlash& flash_;
  FlashIdentity identity_;
  std::array<std::uint32_t, kSize / 4> regs_{};
  std::uint8_t status_[3] = {0, 0, 0};
  bool absent_ = false;
  std::uint32_t spi_config_ = kDefaultPins;
};

}  // namespace espfab::emulator
