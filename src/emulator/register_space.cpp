#include "emulator/register_space.hpp"

#include "chip/esp32s3.hpp"

namespace espfab::emulator {
namespace {
const chip::Registers& regs() { return chip::kEsp32s3.registers; }
}  // namespace

std::uint32_t RegisterSpace::read(std::uint32_t address) const {
  address &= ~3u;
  if (address == regs().chip_detect_magic_reg) return chip_magic_;
  if (address == regs().uartdev_buf_no) return uart_dev_buf_no_;
  if (EfuseController::contains(address)) return efuse_.read_register(address);
  if (SpiFlashController::contains(address)) return spi_.read_register(address);
  if (SystemRam::contains(address, 4)) return ram_.read_word(address);
  const auto it = store_.find(address);
  return it == store_.end() ? 0 : it->second;
}

void RegisterSpace::write(std::uint32_t address, std::uint32_t value) {
  address &= ~3u;
  if (address == regs().uart_date_reg || address == regs().chip_detect_magic_reg) return;
  if (EfuseController::contains(address)) {
    efuse_.write_register(address, value);
  } else if (SpiFlashController::contains(address)) {
    spi_.write_register(address, value);
  } else if (SystemRam::contains(address, 4)) {
    ram_.write_word(address, value);
  } else {
    store_[address] = value;
  }
}

void RegisterSpace::write_masked(std::uint32_t address, std::uint32_t value, std::uint32_t mask) {
  if (address == regs().uart_date_reg) return;  // delay-only record (mask 0): nothing changes
  const std::uint32_t merged = mask == 0xFFFFFFFFu ? value : (value & mask) | (read(address) & ~mask);
  write(address, merged);
}

void RegisterSpace::write_block(std::uint32_t address, ByteView bytes) {
  if (SystemRam::contains(address, static_cast<std::uint32_t>(bytes.size()))) {
    ram_.write(address, bytes);
    return;
  }
  for (std::size_t i = 0; i < bytes.size(); i += 4) {
    std::uint32_t value = 0;
    std::uint32_t mask = 0;
    for (std::size_t b = 0; b < 4 && i + b < bytes.size(); ++b) {
      value |= static_cast<std::uint32_t>(bytes[i + b]) << (8 * b);
      mask |= 0xFFu << (8 * b);
    }
    write_masked(address + static_cast<std::uint32_t>(i), value, mask);
  }
}

bool RegisterSpace::force_download_boot() const {
  const auto it = store_.find(kRtcCntlOption1Reg);
  return it != store_.end() && (it->second & kForceDownloadBoot) != 0;
}

void RegisterSpace::set_force_download_boot(bool on) {
  auto& word = store_[kRtcCntlOption1Reg];
  word = on ? (word | kForceDownloadBoot) : (word & ~kForceDownloadBoot);
}

void RegisterSpace::reset() {
  ram_.clear();
  const auto strap = store_.find(kGpioStrapReg);
  const std::uint32_t strap_value = strap == store_.end() ? 0 : strap->second;
  const auto option1 = store_.find(kRtcCntlOption1Reg);
  const std::uint32_t option1_value = option1 == store_.end() ? 0 : option1->second;
  store_.clear();
  store_[kGpioStrapReg] = strap_value;
  if (option1_value != 0) store_[kRtcCntlOption1Reg] = option1_value;  // RTC domain: a core reset keeps it
  spi_.attach(SpiFlashController::kDefaultPins);                       // after reset the flash is on the default pins
}

}  // namespace espfab::emulator
