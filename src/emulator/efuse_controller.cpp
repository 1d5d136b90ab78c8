#include "emulator/efuse_controller.hpp"

#include <algorithm>
#include <bit>

#include "emulator/reed_solomon.hpp"
#include "util/error.hpp"

namespace espfab::emulator {
namespace efuse = chip::esp32s3_efuse;

namespace {

constexpr std::uint32_t kHiddenMagic = 0x53484645;  // "EFHS"
constexpr std::uint32_t kHiddenVersion = 1;
constexpr std::size_t kHiddenRecord = 32 + 12;
constexpr std::size_t kHiddenSize = 8 + efuse::kBlockCount * kHiddenRecord;

std::array<std::uint8_t, 32> block_bytes(const EfuseController::BlockWords& words) {
  std::array<std::uint8_t, 32> bytes{};
  for (std::size_t w = 0; w < words.size(); ++w) store_le32(bytes, w * 4, words[w]);
  return bytes;
}

bool read_only(std::uint32_t offset) {
  return (offset >= efuse::EFUSE_RD_WR_DIS_REG && offset < efuse::EFUSE_CLK_REG) || offset == efuse::EFUSE_STATUS_REG ||
         offset == efuse::EFUSE_DATE_REG;
}

}  // namespace

Bytes SecurityInfo::serialize() const {
  Bytes out;
  append_le32(out, flags);
  out.push_back(flash_crypt_cnt);
  out.insert(out.end(), key_purposes.begin(), key_purposes.end());
  append_le32(out, chip_id);
  append_le32(out, api_version);
  return out;
}

EfuseController::EfuseController() = default;

bool EfuseController::contains(std::uint32_t address) noexcept {
  return address >= efuse::kBase && address < efuse::kBase + efuse::kWindowSize;
}

std::uint32_t EfuseController::read_register(std::uint32_t address) const {
  if (!contains(address)) return 0;
  return reg((address - efuse::kBase) & ~3u);
}

void EfuseController::write_register(std::uint32_t address, std::uint32_t value) {
  if (!contains(address)) return;
  const std::uint32_t offset = (address - efuse::kBase) & ~3u;
  if (read_only(offset)) return;
  reg(offset) = value;
  if (offset == efuse::EFUSE_CMD_REG) execute_command(value);
}

void EfuseController::execute_command(std::uint32_t command) {
  if (command & efuse::kPgmCmd) {
    if (reg(efuse::EFUSE_CONF_REG) == efuse::kWriteOpCode) {
      program_block((command >> efuse::kPgmBlockShift) & efuse::kPgmBlockMask);
      for (unsigned w = 0; w < efuse::kPgmDataWords; ++w) reg(efuse::EFUSE_PGM_DATA0_REG + 4 * w) = 0;
    }
  } else if (command & efuse::kReadCmd) {
    if (reg(efuse::EFUSE_CONF_REG) == efuse::kReadOpCode) refresh_read_registers();
  }
  reg(efuse::EFUSE_CMD_REG) = 0;  // done at once: "wait idle" sees bits 0-1 clear
}

bool EfuseController::write_protected_block(unsigned block) const {
  const auto& info = efuse::kBlocks[block];
  return info.write_disable_bit && ((raw_[0][0] >> *info.write_disable_bit) & 1u);
}

void EfuseController::program_block(unsigned block) {
  if (block >= efuse::kBlockCount) return;
  const auto& info = efuse::kBlocks[block];
  BlockWords data{};
  for (unsigned w = 0; w < efuse::kPgmDataWords; ++w) data[w] = reg(efuse::EFUSE_PGM_DATA0_REG + 4 * w);
  ++program_cycles_;
  const bool interrupted = interrupt_at_ && program_cycles_ == *interrupt_at_;
  if (interrupted) {
    // Power fails half-way: the second half of the data and the check bytes never get burned.
    for (unsigned w = info.words / 2; w < efuse::kPgmDataWords; ++w) data[w] = 0;
    interrupt_at_.reset();
    power_lost_ = true;
  }
  if (block == 0) {
    efuse::Block0Mask protect{};
    for (unsigned bit = 0; bit < 32; ++bit) {
      if (!((raw_[0][0] >> bit) & 1u)) continue;
      for (unsigned w = 0; w < efuse::kBlock0Words; ++w) protect[w] |= efuse::kBlock0WriteProtect[bit][w];
    }
    for (unsigned w = 0; w < efuse::kBlock0Words; ++w) raw_[0][w] |= data[w] & ~protect[w];
  } else {
    if (write_protected_block(block)) return;
    for (unsigned w = 0; w < info.words; ++w) raw_[block][w] |= data[w];
    for (unsigned i = 0; i < efuse::kRsCheckBytes && !interrupted; ++i) {
      const std::uint32_t word = reg(efuse::EFUSE_CHECK_VALUE0_REG + 4 * (i / 4));
      check_[block][i] = static_cast<std::uint8_t>(check_[block][i] | ((word >> (8 * (i % 4))) & 0xFF));
    }
  }
  // The read registers change at the next READ_CMD or reset (docs/efuse-and-security-facts.md §7 step 6; espefuse
  // efuse_read).
}

void EfuseController::load_read_registers(std::array<std::uint32_t, kFileSize / 4>& regs) const {
  auto at = [&regs](std::uint32_t offset) -> std::uint32_t& { return regs[offset / 4]; };
  const std::uint32_t rd_dis = field(efuse::RD_DIS);
  at(efuse::EFUSE_RD_RS_ERR0_REG) = 0;
  at(efuse::EFUSE_RD_RS_ERR1_REG) = 0;
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) {
    const auto& info = efuse::kBlocks[b];
    const bool hidden = info.read_disable_bit && ((rd_dis >> *info.read_disable_bit) & 1u);
    for (unsigned w = 0; w < info.words; ++w) at(info.read_offset + 4 * w) = hidden ? 0 : raw_[b][w];
    if (info.rs_coded) {
      const auto bytes = block_bytes(raw_[b]);
      if (rs_check_bytes(bytes) != check_[b]) at(info.rs_err_reg) |= 1u << (info.rs_err_shift + 3);
    }
  }
}

