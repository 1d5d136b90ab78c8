// The loader state machine against the serial protocol spec's §10 fidelity checklist (item
// numbers in the test names' comments).
#include "emulator/command_handler.hpp"

#include "emulator/xts_engine.hpp"
#include "security/efuse_reed_solomon.hpp"
#include "security/flash_encryption.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>

#include "loader_test_client.hpp"
#include "util/crypto.hpp"

namespace espfab::emulator {
namespace {

using test::Host;
using test::parse;
using test::words;

const Bytes kRomOk{0, 0, 0, 0};
const Bytes kStubOk{0, 0};

struct Rig {
  EfuseController efuse;
  VirtualFlash flash{0x400000};
  SpiFlashController spi{flash, FlashIdentity::for_size(0x400000)};
  RegisterSpace registers{efuse, spi};
  CommandHandler handler{registers, efuse, flash, test::test_stubs()};
  Host host{handler};

  Rig() { efuse.factory_program({0x7c, 0xdf, 0xa1, 0x00, 0x11, 0x22}); }
  void enter_stub() {
    auto frames = host.run_stub();
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(parse(frames[0]).data, kRomOk);
    EXPECT_EQ(frames[1], Bytes({'O', 'H', 'A', 'I'}));
    ASSERT_EQ(handler.mode(), LoaderMode::Stub);
  }
};

Bytes random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

Bytes zlib_compress(ByteView data) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  Bytes out(size);
  EXPECT_EQ(compress2(out.data(), &size, data.data(), static_cast<uLong>(data.size()), 9), Z_OK);
  out.resize(size);
  return out;
}

TEST(CommandHandler, RomSyncGivesEightFramesWithNonZeroValue) {  // items 3, 27
  Rig rig;
  const auto frames = rig.host.raw(Opcode::Sync, test::sync_payload());
  ASSERT_EQ(frames.size(), 8u);
  for (const auto& frame : frames) {
    const auto r = parse(frame);
    EXPECT_EQ(r.op, 0x08);
    EXPECT_NE(r.value, 0u);
    EXPECT_EQ(r.data, kRomOk);
  }
}

TEST(CommandHandler, EveryResponseIsItsOwnSlipFrame) {  // item 1
  Rig rig;
  const Bytes wire = rig.handler.on_bytes(slip_encode(test::request(Opcode::Sync, test::sync_payload())));
  SlipDecoder decoder;
  std::vector<Bytes> frames;
  decoder.feed(wire, frames);
  EXPECT_EQ(frames.size(), 8u);
  EXPECT_EQ(wire.front(), 0xC0);
  EXPECT_EQ(wire.back(), 0xC0);
  for (std::size_t i = 1; i + 1 < wire.size(); ++i) {
    if (wire[i] == 0xC0) {
      EXPECT_TRUE(wire[i - 1] == 0xC0 || wire[i + 1] == 0xC0) << i;  // C0 C0 between frames
    }
  }
}

TEST(CommandHandler, ReadRegMagicUartDevAndUnmodelledAddresses) {  // items 5, 8, 9, 26
  Rig rig;
  const auto r = rig.host.call(Opcode::ReadReg, words({0x40001000}));
  EXPECT_EQ(r.value, 9u);
  EXPECT_EQ(r.data, kRomOk);
  EXPECT_EQ(rig.host.read_reg(0x3FCEF14C), 0u);
  for (std::uint32_t address : {0x3FF5A00Cu, 0x3FF5A014u, 0x3FF6607Cu}) {
    const auto other = rig.host.call(Opcode::ReadReg, words({address}));
    EXPECT_EQ(other.value, 0u);
    EXPECT_EQ(other.data, kRomOk);
  }
}

TEST(CommandHandler, MacRegistersAndSecurityInfo) {  // items 8, 10, 25
  Rig rig;
  EXPECT_EQ(rig.host.read_reg(0x60007044), 0xA1001122u);
  EXPECT_EQ(rig.host.read_reg(0x60007048) & 0xFFFF, 0x7CDFu);
  const auto r = rig.host.call(Opcode::GetSecurityInfo);
  ASSERT_EQ(r.data.size(), 24u);
  EXPECT_EQ(load_le32(r.data, 12), 9u);
  EXPECT_EQ(Bytes(r.data.end() - 4, r.data.end()), kRomOk);
}

TEST(CommandHandler, UnknownAndStubOnlyOpcodesFailInRom) {  // items 6, 20
  Rig rig;
  for (Opcode op : {Opcode::EraseFlash, Opcode::EraseRegion, static_cast<Opcode>(0x42)}) {
    const auto r = rig.host.call(op, op == Opcode::EraseRegion ? words({0, 0x1000}) : Bytes{});
    EXPECT_EQ(r.op, static_cast<std::uint8_t>(op));
    EXPECT_EQ(r.data, Bytes({1, 5, 0, 0}));
  }
}

TEST(CommandHandler, DataChecksumAndLengthAreVerified) {  // item 7
  Rig rig;
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x1000, 4, 0x400, 0x10000, 0})).data, kRomOk);
  auto [payload, sum] = test::data_block(0, Bytes(0x400, 0x12));
  EXPECT_EQ(rig.host.call(Opcode::FlashData, payload, sum ^ 1).data, Bytes({1, 7, 0, 0}));
  payload.pop_back();
  EXPECT_EQ(rig.host.call(Opcode::FlashData, payload, sum).data, Bytes({1, 5, 0, 0}));
  rig.enter_stub();
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x400, 1, 0x4000, 0x10000})).data, kStubOk);
  auto [p2, s2] = test::data_block(0, Bytes(0x400, 0x12));
  EXPECT_EQ(rig.host.call(Opcode::FlashData, p2, s2 ^ 1).data, Bytes({0xC1, 0}));
  p2.pop_back();
  EXPECT_EQ(rig.host.call(Opcode::FlashData, p2, s2).data, Bytes({0xC0, 0}));
}

