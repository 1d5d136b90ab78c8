// Acceptance: the eFuse register writes espefuse v4.8.1 made for each step of the public vector
// chain, replayed through the emulator's WRITE_REG/READ_REG handler, give eFuse files
// byte-identical to espefuse's own virtual-chip files (tests/vectors/efuse/PROVENANCE.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "chip/esp32s3_efuse.hpp"
#include "emulator/command_handler.hpp"
#include "emulator/reed_solomon.hpp"
#include "emulator/virtual_device.hpp"
#include "loader_test_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::emulator {
namespace {

namespace efuse = chip::esp32s3_efuse;
using test::Host;
using test::words;

constexpr std::uint32_t reg(std::uint32_t offset) { return efuse::kBase + offset; }

struct Rig {
  EfuseController efuse;
  VirtualFlash flash{0x100000};
  SpiFlashController spi{flash, FlashIdentity::for_size(0x100000)};
  RegisterSpace registers{efuse, spi};
  CommandHandler handler{registers, efuse, flash};
  Host host{handler};
};

std::uint32_t parse_u32(const nlohmann::json& value) {
  return static_cast<std::uint32_t>(std::stoul(value.get<std::string>(), nullptr, 16));
}

// One espefuse program cycle (spec §7 steps 1-6), with the given PGM_DATA/CHECK_VALUE writes.
using Writes = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

void program_cycle(Host& host, unsigned block, const Writes& writes) {
  // Timing setup as espefuse's virtual controller stored it (see PROVENANCE.md).
  host.write_reg(reg(efuse::EFUSE_DAC_CONF_REG), 0x28);
  host.write_reg(reg(efuse::EFUSE_WR_TIM_CONF1_REG), 0x3000);
  host.write_reg(reg(efuse::EFUSE_WR_TIM_CONF2_REG), 0x190);
  for (unsigned w = 0; w < 8; ++w) host.write_reg(reg(4 * w), 0);
  for (const auto& [address, value] : writes) host.write_reg(address, value);
  host.write_reg(reg(efuse::EFUSE_CONF_REG), efuse::kWriteOpCode);
  host.write_reg(reg(efuse::EFUSE_CMD_REG), efuse::kPgmCmd | (block << efuse::kPgmBlockShift));
  EXPECT_EQ(host.read_reg(reg(efuse::EFUSE_CMD_REG)) & 3u, 0u);  // "wait idle", twice
  EXPECT_EQ(host.read_reg(reg(efuse::EFUSE_CMD_REG)) & 3u, 0u);
  for (unsigned w = 0; w < 8; ++w) host.write_reg(reg(4 * w), 0);
  host.write_reg(reg(efuse::EFUSE_CONF_REG), efuse::kReadOpCode);
  // The refresh is one 32-byte WRITE_REG: CMD = READ, then the UART_DATE_REG delay record.
  const auto reply = host.call(
      Opcode::WriteReg, words({reg(efuse::EFUSE_CMD_REG), efuse::kReadCmd, 0xFFFFFFFF, 0, 0x60000080, 0, 0, 1000}));
  EXPECT_EQ(reply.data, Bytes({0, 0, 0, 0}));
}

void replay_step(Host& host, const std::string& pgm_writes_file) {
  const auto json = nlohmann::json::parse(espfab::test::read_vector_text("efuse/" + pgm_writes_file));
  for (const auto& program : json.at("programs")) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> writes;
    for (const auto& pair : program.at("regs")) writes.emplace_back(parse_u32(pair.at(0)), parse_u32(pair.at(1)));
    program_cycle(host, program.at("block").get<unsigned>(), writes);
  }
}

const std::vector<std::string> kSteps = {
    "step02_burn_key_xts128", "step03_burn_key_digest", "step04_spi_boot_crypt_cnt",
    "step05_secure_boot_en",  "step06_disable_jtag",    "step07_dis_download_manual_encrypt",
    "step08a_write_protect",  "step08b_read_protect",
};

TEST(EfuseVectors, VirginFileLoadsAndSavesUnchanged) {
  Rig rig;
  const Bytes virgin = espfab::test::read_vector("efuse/step01_virgin.efuse.bin");
  rig.efuse.load_file_image(virgin);
  EXPECT_EQ(rig.efuse.file_image(), virgin);
}

TEST(EfuseVectors, StepChainThroughWriteRegMatchesEspefuseFilesByteForByte) {
  Rig rig;
  rig.efuse.load_file_image(espfab::test::read_vector("efuse/step01_virgin.efuse.bin"));
  for (const auto& step : kSteps) {
    SCOPED_TRACE(step);
    replay_step(rig.host, step + ".pgm_writes.json");
    const Bytes expected = espfab::test::read_vector("efuse/" + step + ".efuse.bin");
    const Bytes actual = rig.efuse.file_image();
    ASSERT_EQ(to_hex(actual), to_hex(expected));
  }
}

