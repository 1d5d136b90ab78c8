// The address space READ_REG/WRITE_REG and MEM_DATA reach (docs/serial-protocol.md §5.2): chip magic,
// UARTDEV_BUF_NO, the eFuse controller window, SPI1, internal SRAM (system_ram.hpp), and a plain
// store for everything else (unlisted addresses read 0, writes are kept). Writes to UART_DATE_REG
// are ignored: esptool uses it as a delay target.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "chip/esp32s3.hpp"
#include "emulator/efuse_controller.hpp"
#include "emulator/spi_flash_controller.hpp"
#include "emulator/system_ram.hpp"
#include "util/bytes.hpp"

namespace espfab::emulator {

class RegisterSpace {
 public:
  RegisterSpace(EfuseController& efuse, SpiFlashController& spi) : efuse_(efuse), spi_(spi) {}

  std::uint32_t read(std::uint32_t address) const;
  // Full-word bus write.
  void write(std::uint32_t address, std::uint32_t value);
  // WRITE_REG record: (value & mask) | (old & ~mask), as the ROM and the stub apply it.
  void write_masked(std::uint32_t address, std::uint32_t value, std::uint32_t mask);
  // MEM_DATA: bytes to consecutive addresses (into SRAM byte by byte, elsewhere word by word with
  // a partial last word merged).
  void write_block(std::uint32_t address, ByteView bytes);

  void set_chip_magic(std::uint32_t magic) noexcept { chip_magic_ = magic; }
  void set_uart_dev_buf_no(std::uint32_t value) noexcept { uart_dev_buf_no_ = value; }
  // Strapping pins as GPIO_STRAP_REG shows them; bit 3 = GPIO0 (0 = download boot).
  void set_strapping(std::uint32_t value) noexcept { store_[kGpioStrapReg] = value; }
  // Forgets stored plain registers and SRAM (a core reset); eFuse, flash and the RTC-domain
  // RTC_CNTL_OPTION1 keep their state.
  void reset();
  // RTC_CNTL_OPTION1 bit 0, FORCE_DOWNLOAD_BOOT: the next core reset enters the ROM loader
  // whatever GPIO0 says. Set by the USB-Serial/JTAG controller's download request; cleared by a
  // chip reset (EN pin, power) or by the host (esptool's hard_reset writes 0 with mask 1).
  bool force_download_boot() const;
  void set_force_download_boot(bool on);
  SpiFlashController& spi() noexcept { return spi_; }
  const SystemRam& ram() const noexcept { return ram_; }

  static constexpr std::uint32_t kGpioStrapReg = chip::kEsp32s3.registers.gpio_strap_reg;
  static constexpr std::uint32_t kRtcCntlOption1Reg = chip::kEsp32s3.usb.force_download_boot->reg;
  static constexpr std::uint32_t kForceDownloadBoot = chip::kEsp32s3.usb.force_download_boot->mask;

 private:
  EfuseController& efuse_;
  SpiFlashController& spi_;
  SystemRam ram_;
  std::unordered_map<std::uint32_t, std::uint32_t> store_;
  std::uint32_t chip_magic_ = chip::kEsp32s3.chip_detect_magics[0];
  std::uint32_t uart_dev_buf_no_ = 0;
};

}  // namespace espfab::emulator
