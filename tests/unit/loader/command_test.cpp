#include "loader/command.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace espfab::loader {
namespace {

using namespace std::chrono_literals;

TEST(Command, SyncIsTheDocumented36BytePacket) {
  Bytes expected = from_hex("00 08 24 00 00 00 00 00 07 07 12 20");
  expected.insert(expected.end(), 32, 0x55);
  const Command sync = commands::sync();
  EXPECT_EQ(encode_request(sync), expected);
  EXPECT_EQ(sync.timeout, 100ms);
}

TEST(Command, ReadRegAndWriteReg) {
  EXPECT_EQ(encode_request(commands::read_reg(0x40001000)), from_hex("000a0400 00000000 00100040"));
  const RegisterWrite writes[] = {{0x6000812C, 0, 1, 0us}, {0x60000080, 0, 0, 1000us}};
  EXPECT_EQ(encode_request(commands::write_reg(writes)),
            from_hex("00092000 00000000 2c810060 00000000 01000000 00000000"
                     "80000060 00000000 00000000 e8030000"));
}

TEST(Command, FlashBeginHasFifthWordOnlyForTheRom) {
  const Command rom = commands::flash_begin(0x2000, 8, 0x400, 0x10000, true, 3s);
  EXPECT_EQ(encode_request(rom), from_hex("00021400 00000000 00200000 08000000 00040000 00000100 01000000"));
  const Command stub = commands::flash_begin(0x2000, 1, 0x4000, 0x10000, std::nullopt, 3s);
  EXPECT_EQ(stub.payload, from_hex("00200000 01000000 00400000 00000100"));
  const Command defl = commands::flash_defl_begin(0x1000, 1, 0x4000, 0x8000, false, 3s);
  EXPECT_EQ(defl.opcode, Opcode::FlashDeflBegin);
  EXPECT_EQ(defl.payload, from_hex("00100000 01000000 00400000 00800000 00000000"));
}

TEST(Command, DataCommandsCarrySubHeaderAndChecksum) {
  const Bytes block{0x01, 0x02, 0x03, 0xFF};
  const Command command = commands::flash_data(block, 7, 3s);
  // checksum = 0xEF ^ 01 ^ 02 ^ 03 ^ FF = 0x10, in the low byte of the header word.
  EXPECT_EQ(encode_request(command), from_hex("00031400 10000000 04000000 07000000 00000000 00000000 010203ff"));
  EXPECT_EQ(data_checksum(Bytes{}), 0xEF);
  EXPECT_EQ(commands::flash_defl_data(block, 0, 3s).opcode, Opcode::FlashDeflData);
  EXPECT_EQ(commands::flash_encrypt_data(block, 0, 3s).opcode, Opcode::FlashEncryptData);
  EXPECT_EQ(commands::mem_data(block, 1).checksum, 0x10u);
}

TEST(Command, EndCommandsTakeOneMinusReboot) {
  EXPECT_EQ(commands::flash_end(true).payload, from_hex("00000000"));
  EXPECT_EQ(commands::flash_end(false).payload, from_hex("01000000"));
  EXPECT_EQ(commands::flash_defl_end(false).payload, from_hex("01000000"));
  EXPECT_EQ(commands::mem_end(0x40378A80).payload, from_hex("00000000 808a3740"));
  EXPECT_EQ(commands::mem_end(0).payload, from_hex("01000000 00000000"));
}

TEST(Command, SpiAttachIsEightBytesForRomFourForStub) {
  EXPECT_EQ(commands::spi_attach(0, true).payload, Bytes(8, 0));
  EXPECT_EQ(commands::spi_attach(0, false).payload, Bytes(4, 0));
}

TEST(Command, ParameterCommands) {
  EXPECT_EQ(commands::spi_set_params(4 * 1024 * 1024).payload,
            from_hex("00000000 00004000 00000100 00100000 00010000 ffff0000"));
  EXPECT_EQ(commands::change_baudrate(921600, 0).payload, from_hex("00100e00 00000000"));
  EXPECT_EQ(commands::read_flash(0x1000, 0x2000, 0x1000, 64).payload, from_hex("00100000 00200000 00100000 40000000"));
  EXPECT_EQ(commands::read_flash_slow(0x40, 64).payload, from_hex("40000000 40000000"));
  EXPECT_EQ(commands::erase_region(0x10000, 0x1000).payload, from_hex("00000100 00100000"));
  EXPECT_TRUE(commands::get_security_info().payload.empty());
  EXPECT_TRUE(commands::erase_flash().payload.empty());
}

TEST(Command, TimeoutsScaleWithSize) {
  EXPECT_EQ(timeout_per_mb(kMd5TimeoutPerMb, 100'000), 3s);  // never below 3 s
  EXPECT_EQ(timeout_per_mb(kMd5TimeoutPerMb, 16'000'000), 128s);
  EXPECT_EQ(timeout_per_mb(kEraseWriteTimeoutPerMb, 1'000'000), 40s);
  EXPECT_EQ(commands::spi_flash_md5(0, 4'000'000).timeout, 32s);
  EXPECT_EQ(commands::erase_region(0, 2'000'000).timeout, 60s);
  EXPECT_EQ(commands::erase_flash().timeout, 120s);
  EXPECT_EQ(commands::read_reg(0).timeout, 3s);
}

TEST(Command, OversizedPayloadIsABug) {
  Command command{Opcode::FlashData, Bytes(0x10000, 0), 0, 3s};
  EXPECT_THROW(encode_request(command), InternalError);
}

TEST(Opcode, NamesAsEsptoolSpellsThem) {
  EXPECT_EQ(to_string(Opcode::FlashDeflBegin), "FLASH_DEFL_BEGIN");
  EXPECT_EQ(to_string(Opcode::ReadFlash), "READ_FLASH");
  EXPECT_EQ(to_string(static_cast<Opcode>(0x42)), "UNKNOWN");
  EXPECT_TRUE(is_stub_only(Opcode::EraseRegion));
  EXPECT_FALSE(is_stub_only(Opcode::SpiFlashMd5));
}

}  // namespace
}  // namespace espfab::loader
