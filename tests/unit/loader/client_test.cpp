#include "loader/client.hpp"

#include <gtest/gtest.h>

#include "support/loader/scripted_device.hpp"
#include "support/transport/fake_transport.hpp"
#include "util/error.hpp"

namespace espfab::loader {
namespace {

using test::FakeTransport;
using test::ScriptedDevice;

struct ClientTest : ::testing::Test {
  FakeTransport link;
  ScriptedDevice device{link};
  LoaderClient client{link};
};

TEST_F(ClientTest, ReadRegSendsOneFrameAndReturnsValue) {
  EXPECT_EQ(client.read_reg(0x60007044), 0xA1001122u);
  EXPECT_EQ(link.written(), from_hex("c0 000a0400 00000000 44700060 c0"));
}

TEST_F(ClientTest, SkipsFramesForOtherOpcodes) {
  link.push_input(from_hex("c0 01 08 04 00 00000000 00000000 c0 c0 4f484149 c0"));  // stale SYNC reply, OHAI
  EXPECT_EQ(client.read_reg(0x40001000), 9u);
}

TEST_F(ClientTest, DeviceErrorBecomesDeviceStatusError) {
  device.fail_opcode = 0x0D;
  device.fail_code = 0x06;
  try {
    client.command(commands::spi_attach(0, true));
    FAIL();
  } catch (const DeviceStatusError& e) {
    EXPECT_EQ(e.code(), "loader.device_error.failed_to_act");
    EXPECT_NE(e.message().find("SPI_ATTACH"), std::string::npos);
  }
}

TEST_F(ClientTest, NoReplyIsTimeoutNamingCommandAndLink) {
  device.drop_replies = 1;
  try {
    client.command(commands::spi_attach(0, true));
    FAIL();
  } catch (const TimeoutError& e) {
    EXPECT_EQ(e.code(), "loader.no_reply");
    EXPECT_NE(e.message().find("SPI_ATTACH"), std::string::npos);
    EXPECT_NE(e.message().find("fake"), std::string::npos);
  }
}

TEST_F(ClientTest, CorruptedReplyIsRetried) {
  device.corrupt_replies = 1;
  EXPECT_EQ(client.read_reg(0x60007048), 0x7CDFu);
  EXPECT_EQ(device.count(0x0A), 2u);
  EXPECT_EQ(client.dropped_frames(), 1u);
}

TEST_F(ClientTest, ChecksumErrorIsRetriedWhenAllowed) {
  device.fail_opcode = 0x07;
  device.fail_code = 0x07;  // invalid CRC: transient
  client.command(commands::mem_data(Bytes{1, 2, 3, 4}, 0), 3);
  EXPECT_EQ(device.count(0x07), 2u);
}

TEST_F(ClientTest, UnsupportedCommandIsNamed) {
  try {
    client.command(commands::erase_flash());
    FAIL();
  } catch (const DeviceStatusError& e) {
    EXPECT_EQ(e.code(), "loader.unsupported_command");
    EXPECT_NE(e.hint().find("--stub"), std::string::npos);
  }
}

TEST_F(ClientTest, StubModeReadsTwoByteStatus) {
  device.stub = true;
  client.set_mode(LoaderMode::Stub);
  const Reply reply = client.command(commands::spi_flash_md5(0, 16));
  EXPECT_EQ(reply.result.size(), 16u);
}

TEST_F(ClientTest, WriteRegStoresWithMask) {
  client.write_reg(0x6000812C, 0xFFFFFFFF, 0x1);
  EXPECT_EQ(device.registers[0x6000812C], 1u);
}

}  // namespace
}  // namespace espfab::loader