void EfuseController::factory_program(const std::array<std::uint8_t, 6>& mac) {
  BlockWords words{};
  words[0] = static_cast<std::uint32_t>(mac[2]) << 24 | static_cast<std::uint32_t>(mac[3]) << 16 |
             static_cast<std::uint32_t>(mac[4]) << 8 | mac[5];
  words[1] = static_cast<std::uint32_t>(mac[0]) << 8 | mac[1];
  words[3] = 2u << 18;  // WAFER_VERSION_MINOR_LO = 2: "revision v0.2", as espefuse --virt reports
  const auto check = rs_check_bytes(block_bytes(words));
  for (unsigned w = 0; w < efuse::kPgmDataWords; ++w) reg(efuse::EFUSE_PGM_DATA0_REG + 4 * w) = words[w];
  for (unsigned w = 0; w < efuse::kCheckWords; ++w) {
    reg(efuse::EFUSE_CHECK_VALUE0_REG + 4 * w) = load_le32(check, std::size_t{4} * w);
  }
  reg(efuse::EFUSE_CONF_REG) = efuse::kWriteOpCode;
  execute_command(efuse::kPgmCmd | (1u << efuse::kPgmBlockShift));
  // The chip leaves the factory reset: programming registers back to 0, read registers loaded.
  for (unsigned w = 0; w < efuse::kCheckWords; ++w) reg(efuse::EFUSE_CHECK_VALUE0_REG + 4 * w) = 0;
  reg(efuse::EFUSE_CONF_REG) = 0;
  refresh_read_registers();
}

Bytes EfuseController::file_image() const {
  auto regs = regs_;
  load_read_registers(regs);
  Bytes image(kFileSize);
  for (std::size_t i = 0; i < regs.size(); ++i) store_le32(image, i * 4, regs[i]);
  std::reverse(image.begin(), image.end());
  return image;
}

void EfuseController::load_file_image(ByteView image) {
  regs_.fill(0);
  for (auto& block : raw_) block.fill(0);
  if (image.size() >= kFileSize) {
    Bytes window(image.begin(), image.begin() + kFileSize);
    std::reverse(window.begin(), window.end());
    for (std::size_t i = 0; i < regs_.size(); ++i) regs_[i] = load_le32(window, i * 4);
  }
  reg(efuse::EFUSE_CMD_REG) = 0;
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) {
    const auto& info = efuse::kBlocks[b];
    for (unsigned w = 0; w < info.words; ++w) raw_[b][w] = reg(info.read_offset + 4 * w);
    check_[b] = info.rs_coded ? rs_check_bytes(block_bytes(raw_[b])) : std::array<std::uint8_t, 12>{};
  }
  refresh_read_registers();
}