TEST(EfuseVectors, EachStepAlsoMatchesWhenStartedFromThePreviousFile) {
  std::string previous = "step01_virgin";
  for (const auto& step : kSteps) {
    SCOPED_TRACE(step);
    Rig rig;
    rig.efuse.load_file_image(espfab::test::read_vector("efuse/" + previous + ".efuse.bin"));
    replay_step(rig.host, step + ".pgm_writes.json");
    EXPECT_EQ(to_hex(rig.efuse.file_image()), to_hex(espfab::test::read_vector("efuse/" + step + ".efuse.bin")));
    previous = step;
  }
}

TEST(EfuseVectors, ReadProtectedXtsKeyReadsZerosButStaysInsideTheChip) {
  Rig rig;
  replay_step(rig.host, "step02_burn_key_xts128.pgm_writes.json");
  for (unsigned w = 0; w < 8; ++w) EXPECT_EQ(rig.host.read_reg(0x6000709C + 4 * w), 0u);
  // The engine still sees the key: the reversed key file (manifest xts128_keyfile_hex).
  Bytes key = from_hex("a90d54aea66be5b04325c0733931fd4854f728e8f8a99968c13c1672b722d575");
  std::reverse(key.begin(), key.end());
  const auto block = rig.efuse.key_block(0);
  EXPECT_EQ(to_hex(Bytes(block.begin(), block.end())), to_hex(key));
  // Security info as esptool shows it: purpose XTS_AES_128_KEY in KEY0.
  EXPECT_EQ(rig.efuse.security_info().key_purposes[0], 4);
}

TEST(EfuseVectors, NoReadProtectBurnMatchesEspefuseFile) {
  // xts128_no_read_protect.efuse.bin: the same key burned with --no-read-protect, i.e. BLOCK0
  // without RD_DIS bit 0: 0x00800100, 0, 0x04000000.
  Rig rig;
  auto json = nlohmann::json::parse(espfab::test::read_vector_text("efuse/step02_burn_key_xts128.pgm_writes.json"));
  for (auto& program : json.at("programs")) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> writes;
    for (const auto& pair : program.at("regs")) writes.emplace_back(parse_u32(pair.at(0)), parse_u32(pair.at(1)));
    if (program.at("block") == 0) writes[1].second = 0;  // RD_DIS not burned
    program_cycle(rig.host, program.at("block").get<unsigned>(), writes);
  }
  EXPECT_EQ(to_hex(rig.efuse.file_image()),
            to_hex(espfab::test::read_vector("efuse/xts128_no_read_protect.efuse.bin")));
}

// neg_burn_write_protected.txt: after step 08a (WR_DIS bit 2), espefuse refuses to burn
// DIS_USB_SERIAL_JTAG. The chip itself drops write-protected bits: forcing the program cycle
// through the registers leaves the eFuse file unchanged.
TEST(EfuseVectors, WriteProtectedBitIsNotBurned) {
  Rig rig;
  const Bytes before = espfab::test::read_vector("efuse/step08a_write_protect.efuse.bin");
  rig.efuse.load_file_image(before);
  program_cycle(rig.host, 0, {{reg(0x00C), 0x00800000}});  // BLOCK0 word 3 bit 23
  EXPECT_EQ(to_hex(rig.efuse.file_image()), to_hex(before));
  EXPECT_EQ(rig.efuse.program_cycles(), 1u);
}

TEST(EfuseVectors, WriteProtectedKeyBlockIsNotBurned) {
  Rig rig;
  rig.efuse.load_file_image(espfab::test::read_vector("efuse/step03_burn_key_digest.efuse.bin"));
  const Bytes before = rig.efuse.file_image();
  // BLOCK_KEY1 is write-protected (WR_DIS bit 24) after burn_key_digest.
  program_cycle(rig.host, 5, {{reg(0), 0xFFFFFFFF}});
  EXPECT_EQ(rig.host.read_reg(0x600070BC), 0xe8277d89u);
  EXPECT_EQ(rig.efuse.file_image(), before);
}

TEST(EfuseVectors, BadCheckBytesBurnButReadBackAsCodingError) {
  Rig rig;
  program_cycle(rig.host, 3, {{reg(0), 0x12345678}, {reg(0x20), 0xDEADBEEF}});
  EXPECT_EQ(rig.host.read_reg(0x6000707C), 0x12345678u);
  const std::uint32_t rs_err0 = rig.host.read_reg(reg(efuse::EFUSE_RD_RS_ERR0_REG));
  EXPECT_EQ(rs_err0, 1u << 11);  // BLOCK_USR_DATA fail bit
  EXPECT_EQ(rig.host.read_reg(reg(efuse::EFUSE_RD_RS_ERR1_REG)), 0u);
}