TEST(CommandHandler, SpiRdidAndSfdpThroughRegisters) {  // item 11
  Rig rig;
  rig.host.write_reg(0x60002028, 23);          // MISO_DLEN
  rig.host.write_reg(0x60002018, 0x90000000);  // USER: COMMAND | MISO
  rig.host.write_reg(0x60002020, 0x7000009F);  // USER2: RDID
  rig.host.write_reg(0x60002058, 0);
  rig.host.write_reg(0x60002000, 0x00040000);
  EXPECT_EQ(rig.host.read_reg(0x60002000) & (1u << 18), 0u);
  EXPECT_EQ(rig.host.read_reg(0x60002058), 0x001640C8u);  // 4 MB GigaDevice
  rig.host.write_reg(0x60002028, 7);
  rig.host.write_reg(0x6000201C, 0x5C000007);
  rig.host.write_reg(0x60002018, 0xF0000000);
  rig.host.write_reg(0x60002020, 0x7000005A);
  rig.host.write_reg(0x60002004, 0x10);
  rig.host.write_reg(0x60002000, 0x00040000);
  EXPECT_NE(rig.host.read_reg(0x60002058) & 0xFF, 0x20u);
}

// RDID through the SPI1 registers, as esptool's flash_id does it.
std::uint32_t read_jedec_id(Rig& rig) {
  rig.host.write_reg(0x60002028, 23);          // MISO_DLEN
  rig.host.write_reg(0x60002018, 0x90000000);  // USER: COMMAND | MISO
  rig.host.write_reg(0x60002020, 0x7000009F);  // USER2: RDID
  rig.host.write_reg(0x60002058, 0);
  rig.host.write_reg(0x60002000, 0x00040000);
  return rig.host.read_reg(0x60002058) & 0xFFFFFF;
}

// Issue 21 item 5: SPI_ATTACH to other pins (HSPI or packed pin numbers) attaches no flash on
// the modelled module: RDID reads all ones and flash commands fail; the internal flash is untouched.
TEST(CommandHandler, SpiAttachToOtherPinsFindsNoFlash) {
  Rig rig;
  for (const std::uint32_t pins : {1u /* HSPI */, 6u | 17u << 6 | 8u << 12 | 9u << 18 | 10u << 24}) {
    ASSERT_EQ(rig.host.call(Opcode::SpiAttach, words({pins, 0})).data, kRomOk);
    EXPECT_EQ(read_jedec_id(rig), 0xFFFFFFu) << pins;
    EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x400, 1, 0x400, 0x10000, 0})).data, Bytes({1, 9, 0, 0}));
    EXPECT_EQ(rig.host.call(Opcode::SpiFlashMd5, words({0, 0x100, 0, 0})).data, Bytes({1, 9, 0, 0}));
  }
  EXPECT_EQ(rig.flash.view(0x10000, 1)[0], 0xFF);
  // Back on the default pins the flash answers again.
  ASSERT_EQ(rig.host.call(Opcode::SpiAttach, words({0, 0})).data, kRomOk);
  EXPECT_EQ(read_jedec_id(rig), 0x1640C8u);
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x400, 1, 0x400, 0x10000, 0})).data, kRomOk);
  // The stub (it attaches the default pins when it starts) follows SPI_ATTACH the same way.
  rig.host.call(Opcode::SpiAttach, words({1, 0}));
  rig.enter_stub();
  EXPECT_EQ(read_jedec_id(rig), 0x1640C8u);
  ASSERT_EQ(rig.host.call(Opcode::SpiAttach, words({1})).data, kStubOk);
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x100, 1, 0x4000, 0x20000})).data, Bytes({0xC4, 0}));
  EXPECT_EQ(read_jedec_id(rig), 0xFFFFFFu);
  // A chip reset puts the flash back on its default pins.
  rig.handler.reset();
  rig.registers.reset();
  EXPECT_EQ(read_jedec_id(rig), 0x1640C8u);
}

TEST(CommandHandler, WriteRegAppliesMaskAndIgnoresUartDate) {  // item 21
  Rig rig;
  rig.host.write_reg(0x6000812C, 0xFFFFFFFF);
  const auto r = rig.host.call(Opcode::WriteReg, words({0x6000812C, 0, 1, 0, 0x60000080, 0, 0, 1000}));
  EXPECT_EQ(r.data, kRomOk);
  EXPECT_EQ(rig.host.read_reg(0x6000812C), 0xFFFFFFFEu);
  EXPECT_EQ(rig.host.read_reg(0x60000080), 0u);
}

