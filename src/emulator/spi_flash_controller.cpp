#include "emulator/spi_flash_controller.hpp"

#include <vector>

namespace espfab::emulator {
namespace {

constexpr std::uint32_t kAddr = 0x04;
constexpr std::uint32_t kUser = 0x18;
constexpr std::uint32_t kUser2 = 0x20;
constexpr std::uint32_t kMisoDlen = 0x28;
constexpr std::uint32_t kW0 = 0x58;
constexpr unsigned kWords = 16;
constexpr std::uint32_t kUserMiso = 1u << 28;

// A minimal JESD216 table: header, one JEDEC parameter header, and a vendor (0xC8) parameter
// header at 0x10. esptool's XMC check reads one byte at 0x10 and must not see 0x20.
constexpr std::uint8_t kSfdp[] = {
    0x53, 0x46, 0x44, 0x50, 0x06, 0x01, 0x01, 0xFF,  // "SFDP", rev 1.6, 2 headers
    0x00, 0x06, 0x01, 0x10, 0x30, 0x00, 0x00, 0xFF,  // JEDEC basic table at 0x30
    0xC8, 0x00, 0x01, 0x03, 0x70, 0x00, 0x00, 0xFF,  // vendor table at 0x70
};

}  // namespace

FlashIdentity FlashIdentity::for_size(std::uint32_t size_bytes) {
  FlashIdentity id;
  std::uint8_t code = 0x10;  // 64 KiB
  for (std::uint64_t size = 0x10000; size < size_bytes; size <<= 1) ++code;
  id.capacity_code = code;
  return id;
}

void SpiFlashController::write_register(std::uint32_t address, std::uint32_t value) {
  const std::uint32_t offset = address - kBase;
  regs_[offset / 4] = value;
  if (offset == 0 && (value & kCmdUsr)) {
    execute();
    regs_[0] &= ~kCmdUsr;
  }
}

std::uint8_t SpiFlashController::sfdp_byte(std::uint32_t address) const {
  return address < sizeof(kSfdp) ? kSfdp[address] : 0xFF;
}

void SpiFlashController::execute() {
  const std::uint32_t opcode = regs_[kUser2 / 4] & 0xFF;
  const std::uint32_t address = regs_[kAddr / 4];
  const bool miso = (regs_[kUser / 4] & kUserMiso) != 0;
  const std::uint32_t miso_bytes = miso ? (regs_[kMisoDlen / 4] + 1 + 7) / 8 : 0;
  std::vector<std::uint8_t> out(std::min<std::uint32_t>(miso_bytes, kWords * 4), 0xFF);
  if (flash_answers()) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto index = static_cast<std::uint32_t>(i);
      switch (opcode) {
        case 0x9F: {  // RDID
          const std::uint32_t id = identity_.jedec_word();
          out[i] = static_cast<std::uint8_t>(i < 3 ? id >> (8 * i) : 0U);
          break;
        }
        case 0x5A: out[i] = sfdp_byte(address + index); break;  // SFDP
        case 0x05: out[i] = status_[0]; break;                  // RDSR
        case 0x35: out[i] = status_[1]; break;                  // RDSR2
        case 0x15: out[i] = status_[2]; break;                  // RDSR3
        case 0x03:                                              // READ
        case 0x0B: {                                            // FAST_READ
          const std::uint32_t at = (address & 0xFFFFFF) + index;
          out[i] = flash_.in_range(at, 1) ? flash_.view(at, 1)[0] : 0xFF;
          break;
        }
        default: out[i] = 0; break;  // WREN/WRDI/WRSR/XMC recovery opcodes: no data
      }
    }
  }
  for (unsigned w = 0; w < kWords && std::size_t{w} * 4 < out.size(); ++w) {
    std::uint32_t word = 0;
    for (unsigned b = 0; b < 4 && w * 4 + b < out.size(); ++b)
      word |= static_cast<std::uint32_t>(out[w * 4 + b]) << (8 * b);
    regs_[kW0 / 4 + w] = word;
  }
}

}  // namespace espfab::emulator
