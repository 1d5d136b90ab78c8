#include "loader/device_info.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab::loader {

namespace {

constexpr std::uint32_t kSpiUsrBit = 1u << 18;
constexpr std::uint32_t kUserCommand = 1u << 31;
constexpr std::uint32_t kUserMiso = 1u << 28;
constexpr unsigned kCommandPolls = 10;

}  // namespace

MacAddress mac_from_efuse_words(std::uint32_t w0, std::uint32_t w1) {
  return {static_cast<std::uint8_t>(w1 >> 8),  static_cast<std::uint8_t>(w1),      static_cast<std::uint8_t>(w0 >> 24),
          static_cast<std::uint8_t>(w0 >> 16), static_cast<std::uint8_t>(w0 >> 8), static_cast<std::uint8_t>(w0)};
}

std::string format_mac(const MacAddress& mac) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

MacAddress read_mac(LoaderClient& client, const chip::ChipDescription& chip) {
  const std::uint32_t w0 = client.read_reg(chip.registers.efuse_mac_reg);
  const std::uint32_t w1 = client.read_reg(chip.registers.efuse_mac_reg + 4);
  return mac_from_efuse_words(w0, w1);
}

std::uint32_t run_spiflash_command(LoaderClient& client, const chip::ChipDescription& chip, std::uint8_t opcode,
                                   unsigned miso_bits) {
  const auto& reg = chip.registers;
  const std::uint32_t saved_user = client.read_reg(reg.spi1_user);
  const std::uint32_t saved_user2 = client.read_reg(reg.spi1_user2);
  std::uint32_t user = kUserCommand;
  if (miso_bits > 0) {
    client.write_reg(reg.spi1_miso_dlen, miso_bits - 1);
    user |= kUserMiso;
  }
  client.write_reg(reg.spi1_user, user);
  client.write_reg(reg.spi1_user2, (7u << 28) | opcode);
  client.write_reg(reg.spi1_w0, 0);
  client.write_reg(reg.spi1_cmd, kSpiUsrBit);
  bool done = false;
  for (unsigned poll = 0; poll < kCommandPolls && !done; ++poll)
    done = (client.read_reg(reg.spi1_cmd) & kSpiUsrBit) == 0;
  if (!done) {
    throw TimeoutError("loader.spi_command_timeout", fmt::format("SPI flash command 0x{:02x} did not complete", opcode),
                       "the flash chip does not respond: check the module's flash power (VDD_SPI)");
  }
  const std::uint32_t result = client.read_reg(reg.spi1_w0);
  client.write_reg(reg.spi1_user, saved_user);
  client.write_reg(reg.spi1_user2, saved_user2);
  return result;
}

std::uint32_t read_flash_id(LoaderClient& client, const chip::ChipDescription& chip) {
  constexpr std::uint8_t kRdid = 0x9F;
  return run_spiflash_command(client, chip, kRdid, 24) & 0xFFFFFF;
}

std::optional<std::uint32_t> flash_size_from_id(std::uint32_t flash_id) {
  const std::uint32_t code = (flash_id >> 16) & 0xFF;
  // Capacity code 2^n bytes for the common vendors; 0x3x for some, 0x20.. for 64 MB and up.
  if (code >= 0x12 && code <= 0x1C) return 1u << code;
  if (code >= 0x32 && code <= 0x3A) return 1u << (code - 0x20);
  if (code >= 0x20 && code <= 0x22) return 1u << (code - 0x20 + 26);
  return std::nullopt;
}

}  // namespace espfab::loader