TEST(CommandHandler, RomFlashWriteWithPaddingAndHexMd5) {  // items 13, 17
  Rig rig;
  const Bytes image = random_bytes(0x900, 1);
  EXPECT_EQ(rig.host.call(Opcode::SpiAttach, words({0, 0})).data, kRomOk);
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x900, 3, 0x400, 0x10000, 0})).data, kRomOk);
  for (std::uint32_t seq = 0; seq < 3; ++seq) {
    Bytes block = test::chunk(image, seq, 0x400);
    block.resize(0x400, 0xFF);
    EXPECT_EQ(rig.host.data_call(Opcode::FlashData, seq, block).data, kRomOk);
  }
  const auto r = rig.host.call(Opcode::SpiFlashMd5, words({0x10000, 0x900, 0, 0}));
  ASSERT_EQ(r.data.size(), 36u);
  EXPECT_EQ(std::string(r.data.begin(), r.data.begin() + 32), to_hex(crypto::md5(image)));
  EXPECT_EQ(Bytes(r.data.end() - 4, r.data.end()), kRomOk);
}

TEST(CommandHandler, RomCompressedWriteAndReadFlashSlow) {  // items 13, 19
  Rig rig;
  const Bytes image = random_bytes(5000, 2);
  const Bytes z = zlib_compress(image);
  EXPECT_EQ(rig.host.call(Opcode::FlashDeflBegin, words({0x1400, 1, 0x400, 0x20000, 0})).data, kRomOk);
  for (std::uint32_t seq = 0; seq * 0x400 < z.size(); ++seq) {
    Bytes block = test::chunk(z, seq, 0x400);
    EXPECT_EQ(rig.host.data_call(Opcode::FlashDeflData, seq, block).data, kRomOk);
  }
  const auto r = rig.host.call(Opcode::ReadFlashSlow, words({0x20000, 16}));
  ASSERT_EQ(r.data.size(), 68u);
  EXPECT_TRUE(std::equal(image.begin(), image.begin() + 64, r.data.begin()));
  EXPECT_EQ(rig.host.call(Opcode::ReadFlashSlow, words({0x20000, 65})).data, Bytes({1, 0x0A, 0, 0}));
}

// Programs one eFuse block through the controller registers (no RS check words: BLOCK0 only, or
// data the test does not read back through RS).
void program_block(Rig& rig, unsigned block, const std::array<std::uint32_t, 8>& words_to_burn) {
  for (unsigned w = 0; w < 8; ++w) rig.host.write_reg(0x60007000 + 4 * w, words_to_burn[w]);
  if (block != 0) {
    Bytes bytes(32);
    for (std::size_t i = 0; i < 32; ++i) bytes[i] = static_cast<std::uint8_t>(words_to_burn[i / 4] >> (8 * (i % 4)));
    const auto check = security::rs_check_words(bytes);
    for (unsigned w = 0; w < 3; ++w) rig.host.write_reg(0x60007020 + 4 * w, check[w]);
  }
  rig.host.write_reg(0x600071CC, 0x5A5A);
  rig.host.write_reg(0x600071D4, 0x2 | (block << 2));
  rig.host.write_reg(0x600071CC, 0x5AA5);
  rig.host.write_reg(0x600071D4, 0x1);
}

TEST(CommandHandler, EncryptedFlashBeginWritesXtsCiphertextWithTheEfuseKey) {  // item 13 (5th word)
  Rig rig;
  // Without an XTS key the ROM cannot encrypt.
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x1000, 1, 0x400, 0x10000, 1})).data, Bytes({1, 6, 0, 0}));
  Bytes key_file(32);
  for (std::size_t i = 0; i < key_file.size(); ++i) key_file[i] = static_cast<std::uint8_t>(0x5A ^ (i * 13));
  const security::FlashEncryptionKey key{SecretBytes(Bytes(key_file))};
  const SecretBytes block = key.efuse_block_bytes(0);
  std::array<std::uint32_t, 8> key_words{};
  for (std::size_t i = 0; i < 32; ++i) key_words[i / 4] |= std::uint32_t{block.view()[i]} << (8 * (i % 4));
  program_block(rig, 4, key_words);
  program_block(rig, 0,
                {0, 1u /* RD_DIS BLOCK_KEY0 */, 0x04000000u /* KEY_PURPOSE_0 = XTS_AES_128_KEY */, 0, 0, 0, 0, 0});
  const Bytes plain = random_bytes(0x800, 5);
  ASSERT_EQ(rig.host.call(Opcode::FlashBegin, words({0x800, 2, 0x400, 0x10000, 1})).data, kRomOk);
  for (std::uint32_t seq = 0; seq < 2; ++seq) {
    const Bytes part(plain.begin() + seq * 0x400, plain.begin() + (seq + 1) * 0x400);
    ASSERT_EQ(rig.host.data_call(Opcode::FlashData, seq, part).data, kRomOk);
  }
  const ByteView stored = rig.flash.view(0x10000, 0x800);
  EXPECT_EQ(Bytes(stored.begin(), stored.end()), security::encrypt_flash_data(key, 0x10000, plain));
  // DIS_DOWNLOAD_MANUAL_ENCRYPT ends it.
  program_block(rig, 0, {0, 1u << 20, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x400, 1, 0x400, 0x20000, 1})).data, Bytes({1, 6, 0, 0}));
}

