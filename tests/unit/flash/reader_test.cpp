#include "flash/reader.hpp"

#include <gtest/gtest.h>

#include "flash/erase.hpp"
#include "support/loader/scripted_device.hpp"
#include "support/transport/fake_transport.hpp"
#include "util/error.hpp"

namespace espfab::flash {
namespace {

using test::FakeTransport;
using test::ScriptedDevice;

struct ReaderTest : ::testing::Test {
  FakeTransport link;
  ScriptedDevice device{link};
  std::optional<loader::Session> session;

  void open(bool stub) {
    device.stub = stub;
    for (std::size_t i = 0; i < 0x20000; ++i) device.flash[i] = static_cast<std::uint8_t>(i * 13);
    loader::SessionOptions options;
    options.connect.before = loader::BeforeReset::NoReset;
    options.connect.sleep = [](std::chrono::milliseconds) {};
    session.emplace(link, options);
    session->prepare_flash();  // the flash id reads and SPI_SET_PARAMS, once per session
    device.requests.clear();
  }
};

TEST_F(ReaderTest, StubReadAcksEveryPacketWithRunningTotal) {
  open(true);
  const Bytes data = read_flash(*session, 0x1000, 0x2800, {});
  EXPECT_TRUE(std::equal(data.begin(), data.end(), device.flash.begin() + 0x1000));
  EXPECT_EQ(device.read_flash_acks, (std::vector<std::uint32_t>{0x1000, 0x2000, 0x2800}));
  EXPECT_EQ(device.requests[0].data, from_hex("00100000 00280000 00100000 40000000"));
}

TEST_F(ReaderTest, FlowControlWindowOfOne) {
  open(true);
  ReadOptions options;
  options.max_in_flight = 1;
  const Bytes data = read_flash(*session, 0, 0x10000, options);
  EXPECT_EQ(device.max_unacked_seen, 1u);
  EXPECT_EQ(device.read_flash_acks.size(), 16u);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), device.flash.begin()));
  // The loader works normally afterwards (digest consumed).
  EXPECT_EQ(session->client().read_reg(0x40001000), 9u);
}

TEST_F(ReaderTest, StalledStreamNamesTheOffset) {
  open(true);
  link.set_responder({});  // the device goes silent: only READ_FLASH's status reply comes
  link.push_input(from_hex("c0 01 d2 02 00 00000000 0000 c0"));
  try {
    read_flash_stub(session->client(), 0x3000, 0x2000, {});
    FAIL();
  } catch (const TimeoutError& e) {
    EXPECT_EQ(e.code(), "flash.read_timeout");
    EXPECT_NE(e.message().find("0x3000"), std::string::npos);
  }
}

TEST_F(ReaderTest, RomReadUses64ByteSlowReads) {
  open(false);
  const Bytes data = read_flash(*session, 0x100, 150, {});
  EXPECT_TRUE(std::equal(data.begin(), data.end(), device.flash.begin() + 0x100));
  EXPECT_EQ(device.count(0x0E), 3u);
  EXPECT_EQ(load_le32(device.requests[2].data, 4), 22u);  // min(64, remaining)
}

TEST_F(ReaderTest, EraseNeedsTheStub) {
  open(false);
  try {
    erase_flash(*session);
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "flash.erase_needs_stub");
    EXPECT_NE(e.hint().find("--stub"), std::string::npos);
  }
  EXPECT_TRUE(device.requests.empty());  // refused before anything was sent
}

TEST_F(ReaderTest, EraseRegionWithStub) {
  open(true);
  EXPECT_THROW(erase_region(*session, 0x1000, 0x800), BadInputError);
  erase_region(*session, 0x1000, 0x1000);
  EXPECT_EQ(device.flash[0x1000], 0xFF);
  EXPECT_EQ(device.flash[0x1FFF], 0xFF);
  EXPECT_NE(device.flash[0x2001], 0xFF);
  erase_flash(*session);
  EXPECT_EQ(device.flash[0x2001], 0xFF);
}

}  // namespace
}  // namespace espfab::flash
