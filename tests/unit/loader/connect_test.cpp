#include "loader/connect.hpp"

#include <gtest/gtest.h>

#include "support/loader/scripted_device.hpp"
#include "support/transport/fake_transport.hpp"
#include "util/error.hpp"

namespace espfab::loader {
namespace {

using namespace std::chrono_literals;
using test::FakeTransport;
using test::ScriptedDevice;

struct ConnectTest : ::testing::Test {
  FakeTransport link;
  ScriptedDevice device{link};
  LoaderClient client{link};
  std::vector<std::chrono::milliseconds> sleeps;
  ConnectOptions options() {
    ConnectOptions o;
    o.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
    return o;
  }
};

TEST_F(ConnectTest, SyncsAtOnceWithRom) {
  const auto result = connect(client, options());
  EXPECT_FALSE(result.stub_detected);
  EXPECT_EQ(result.attempt, 1u);
  EXPECT_EQ(result.strategy, "unix-tight(50ms)");
  EXPECT_EQ(client.mode(), LoaderMode::Rom);
  EXPECT_EQ(device.count(0x08), 1u);
}

TEST_F(ConnectTest, RetriesSyncAndThenResetsWithTheNextStrategy) {
  device.ignore_syncs = 7;  // 5 tries of attempt 1, 2 of attempt 2
  const auto result = connect(client, options());
  EXPECT_EQ(result.attempt, 2u);
  EXPECT_EQ(result.strategy, "unix-tight(550ms)");
  EXPECT_EQ(device.count(0x08), 8u);
  // Two full reset sequences ran (6 line changes each), with 100 ms and the strategy's delay.
  EXPECT_EQ(link.line_changes().size(), 12u);
  EXPECT_NE(std::find(sleeps.begin(), sleeps.end(), 550ms), sleeps.end());
}

TEST_F(ConnectTest, ClassicOnlyForRfc2217) {
  device.ignore_syncs = 5;
  auto o = options();
  o.classic_only = true;
  const auto result = connect(client, o);
  EXPECT_EQ(result.strategy, "classic(550ms)");
  // classic: DTR=0 RTS=1, DTR=1 RTS=0, DTR=0
  EXPECT_EQ(link.events()[0], "lines dtr=0 rts=1");
  EXPECT_EQ(link.events()[1], "lines dtr=1 rts=0");
  EXPECT_EQ(link.events()[2], "lines dtr=0");
}

TEST_F(ConnectTest, StubDetectedWhenEverySyncValueIsZero) {
  device.stub = true;
  const auto result = connect(client, options());
  EXPECT_TRUE(result.stub_detected);
  EXPECT_EQ(client.mode(), LoaderMode::Stub);
}

TEST_F(ConnectTest, NoResetLeavesTheLinesAlone) {
  auto o = options();
  o.before = BeforeReset::NoReset;
  connect(client, o);
  EXPECT_TRUE(link.line_changes().empty());
}

TEST_F(ConnectTest, NoResetNoSyncSendsNothing) {
  auto o = options();
  o.before = BeforeReset::NoResetNoSync;
  connect(client, o);
  EXPECT_TRUE(link.written().empty());
}

TEST_F(ConnectTest, LinkWithoutControlLinesStillSyncs) {
  link.control_lines_supported = false;
  const auto result = connect(client, options());
  EXPECT_EQ(result.attempt, 1u);
}

TEST_F(ConnectTest, GivesUpWithHintFromBootLog) {
  device.ignore_syncs = 1000;
  link.push_input(to_bytes("ESP-ROM:esp32s3-20210327\r\nrst:0x1 (POWERON),boot:0x2b (SPI_FAST_FLASH_BOOT)\r\n"));
  auto o = options();
  o.attempts = 2;
  o.sync_tries = 2;
  try {
    connect(client, o);
    FAIL();
  } catch (const TimeoutError& e) {
    EXPECT_EQ(e.code(), "loader.no_sync_reply");
    EXPECT_NE(e.message().find("2 connection attempts"), std::string::npos);
    EXPECT_NE(e.hint().find("wrong boot mode detected (boot:0x2b)"), std::string::npos) << e.hint();
  }
  EXPECT_EQ(device.count(0x08), 4u);
}

TEST(BootLog, FindsBootModeAndDownloadBanner) {
  const auto findings = scan_boot_log("rst:0x1 (POWERON),boot:0x0 (DOWNLOAD(USB/UART0))\r\nwaiting for download\r\n");
  EXPECT_EQ(findings.boot_mode, 0u);
  EXPECT_TRUE(findings.waiting_for_download);
  EXPECT_FALSE(scan_boot_log("garbage").boot_mode);
}

TEST(ResetStrategies, SequencesAsData) {
  EXPECT_EQ(connect_strategies(BeforeReset::DefaultReset, false).size(), 4u);
  EXPECT_EQ(connect_strategies(BeforeReset::DefaultReset, true).size(), 2u);
  const auto usb = usb_jtag_serial_reset();
  ASSERT_EQ(usb.steps.size(), 4u);
  EXPECT_EQ(usb.steps[1].lines.dtr, true);
  EXPECT_EQ(usb.steps[2].lines.rts, true);
  EXPECT_EQ(hard_reset().steps[0].lines.rts, true);
  EXPECT_EQ(parse_before_reset("no-reset"), BeforeReset::NoReset);
  EXPECT_EQ(parse_after_reset("no_reset_stub"), AfterReset::NoResetStub);
  EXPECT_THROW(parse_before_reset("reboot"), BadInputError);
}

}  // namespace
}  // namespace espfab::loader