// Issue 21 item 4: a key block whose two halves are equal (here the all-zero key) is what the
// engine uses; before, the model threw and ended the whole emulator.
TEST(CommandHandler, EncryptedFlashBeginUsesAKeyWithEqualHalves) {
  Rig rig;
  program_block(rig, 0, {0, 0, 0x04000000u /* KEY_PURPOSE_0 = XTS_AES_128_KEY, key block all zero */, 0, 0, 0, 0, 0});
  const Bytes plain = random_bytes(0x400, 6);
  test::Reply begin;
  ASSERT_NO_THROW(begin = rig.host.call(Opcode::FlashBegin, words({0x400, 1, 0x400, 0x10000, 1})));
  ASSERT_EQ(begin.data, kRomOk);
  ASSERT_EQ(rig.host.data_call(Opcode::FlashData, 0, plain).data, kRomOk);
  Bytes expected = plain;
  ASSERT_TRUE(XtsEngine::zero_key().encrypt(0x10000, expected));
  const ByteView stored = rig.flash.view(0x10000, 0x400);
  EXPECT_EQ(Bytes(stored.begin(), stored.end()), expected);
  EXPECT_NE(expected, plain);
}

// Issue 21 item 3: the stub's FLASH_ENCRYPT_DATA (esptool write_flash --encrypt with the stub):
// FLASH_DATA's payload, acknowledged on receipt, written through the chip's XTS engine with the
// eFuse key; what lands in flash is the host-side XTS encryption of the data at that address.
TEST(CommandHandler, StubFlashEncryptDataWritesTheXtsEncryptionOfTheData) {
  Rig rig;
  const Bytes key_file = random_bytes(32, 21);
  const security::FlashEncryptionKey key{SecretBytes(Bytes(key_file))};
  const SecretBytes block = key.efuse_block_bytes(0);
  std::array<std::uint32_t, 8> key_words{};
  for (std::size_t i = 0; i < 32; ++i) key_words[i / 4] |= std::uint32_t{block.view()[i]} << (8 * (i % 4));
  program_block(rig, 4, key_words);
  program_block(rig, 0,
                {0, 1u /* RD_DIS BLOCK_KEY0 */, 0x04000000u /* KEY_PURPOSE_0 = XTS_AES_128_KEY */, 0, 0, 0, 0, 0});
  // In ROM mode the command does not exist.
  EXPECT_EQ(rig.host.call(Opcode::FlashEncryptData, Bytes(16, 0)).data, Bytes({1, 5, 0, 0}));
  rig.enter_stub();

  const Bytes plain = random_bytes(0x4410, 22);  // two blocks, the last one padded by the host
  ASSERT_EQ(rig.host.call(Opcode::FlashBegin, words({0x4410, 2, 0x4000, 0x20000})).data, kStubOk);
  EXPECT_EQ(rig.host.data_call(Opcode::FlashEncryptData, 0, test::chunk(plain, 0, 0x4000)).data, kStubOk);
  Bytes last = test::chunk(plain, 1, 0x4000);
  last.resize(0x4000, 0xFF);
  EXPECT_EQ(rig.host.data_call(Opcode::FlashEncryptData, 1, last).data, kStubOk);
  EXPECT_EQ(rig.host.call(Opcode::FlashEnd, words({1})).data, kStubOk);
  const ByteView stored = rig.flash.view(0x20000, 0x4410);
  EXPECT_EQ(Bytes(stored.begin(), stored.end()), security::encrypt_flash_data(key, 0x20000, plain));
  EXPECT_EQ(rig.flash.view(0x24410, 0x10)[0], 0xFF) << "the padding of the last block is dropped";

  // A checksum error is reported on the block itself; nothing is written.
  ASSERT_EQ(rig.host.call(Opcode::FlashBegin, words({0x100, 1, 0x4000, 0x30000})).data, kStubOk);
  auto [payload, sum] = test::data_block(0, Bytes(0x100, 0x42));
  EXPECT_EQ(rig.host.call(Opcode::FlashEncryptData, payload, sum ^ 1).data, Bytes({0xC1, 0}));
  // The engine works on 16-byte units: an unaligned position fails the write (reported at the end).
  ASSERT_EQ(rig.host.call(Opcode::FlashBegin, words({0x18, 1, 0x4000, 0x30008})).data, kStubOk);
  EXPECT_EQ(rig.host.data_call(Opcode::FlashEncryptData, 0, Bytes(0x18, 0x42)).data, kStubOk);
  EXPECT_EQ(rig.host.call(Opcode::FlashEnd, words({1})).data, Bytes({0xC4, 0}));

  // DIS_DOWNLOAD_MANUAL_ENCRYPT: the engine does not encrypt in download mode; nothing is written.
  program_block(rig, 0, {0, 1u << 20, 0, 0, 0, 0, 0, 0});
  ASSERT_EQ(rig.host.call(Opcode::FlashBegin, words({0x100, 1, 0x4000, 0x40000})).data, kStubOk);
  EXPECT_EQ(rig.host.data_call(Opcode::FlashEncryptData, 0, Bytes(0x100, 0x42)).data, kStubOk);
  EXPECT_EQ(rig.host.call(Opcode::FlashEnd, words({1})).data, Bytes({0xC4, 0}));
  EXPECT_EQ(rig.flash.view(0x40000, 0x100)[0], 0xFF);
}

// Issue 21 item 2: the ROM loader checks DIS_DOWNLOAD_MODE / ENABLE_SECURITY_DOWNLOAD in the eFuse
// read registers after each command (espefuse v4.8.1 EspEfuses.efuse_read); the read registers
// change at READ_CMD. Before, the lock took effect only at the next reset.
bool unsupported(const std::vector<Bytes>& frames, Opcode op) {
  return frames.size() == 1 && frames[0].size() >= 12 && frames[0][1] != static_cast<std::uint8_t>(op) &&
         frames[0][frames[0].size() - 4] == 1 && frames[0][frames[0].size() - 3] == 5;
}