TEST(EfuseVectors, SecondWriteIntoAnRsBlockBreaksItsCode) {
  Rig rig;
  std::array<std::uint8_t, 32> first{};
  first[0] = 0x01;
  const auto check = rs_check_bytes(first);
  program_cycle(rig.host, 2,
                Writes{{reg(0), 0x01u},
                       {reg(0x20), load_le32(check, 0)},
                       {reg(0x24), load_le32(check, 4)},
                       {reg(0x28), load_le32(check, 8)}});
  EXPECT_EQ(rig.host.read_reg(reg(efuse::EFUSE_RD_RS_ERR0_REG)), 0u);
  std::array<std::uint8_t, 32> second{};
  second[4] = 0x80;
  const auto check2 = rs_check_bytes(second);
  program_cycle(rig.host, 2,
                Writes{{reg(4), 0x80u},
                       {reg(0x20), load_le32(check2, 0)},
                       {reg(0x24), load_le32(check2, 4)},
                       {reg(0x28), load_le32(check2, 8)}});
  EXPECT_EQ(rig.host.read_reg(0x6000705C), 0x01u);
  EXPECT_EQ(rig.host.read_reg(0x60007060), 0x80u);
  EXPECT_EQ(rig.host.read_reg(reg(efuse::EFUSE_RD_RS_ERR0_REG)), 1u << 7);  // BLOCK_SYS_DATA fail
}

TEST(EfuseVectors, ProgramWithoutTheWriteOpCodeDoesNothing) {
  Rig rig;
  rig.host.write_reg(reg(0x004), 0x1);
  rig.host.write_reg(reg(efuse::EFUSE_CMD_REG), efuse::kPgmCmd);
  EXPECT_EQ(rig.efuse.program_cycles(), 0u);
  EXPECT_EQ(rig.host.read_reg(0x60007030), 0u);
}

TEST(EfuseVectors, HiddenStateRestoresReadProtectedKeyAcrossRestarts) {
  Rig rig;
  replay_step(rig.host, "step02_burn_key_xts128.pgm_writes.json");
  const Bytes file = rig.efuse.file_image();
  const Bytes hidden = rig.efuse.hidden_state();
  EfuseController restored;
  restored.load_file_image(file);
  restored.load_hidden_state(hidden);
  EXPECT_EQ(restored.file_image(), file);
  EXPECT_EQ(restored.key_block(0), rig.efuse.key_block(0));
  EXPECT_THROW(restored.load_hidden_state(Bytes(10, 0)), BadInputError);
}

TEST(EfuseVectors, SecurityInfoAfterTheWholeChain) {
  Rig rig;
  rig.efuse.load_file_image(espfab::test::read_vector("efuse/step08b_read_protect.efuse.bin"));
  const SecurityInfo info = rig.efuse.security_info();
  EXPECT_EQ(info.flash_crypt_cnt, 7);
  EXPECT_EQ(info.key_purposes[0], 4);  // XTS_AES_128_KEY
  EXPECT_EQ(info.key_purposes[1], 9);  // SECURE_BOOT_DIGEST0
  EXPECT_EQ(info.flags, efuse::kSecInfoSecureBootEn | efuse::kSecInfoSoftDisJtag | efuse::kSecInfoHardDisJtag);
  EXPECT_TRUE(rig.efuse.flash_encryption_enabled());
  const Bytes wire = info.serialize();
  ASSERT_EQ(wire.size(), 20u);
  EXPECT_EQ(load_le32(wire, 12), 9u);
}

// A state directory keeps the eFuses in two files: the espefuse layout and a hidden record with the
// read-protected bits and the check bytes. The hidden one is written first, so an emulator killed
// between the two writes comes back with the new state whole (never new key data with old check
// bytes: RS errors no real burn leaves), and the espefuse file catches up.
TEST(EfuseVectors, AStateDirectoryKilledBetweenItsTwoWritesComesBackWhole) {
  Rig rig;
  const Bytes before = rig.efuse.file_image();
  std::array<std::uint8_t, 32> key{};
  key[0] = 0x5A;
  const auto check = rs_check_bytes(key);
  program_cycle(rig.host, efuse::kBlockKey0,
                Writes{{reg(0), 0x5Au},
                       {reg(0x20), load_le32(check, 0)},
                       {reg(0x24), load_le32(check, 4)},
                       {reg(0x28), load_le32(check, 8)}});
  ASSERT_EQ(rig.host.read_reg(reg(efuse::EFUSE_RD_RS_ERR0_REG)), 0u);
  espfab::test::TempDir dir;
  write_file_atomic(dir / VirtualDevice::kEfuseFile, before);  // the second write never happened
  write_file_atomic(dir / VirtualDevice::kEfuseHiddenFile, rig.efuse.hidden_state());
  DeviceConfig config;
  config.state_dir = dir.path();
  config.flash_size = 0x100000;
  VirtualDevice device(config);
  EXPECT_EQ(device.efuse().key_block(0)[0], 0x5A);
  EXPECT_EQ(device.efuse().read_register(reg(efuse::EFUSE_RD_RS_ERR0_REG)), 0u);
  EfuseController espefuse_view;  // what espefuse --virt reads from the directory now
  espefuse_view.load_file_image(read_file(dir / VirtualDevice::kEfuseFile));
  EXPECT_EQ(espefuse_view.key_block(0), key);
}

}  // namespace
}  // namespace espfab::emulator