Bytes EfuseController::hidden_state() const {
  Bytes out;
  out.reserve(kHiddenSize);
  append_le32(out, kHiddenMagic);
  append_le32(out, kHiddenVersion);
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) {
    const auto bytes = block_bytes(raw_[b]);
    out.insert(out.end(), bytes.begin(), bytes.end());
    out.insert(out.end(), check_[b].begin(), check_[b].end());
  }
  return out;
}

void EfuseController::load_hidden_state(ByteView state) {
  if (state.size() != kHiddenSize || load_le32(state, 0) != kHiddenMagic || load_le32(state, 4) != kHiddenVersion) {
    throw BadInputError("emulator.efuse_hidden_state", "the hidden eFuse state file is not a version-1 record",
                        "delete it to start from the 512-byte eFuse file alone (read-protected keys are lost)");
  }
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) {
    const std::size_t base = 8 + b * kHiddenRecord;
    for (unsigned w = 0; w < 8; ++w) raw_[b][w] |= load_le32(state, base + std::size_t{4} * w);
    std::copy_n(state.begin() + static_cast<std::ptrdiff_t>(base + 32), 12, check_[b].begin());
  }
  refresh_read_registers();
}

std::uint32_t EfuseController::field(efuse::Field f) const {
  const std::uint32_t mask = f.width >= 32 ? 0xFFFFFFFFu : ((1u << f.width) - 1u);
  return (raw_[0][f.word] >> f.shift) & mask;
}

std::uint32_t EfuseController::read_field(efuse::Field f) const {
  const std::uint32_t mask = f.width >= 32 ? 0xFFFFFFFFu : ((1u << f.width) - 1u);
  return (reg(efuse::kBlocks[0].read_offset + 4 * f.word) >> f.shift) & mask;
}

std::array<std::uint8_t, 32> EfuseController::key_block(unsigned key) const {
  return block_bytes(raw_[efuse::kBlockKey0 + key]);
}

std::array<std::uint8_t, 6> EfuseController::mac() const {
  const std::uint32_t w0 = raw_[1][0];
  const std::uint32_t w1 = raw_[1][1];
  return {static_cast<std::uint8_t>(w1 >> 8),  static_cast<std::uint8_t>(w1),      static_cast<std::uint8_t>(w0 >> 24),
          static_cast<std::uint8_t>(w0 >> 16), static_cast<std::uint8_t>(w0 >> 8), static_cast<std::uint8_t>(w0)};
}

bool EfuseController::flash_encryption_enabled() const {
  return std::popcount(field(efuse::SPI_BOOT_CRYPT_CNT)) % 2 == 1;
}

bool EfuseController::secure_download_mode() const { return field(efuse::ENABLE_SECURITY_DOWNLOAD) != 0; }

SecurityInfo EfuseController::security_info() const {
  SecurityInfo info;
  auto flag = [&](bool on, std::uint32_t bit) {
    if (on) info.flags |= bit;
  };
  flag(field(efuse::SECURE_BOOT_EN) != 0, efuse::kSecInfoSecureBootEn);
  flag(field(efuse::SECURE_BOOT_AGGRESSIVE_REVOKE) != 0, efuse::kSecInfoSecureBootAggressiveRevoke);
  flag(secure_download_mode(), efuse::kSecInfoSecureDownloadEnable);
  for (unsigned i = 0; i < 3; ++i) {
    const efuse::Field revoke{efuse::SECURE_BOOT_KEY_REVOKE0.word, efuse::SECURE_BOOT_KEY_REVOKE0.shift + i, 1};
    flag(field(revoke) != 0, efuse::kSecInfoSecureBootKeyRevoke0 << i);
  }
  flag(std::popcount(field(efuse::SOFT_DIS_JTAG)) % 2 == 1, efuse::kSecInfoSoftDisJtag);
  flag(field(efuse::DIS_PAD_JTAG) != 0, efuse::kSecInfoHardDisJtag);
  flag(field(efuse::DIS_USB_OTG) != 0, efuse::kSecInfoDisUsb);
  flag(field(efuse::DIS_DOWNLOAD_DCACHE) != 0, efuse::kSecInfoDisDownloadDcache);
  flag(field(efuse::DIS_DOWNLOAD_ICACHE) != 0, efuse::kSecInfoDisDownloadIcache);
  info.flash_crypt_cnt = static_cast<std::uint8_t>(field(efuse::SPI_BOOT_CRYPT_CNT));
  for (unsigned k = 0; k < efuse::kKeyBlockCount; ++k) {
    info.key_purposes[k] = static_cast<std::uint8_t>(field(efuse::kKeyPurposeFields[k]));
  }
  return info;
}

}  // namespace espfab::emulator