TEST(CommandHandler, TheRomTurnsOnSecureDownloadAfterTheReadCmdThatLoadsIt) {
  Rig rig;
  for (unsigned w = 0; w < 8; ++w) rig.host.write_reg(0x60007000 + 4 * w, w == 4 ? 1u << 5 : 0u);
  rig.host.write_reg(0x600071CC, 0x5A5A);
  rig.host.write_reg(0x600071D4, 0x2);  // PGM BLOCK0 with ENABLE_SECURITY_DOWNLOAD
  // Burned, not yet loaded into the read registers: the loader goes on.
  EXPECT_EQ(rig.host.read_reg(0x600071D4) & 0x3, 0u);
  EXPECT_EQ(rig.host.read_reg(0x60007030 + 4 * 3) & (1u << 5), 0u);
  rig.host.write_reg(0x600071CC, 0x5AA5);
  rig.host.write_reg(0x600071D4, 0x1);  // READ_CMD: answered, then the ROM sees the bit
  // espefuse's next "wait idle" READ_REG is refused as in Secure Download Mode; it reconnects.
  EXPECT_TRUE(unsupported(rig.host.raw(Opcode::ReadReg, words({0x600071D4})), Opcode::ReadReg));
  const auto info = rig.host.call(Opcode::GetSecurityInfo);
  ASSERT_GE(info.data.size(), 4u);
  EXPECT_NE(info.data[0] & 0x4, 0);
  rig.handler.reset();  // and after every reset
  EXPECT_TRUE(unsupported(rig.host.raw(Opcode::ReadReg, words({0x40001000})), Opcode::ReadReg));
}

TEST(CommandHandler, TheRomLoaderStopsAfterTheReadCmdThatLoadsDisDownloadMode) {
  Rig rig;
  for (unsigned w = 0; w < 8; ++w) rig.host.write_reg(0x60007000 + 4 * w, w == 4 ? 1u : 0u);
  rig.host.write_reg(0x600071CC, 0x5A5A);
  rig.host.write_reg(0x600071D4, 0x2);  // PGM BLOCK0 with DIS_DOWNLOAD_MODE
  EXPECT_EQ(rig.host.read_reg(0x600071D4) & 0x3, 0u);
  rig.host.write_reg(0x600071CC, 0x5AA5);
  rig.host.write_reg(0x600071D4, 0x1);  // READ_CMD: its reply is the loader's last word
  EXPECT_EQ(rig.handler.mode(), LoaderMode::DownloadDisabled);
  EXPECT_TRUE(rig.host.raw(Opcode::ReadReg, words({0x600071D4})).empty());
  EXPECT_TRUE(rig.host.raw(Opcode::Sync, test::sync_payload()).empty());
  rig.handler.reset();  // download mode stays disabled
  EXPECT_TRUE(rig.host.raw(Opcode::Sync, test::sync_payload()).empty());
}

TEST(CommandHandler, TheStubChecksNoEfusesAndRunsOnUntilAReset) {
  Rig rig;
  rig.enter_stub();
  program_block(rig, 0, {0, 0, 0, 0, 1u << 5 /* ENABLE_SECURITY_DOWNLOAD */, 0, 0, 0});
  EXPECT_EQ(rig.host.read_reg(0x60007030 + 4 * 3) & (1u << 5), 1u << 5);  // the stub reads registers
  EXPECT_EQ(rig.handler.mode(), LoaderMode::Stub);
  rig.handler.reset();
  EXPECT_TRUE(unsupported(rig.host.raw(Opcode::ReadReg, words({0x40001000})), Opcode::ReadReg));
}

TEST(CommandHandler, SecureDownloadModeAllowsOnlyTheSecureCommands) {  // Deliver 3, spec §7
  Rig rig;
  program_block(rig, 0, {0, 0, 0, 0, 1u << 5 /* ENABLE_SECURITY_DOWNLOAD */, 0, 0, 0});
  rig.handler.reset();  // the ROM reads the eFuse at reset
  // Unsupported: a response under another opcode, status 1, error 0x05 (esptool's pattern).
  const auto rr_frames = rig.host.raw(Opcode::ReadReg, words({0x40001000}));
  ASSERT_EQ(rr_frames.size(), 1u);
  const Bytes& rr = rr_frames[0];
  ASSERT_GE(rr.size(), 12u);
  EXPECT_NE(rr[1], static_cast<std::uint8_t>(Opcode::ReadReg));
  EXPECT_EQ(rr[rr.size() - 4], 1);
  EXPECT_EQ(rr[rr.size() - 3], 5);
  for (Opcode refused : {Opcode::MemBegin, Opcode::SpiFlashMd5, Opcode::FlashDeflBegin, Opcode::ReadFlashSlow}) {
    const auto frames = rig.host.raw(refused, words({0, 0, 0, 0}));
    ASSERT_EQ(frames.size(), 1u);
    const Bytes& frame = frames[0];
    EXPECT_NE(frame[1], static_cast<std::uint8_t>(refused));
  }
  // Still there: SYNC-level commands, flash writes, security info with bit 2 set.
  const auto info = rig.host.call(Opcode::GetSecurityInfo);
  ASSERT_GE(info.data.size(), 4u);
  EXPECT_NE(info.data[0] & 0x4, 0);
  EXPECT_EQ(rig.host.call(Opcode::SpiAttach, words({0, 0})).data, kRomOk);
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x400, 1, 0x400, 0x30000, 0})).data, kRomOk);
}

