#include "loader/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/loader/scripted_device.hpp"
#include "support/transport/fake_transport.hpp"
#include "util/error.hpp"

namespace espfab::loader {
namespace {

using test::FakeTransport;
using test::ScriptedDevice;

SessionOptions quick_options(std::uint32_t baud = 115200) {
  SessionOptions options;
  options.connect.before = BeforeReset::NoReset;
  options.connect.sleep = [](std::chrono::milliseconds) {};
  options.baud = baud;
  return options;
}

TEST(Session, RomSessionAttachesFlash) {
  FakeTransport link;
  ScriptedDevice device(link);
  Session session(link, quick_options());
  EXPECT_FALSE(session.stub_running());
  EXPECT_EQ(session.description().name, "ESP32-S3");
  EXPECT_EQ(session.flash_block(), 0x400u);
  EXPECT_EQ(device.opcodes(), (std::vector<std::uint8_t>{0x08, 0x14, 0x0A, 0x0A, 0x0D}));
  EXPECT_EQ(device.requests.back().data.size(), 8u);  // SPI_ATTACH to the ROM: 8 bytes
  EXPECT_EQ(session.flash_size(), 4u * 1024 * 1024);
}

TEST(Session, PrepareFlashSendsTheDetectedSizeOnce) {
  FakeTransport link;
  ScriptedDevice device(link);
  Session session(link, quick_options());
  session.prepare_flash();
  session.prepare_flash();
  const auto ops = device.opcodes();
  EXPECT_EQ(std::count(ops.begin(), ops.end(), 0x0B), 1) << "one SPI_SET_PARAMS per session";
  ASSERT_EQ(ops.back(), 0x0B);
  const auto& params = device.requests.back().data;
  ASSERT_EQ(params.size(), 24u);
  // id, total size (4 MiB from the JEDEC id), block 64 KiB, sector 4 KiB, page 256, status mask.
  EXPECT_EQ(params[4] | params[5] << 8 | params[6] << 16 | params[7] << 24, 4 * 1024 * 1024);
}

TEST(Session, ChangesBaudBeforeUploadingTheStub) {
  FakeTransport link;
  ScriptedDevice device(link);
  auto options = quick_options(921600);
  StubImage stub;
  stub.text = Bytes(100, 1);
  stub.text_start = 0x40378000;
  stub.entry = 0x40378010;
  options.stub = stub;
  Session session(link, options);
  EXPECT_TRUE(session.stub_running());
  EXPECT_EQ(session.flash_block(), 0x4000u);
  const auto ops = device.opcodes();
  const auto baud_at = std::find(ops.begin(), ops.end(), 0x0F);
  const auto mem_at = std::find(ops.begin(), ops.end(), 0x05);
  ASSERT_NE(baud_at, ops.end());
  ASSERT_NE(mem_at, ops.end());
  EXPECT_LT(baud_at, mem_at);
  EXPECT_EQ(device.baud_requested, 921600u);
  EXPECT_EQ(load_le32(device.requests[static_cast<std::size_t>(baud_at - ops.begin())].data, 4), 0u);  // old = 0 to ROM
  EXPECT_EQ(link.baud(), 921600u);
  EXPECT_EQ(device.count(0x0D), 0u);  // the stub attaches by itself
}

TEST(Session, RunningStubIsReusedNotUploaded) {
  FakeTransport link;
  ScriptedDevice device(link);
  device.stub = true;
  auto options = quick_options();
  options.stub = StubImage{Bytes(8, 1), 0x40378000, {}, 0, 0x40378004};
  Session session(link, options);
  EXPECT_TRUE(session.stub_was_running());
  EXPECT_EQ(device.count(0x05), 0u);
}

TEST(Session, WrongChipFailsWithLinkContext) {
  FakeTransport link;
  ScriptedDevice device(link);
  device.chip_id = 13;
  try {
    Session session(link, quick_options());
    FAIL();
  } catch (const PolicyRefusalError& e) {
    EXPECT_NE(e.describe().find("ESP32-C6"), std::string::npos);
    EXPECT_NE(e.describe().find("while connecting to fake"), std::string::npos);
  }
  EXPECT_EQ(device.count(0x02) + device.count(0x10), 0u);
}

TEST(Session, FinishNoResetReturnsStubToRom) {
  FakeTransport link;
  ScriptedDevice device(link);
  device.stub = true;
  Session session(link, quick_options());
  session.finish(AfterReset::NoReset);
  EXPECT_FALSE(device.stub);
  EXPECT_EQ(device.opcodes().back(), 0x04);
}

TEST(Session, StubBaudChangeNamesTheOldRate) {
  FakeTransport link;
  ScriptedDevice device(link);
  device.stub = true;
  Session session(link, quick_options(2'000'000));
  const auto ops = device.opcodes();
  const auto at = std::find(ops.begin(), ops.end(), 0x0F);
  ASSERT_NE(at, ops.end());
  const auto& change = device.requests[static_cast<std::size_t>(at - ops.begin())];
  EXPECT_EQ(load_le32(change.data, 0), 2'000'000u);
  EXPECT_EQ(load_le32(change.data, 4), 115200u);  // the stub gets the current rate
  EXPECT_EQ(link.baud(), 2'000'000u);
}

TEST(Session, FinishNoResetInRomModeSendsNothing) {
  FakeTransport link;
  ScriptedDevice device(link);
  Session session(link, quick_options());
  const auto before = device.requests.size();
  session.finish(AfterReset::NoReset);
  session.finish(AfterReset::NoResetStub);
  EXPECT_EQ(device.requests.size(), before);
}

TEST(Session, FinishHardResetClearsForceDownloadAndPulsesEn) {
  FakeTransport link;
  ScriptedDevice device(link);
  device.registers[0x6000812C] = 1;
  Session session(link, quick_options());
  session.finish(AfterReset::HardReset);
  EXPECT_EQ(device.registers[0x6000812C], 0u);
  EXPECT_EQ(link.events()[link.events().size() - 2], "lines rts=1");
  EXPECT_EQ(link.events().back(), "lines rts=0");
}

}  // namespace
}  // namespace espfab::loader