TEST(CommandHandler, StubUploadRepliesMemEndThenOhaiThenStubStatus) {  // items 3, 4, 12
  Rig rig;
  rig.enter_stub();
  const auto frames = rig.host.raw(Opcode::Sync, test::sync_payload());
  ASSERT_EQ(frames.size(), 8u);
  for (const auto& frame : frames) {
    EXPECT_EQ(parse(frame).value, 0u);
    EXPECT_EQ(parse(frame).data, kStubOk);
  }
  const auto r = rig.host.call(Opcode::ReadReg, words({0x40001000}));
  EXPECT_EQ(r.value, 9u);
  EXPECT_EQ(r.data, kStubOk);
  EXPECT_EQ(rig.host.call(static_cast<Opcode>(0x0C)).data, Bytes({0xFF, 0}));
  EXPECT_EQ(rig.host.call(Opcode::ReadFlashSlow, words({0, 64})).data, Bytes({0xFF, 0}));  // item 19
  EXPECT_EQ(rig.host.call(Opcode::SpiAttach, words({0, 0})).data, Bytes({0xC0, 0}));       // item 22
  EXPECT_EQ(rig.host.call(Opcode::SpiAttach, words({0})).data, kStubOk);
}

TEST(CommandHandler, MemDataLandsInRamWhereReadRegAndWriteRegSeeIt) {  // issue 21 item 1
  Rig rig;
  EXPECT_EQ(rig.host.call(Opcode::MemBegin, words({8, 1, 0x1800, 0x3FC90000})).data, kRomOk);
  EXPECT_EQ(rig.host.data_call(Opcode::MemData, 0, Bytes{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}).data, kRomOk);
  EXPECT_EQ(rig.host.read_reg(0x3FC90000), 0x44332211u);
  EXPECT_EQ(rig.host.read_reg(0x3FC90004), 0x88776655u);
  // WRITE_REG's mask merges with the bytes MEM_DATA stored.
  rig.host.write_reg(0x3FC90000, 0x0000AB00, 0x0000FF00);
  EXPECT_EQ(rig.host.read_reg(0x3FC90000), 0x4433AB11u);
  // IRAM too, in several blocks.
  const Bytes code = random_bytes(0x2000, 9);
  rig.host.upload(0x40380000, code);
  EXPECT_EQ(rig.host.read_reg(0x40380000), load_le32(code, 0));
  EXPECT_EQ(rig.host.read_reg(0x40381FFC), load_le32(code, 0x1FFC));
  EXPECT_EQ(rig.registers.ram().read(0x40380000, 0x2000), code);
  // A chip reset clears RAM.
  rig.registers.reset();
  EXPECT_EQ(rig.host.read_reg(0x3FC90004), 0u);
}

TEST(CommandHandler, UnknownCodeGetsTheMemEndReplyThenSilence) {  // issue 21 item 1
  Rig rig;
  // esptool-js 0.7.0's traffic shape (text in two blocks, data, entry), other bytes.
  EXPECT_EQ(rig.host.call(Opcode::MemBegin, words({7832, 2, 0x1800, 0x40378000})).data, kRomOk);
  EXPECT_EQ(rig.host.data_call(Opcode::MemData, 0, Bytes(0x1800, 1)).data, kRomOk);
  EXPECT_EQ(rig.host.data_call(Opcode::MemData, 1, Bytes(0x698, 2)).data, kRomOk);
  EXPECT_EQ(rig.host.call(Opcode::MemBegin, words({264, 1, 0x1800, 0x3FCB2DC0})).data, kRomOk);
  EXPECT_EQ(rig.host.data_call(Opcode::MemData, 0, Bytes(264, 3)).data, kRomOk);
  const auto frames = rig.host.raw(Opcode::MemEnd, words({0, 0x40379524}));
  ASSERT_EQ(frames.size(), 1u) << "no OHAI";
  EXPECT_EQ(parse(frames[0]).data, kRomOk);
  EXPECT_EQ(rig.handler.mode(), LoaderMode::UserCode);
  const auto events = rig.handler.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, LoaderEvent::Kind::RunCode);
  EXPECT_EQ(events[0].value, 0x40379524u);
  // Nothing reads the UART any more: no SYNC answer, no register read.
  EXPECT_TRUE(rig.host.raw(Opcode::Sync, test::sync_payload()).empty());
  EXPECT_TRUE(rig.host.raw(Opcode::ReadReg, words({0x40001000})).empty());
  rig.handler.reset();
  EXPECT_EQ(rig.host.raw(Opcode::Sync, test::sync_payload()).size(), 8u);
}

TEST(CommandHandler, AKnownStubMustMatchTextDataAndEntry) {  // issue 21 item 1
  {
    Rig rig;  // the right segments, another entry point
    EXPECT_EQ(rig.host.run_stub(test::kTestStubEntry + 4).size(), 1u);
    EXPECT_EQ(rig.handler.mode(), LoaderMode::UserCode);
  }
  {
    Rig rig;  // one data byte changed by WRITE_REG after the upload
    rig.host.upload(test::kTestStubText, test::test_stub_text());
    rig.host.upload(test::kTestStubData, test::test_stub_data());
    rig.host.write_reg(test::kTestStubData + 8, 0x00000001, 0x000000FF);
    EXPECT_EQ(rig.host.raw(Opcode::MemEnd, words({0, test::kTestStubEntry})).size(), 1u);
    EXPECT_EQ(rig.handler.mode(), LoaderMode::UserCode);
  }
  {
    Rig rig;  // nothing uploaded since the reset: RAM holds no stub
    EXPECT_EQ(rig.host.raw(Opcode::MemEnd, words({0, test::kTestStubEntry})).size(), 1u);
    EXPECT_EQ(rig.handler.mode(), LoaderMode::UserCode);
  }
  Rig rig;
  rig.enter_stub();
  // The published stubs are not in the unit tests' catalogue: a handler with the default one
  // does not run the test stub.
  EfuseController efuse;
  VirtualFlash flash{0x400000};
  SpiFlashController spi{flash, FlashIdentity::for_size(0x400000)};
  RegisterSpace registers{efuse, spi};
  CommandHandler published{registers, efuse, flash};
  Host host{published};
  EXPECT_EQ(host.run_stub().size(), 1u);
  EXPECT_EQ(published.mode(), LoaderMode::UserCode);
}

TEST(CommandHandler, TheStubJumpsToMemEndsEntryToo) {  // stub_flasher.c @v4.7.0 cmd_loop
  Rig rig;
  rig.enter_stub();
  EXPECT_EQ(rig.host.call(Opcode::MemBegin, words({4, 1, 0x1800, 0x40390000})).data, kStubOk);
  EXPECT_EQ(rig.host.data_call(Opcode::MemData, 0, Bytes{1, 2, 3, 4}).data, kStubOk);
  EXPECT_EQ(rig.host.read_reg(0x40390000), 0x04030201u);
  const auto frames = rig.host.raw(Opcode::MemEnd, words({0, 0x40390000}));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(parse(frames[0]).data, kStubOk);
  EXPECT_EQ(rig.handler.mode(), LoaderMode::UserCode);
}

TEST(CommandHandler, StubCompressedWriteMd5ThenEndStaysInStub) {  // items 14, 15, 16, 17
  Rig rig;
  rig.enter_stub();
  const Bytes image = random_bytes(100000, 3);
  const Bytes z = zlib_compress(image);
  const auto blocks = static_cast<std::uint32_t>((z.size() + 0x3FFF) / 0x4000);
  EXPECT_EQ(rig.host.call(Opcode::FlashDeflBegin, words({100000, blocks, 0x4000, 0x10000})).data, kStubOk);
  for (std::uint32_t seq = 0; seq < blocks; ++seq) {
    Bytes block = test::chunk(z, seq, 0x4000);
    EXPECT_EQ(rig.host.data_call(Opcode::FlashDeflData, seq, block).data, kStubOk);
  }
  EXPECT_EQ(rig.host.call(Opcode::FlashDeflEnd, words({1})).data, kStubOk);
  const auto md5 = rig.host.call(Opcode::SpiFlashMd5, words({0x10000, 100000, 0, 0}));
  const auto digest = crypto::md5(image);
  EXPECT_EQ(md5.data, [&] {
    Bytes expected(digest.begin(), digest.end());
    expected.push_back(0);
    expected.push_back(0);
    return expected;
  }());
  EXPECT_EQ(rig.handler.mode(), LoaderMode::Stub);
}

TEST(CommandHandler, StubBlockSizeLimitsAndPaddingDropped) {  // item 14
  Rig rig;
  rig.enter_stub();
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x100, 1, 0x4001, 0})).data, Bytes({0xC2, 0}));
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x100, 1, 0x4000, 0, 0})).data, Bytes({0xC0, 0}));
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x100, 1, 0x4000, 0x3000})).data, kStubOk);
  Bytes block(0x4000, 0xFF);
  std::fill_n(block.begin(), 0x100, 0x00);
  EXPECT_EQ(rig.host.data_call(Opcode::FlashData, 0, block).data, kStubOk);
  EXPECT_EQ(rig.host.call(Opcode::FlashEnd, words({1})).data, kStubOk);
  EXPECT_EQ(rig.flash.view(0x3000, 0x100)[0xFF], 0x00);
  const auto oversize = rig.host.call(Opcode::FlashData, Bytes(0x4000 + 17, 0));
  EXPECT_EQ(oversize.data, Bytes({0xC0, 0xEE}));
}

TEST(CommandHandler, StubNotEnoughDataAndNotInFlashMode) {
  Rig rig;
  rig.enter_stub();
  EXPECT_EQ(rig.host.call(Opcode::FlashEnd, words({1})).data, Bytes({0xC6, 0}));
  EXPECT_EQ(rig.host.data_call(Opcode::FlashData, 0, Bytes(16, 0)).data, Bytes({0xC6, 0}));
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0x100, 1, 0x4000, 0})).data, kStubOk);
  EXPECT_EQ(rig.host.call(Opcode::FlashEnd, words({1})).data, Bytes({0xC8, 0}));
}

TEST(CommandHandler, StubInflateErrorIsReportedOnTheNextCommand) {  // item 15
  Rig rig;
  rig.enter_stub();
  EXPECT_EQ(rig.host.call(Opcode::FlashDeflBegin, words({0x1000, 2, 0x4000, 0})).data, kStubOk);
  EXPECT_EQ(rig.host.data_call(Opcode::FlashDeflData, 0, Bytes(64, 0x42)).data, kStubOk);
  EXPECT_EQ(rig.host.data_call(Opcode::FlashDeflData, 1, Bytes(64, 0x42)).data, Bytes({0xC7, 0}));
}

TEST(CommandHandler, FlashEndZeroInStubReturnsToRom) {  // item 16
  Rig rig;
  rig.enter_stub();
  EXPECT_EQ(rig.host.call(Opcode::FlashBegin, words({0, 0, 0x4000, 0})).data, kStubOk);
  EXPECT_EQ(rig.host.call(Opcode::FlashEnd, words({0})).data, kStubOk);
  EXPECT_EQ(rig.handler.mode(), LoaderMode::Rom);
  const auto frames = rig.host.raw(Opcode::Sync, test::sync_payload());
  ASSERT_EQ(frames.size(), 8u);
  EXPECT_NE(parse(frames[0]).value, 0u);
}

TEST(CommandHandler, StubEraseFlashAndRegion) {  // item 20
  Rig rig;
  rig.flash.program(0, Bytes(0x3000, 0x00));
  rig.enter_stub();
  EXPECT_EQ(rig.host.call(Opcode::EraseRegion, words({0x1000, 0x800})).data, Bytes({0x32, 0}));
  EXPECT_EQ(rig.host.call(Opcode::EraseRegion, words({0x1000, 0x1000})).data, kStubOk);
  EXPECT_EQ(rig.flash.view(0x1000, 1)[0], 0xFF);
  EXPECT_EQ(rig.flash.view(0x0, 1)[0], 0x00);
  EXPECT_EQ(rig.host.call(Opcode::EraseFlash).data, kStubOk);
  EXPECT_EQ(rig.flash.view(0x0, 1)[0], 0xFF);
}

class ReadFlashWindow : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(ReadFlashWindow, FlowControlNeverExceedsTheWindow) {  // item 18
  Rig rig;
  const Bytes image = random_bytes(0x5800, 4);
  rig.flash.program(0x8000, image);
  rig.enter_stub();
  const std::uint32_t window = GetParam();
  auto frames = rig.host.raw(Opcode::ReadFlash, words({0x8000, 0x5800, 0x1000, window}));
  ASSERT_GE(frames.size(), 1u);
  EXPECT_EQ(parse(frames[0]).data, kStubOk);
  Bytes received;
  std::vector<Bytes> pending(frames.begin() + 1, frames.end());
  Bytes digest;
  while (!pending.empty()) {
    EXPECT_LE(pending.size(), window + 1);
    std::vector<Bytes> next;
    for (const Bytes& frame : pending) {
      if (received.size() == image.size()) {
        digest = frame;
        continue;
      }
      received.insert(received.end(), frame.begin(), frame.end());
      Bytes ack;
      append_le32(ack, static_cast<std::uint32_t>(received.size()));
      for (Bytes& more : rig.handler.handle_frame(ack)) next.push_back(std::move(more));
    }
    pending = std::move(next);
  }
  EXPECT_EQ(received, image);
  const auto md5 = crypto::md5(image);
  EXPECT_EQ(digest, Bytes(md5.begin(), md5.end()));
  EXPECT_FALSE(rig.handler.streaming_read());
  EXPECT_EQ(rig.host.call(Opcode::ReadReg, words({0x40001000})).value, 9u);
}

INSTANTIATE_TEST_SUITE_P(Windows, ReadFlashWindow, ::testing::Values(1u, 2u, 64u, 1024u));

TEST(CommandHandler, ChangeBaudrateRepliesThenRaisesEvent) {  // item 22
  Rig rig;
  EXPECT_EQ(rig.host.call(Opcode::ChangeBaudrate, words({921600, 0})).data, kRomOk);
  const auto events = rig.handler.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, LoaderEvent::Kind::BaudChange);
  EXPECT_EQ(events[0].value, 921600u);
}

TEST(CommandHandler, EfuseBurnThroughStubUsesTheSameRegisters) {  // item 30 (device side)
  Rig rig;
  rig.enter_stub();
  rig.host.write_reg(0x60007008, 0x001C0000);  // BLOCK0 word 2: SPI_BOOT_CRYPT_CNT = 7
  rig.host.write_reg(0x600071CC, 0x5A5A);
  rig.host.write_reg(0x600071D4, 0x2);
  rig.host.write_reg(0x600071CC, 0x5AA5);
  const auto r = rig.host.call(Opcode::WriteReg, words({0x600071D4, 1, 0xFFFFFFFF, 0, 0x60000080, 0, 0, 1000}));
  EXPECT_EQ(r.data, kStubOk);
  EXPECT_EQ(rig.host.read_reg(0x60007034), 0x001C0000u);
  const auto info = rig.host.call(Opcode::GetSecurityInfo);
  ASSERT_EQ(info.data.size(), 22u);
  EXPECT_EQ(info.data[4], 7);
}

TEST(CommandHandler, ResetDropsStubAndPartialFrames) {
  Rig rig;
  rig.enter_stub();
  EXPECT_TRUE(rig.handler.on_bytes(Bytes{0xC0, 0x00, 0x08}).empty());
  rig.handler.reset();
  EXPECT_EQ(rig.handler.mode(), LoaderMode::Rom);
  const Bytes out = rig.handler.on_bytes(slip_encode(test::request(Opcode::ReadReg, words({0x40001000}))));
  SlipDecoder decoder;
  std::vector<Bytes> frames;
  decoder.feed(out, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(parse(frames[0]).data, kRomOk);
}

}  // namespace
}  // namespace espfab::emulator
