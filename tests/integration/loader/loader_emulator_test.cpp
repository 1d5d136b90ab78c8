// The host side against the emulator (written separately from the same spec): every loader and
// flash operation in ROM and stub mode, resets, and faults (bit flips, garbled replies, a dropped
// link), in process and over socket://, rfc2217:// and a pty.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "emulator/device_server.hpp"
#include "emulator/virtual_device.hpp"
#include "emulator_link.hpp"
#include "flash/erase.hpp"
#include "flash/reader.hpp"
#include "flash/writer.hpp"
#include "loader/device_info.hpp"
#include "loader/session.hpp"
#include "support/esptool_js_stub.hpp"
#include "transport/open_transport.hpp"
#include "util/error.hpp"

namespace espfab::test {
namespace {

using namespace std::chrono_literals;

Bytes random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes data(size);
  for (auto& byte : data) byte = static_cast<std::uint8_t>(rng());
  return data;
}

// Compressible like firmware: runs of repeated and random bytes.
Bytes firmware_like(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes data;
  while (data.size() < size) {
    const std::size_t run = 1 + rng() % 64;
    if (rng() % 2 == 0) {
      data.insert(data.end(), run, static_cast<std::uint8_t>(rng()));
    } else {
      for (std::size_t i = 0; i < run; ++i) data.push_back(static_cast<std::uint8_t>(rng()));
    }
  }
  data.resize(size);
  return data;
}

loader::StubImage known_stub() {
  // esptool-js 0.7.0's ESP32-S3 stub: the emulator runs published stubs only.
  return loader::load_stub_file(espfab::test::esptool_js_stub().path);
}

loader::SessionOptions options(loader::BeforeReset before, bool stub, std::uint32_t baud = 115200) {
  loader::SessionOptions o;
  o.connect.before = before;
  o.connect.sleep = [](std::chrono::milliseconds) {};
  o.baud = baud;
  if (stub) o.stub = known_stub();
  return o;
}

flash::FlashRegion region(std::uint32_t address, Bytes data, std::string name) {
  return flash::FlashRegion{address, std::make_shared<Bytes>(std::move(data)), std::move(name), false};
}

struct InProcess : ::testing::Test {
  emulator::VirtualDevice device{emulator::DeviceConfig{}};
  EmulatorLink link{device};
};

TEST_F(InProcess, ClassicResetSyncAndIdentity) {
  loader::Session session(link, options(loader::BeforeReset::DefaultReset, false));
  EXPECT_GE(link.resets_into_download, 1u);
  EXPECT_FALSE(session.stub_running());
  EXPECT_EQ(session.description().name, "ESP32-S3");
  EXPECT_EQ(loader::format_mac(loader::read_mac(session.client(), session.description())),
            emulator::format_mac(device.config().mac));
  ASSERT_TRUE(session.chip().security);
  EXPECT_EQ(session.chip().security->chip_id, 9u);
  EXPECT_EQ(session.flash_size(), device.config().flash_size);
}

TEST_F(InProcess, RomWriteVerifyAndReadBack) {
  loader::Session session(link, options(loader::BeforeReset::DefaultReset, false));
  const Bytes boot = firmware_like(20'000, 1);
  const Bytes table = firmware_like(3072, 2);
  const Bytes app = firmware_like(150'000, 3);
  const auto plan = flash::plan_writes(
      {region(0x0, boot, "bootloader.bin"), region(0x8000, table, "partitions.bin"), region(0x10000, app, "app.bin")},
      {true, session.flash_size()});
  const auto results = flash::write_flash(session, plan, {});
  for (const auto& result : results) EXPECT_TRUE(result.verified) << result.label;
  EXPECT_EQ(flash::read_flash(session, 0x8000, 3072, {}), table);
  // Raw ROM write, then the ROM's slow read.
  const auto raw = flash::plan_writes({region(0x200000, random_bytes(5000, 4), "raw.bin")}, {false, std::nullopt});
  EXPECT_TRUE(flash::write_flash(session, raw, {})[0].verified);
  EXPECT_EQ(flash::read_flash(session, 0x200000, 5000, {}), *raw.writes[0].data);
}

TEST_F(InProcess, StubWriteReadEraseAndSkipUnchanged) {
  loader::Session session(link, options(loader::BeforeReset::DefaultReset, true));
  ASSERT_TRUE(session.stub_running());
  const Bytes app = firmware_like(300'000, 5);
  const auto plan = flash::plan_writes({region(0x10000, app, "app.bin")}, {true, session.flash_size()});
  EXPECT_TRUE(flash::write_flash(session, plan, {})[0].verified);
  EXPECT_EQ(flash::read_flash(session, 0x10000, 300'000, {}), app);
  flash::WriteOptions skip;
  skip.skip_unchanged = true;
  EXPECT_TRUE(flash::write_flash(session, plan, skip)[0].skipped);
  flash::erase_region(session, 0x10000, 0x1000);
  EXPECT_EQ(flash::read_flash(session, 0x10000, 16, {}), Bytes(16, 0xFF));
  EXPECT_FALSE(flash::write_flash(session, plan, skip)[0].skipped);
  // Uncompressed stub write.
  const auto raw = flash::plan_writes({region(0x100000, random_bytes(40'000, 6), "raw.bin")}, {false, std::nullopt});
  EXPECT_TRUE(flash::write_flash(session, raw, {})[0].verified);
}

TEST_F(InProcess, StubKeepsRunningAcrossSessionsUntilNoReset) {
  {
    loader::Session session(link, options(loader::BeforeReset::NoReset, true));
    session.finish(loader::AfterReset::NoResetStub);
  }
  {
    loader::Session session(link, options(loader::BeforeReset::NoReset, false));
    EXPECT_TRUE(session.stub_was_running());
    session.finish(loader::AfterReset::NoReset);  // back to the ROM loader
  }
  loader::Session session(link, options(loader::BeforeReset::NoReset, false));
  EXPECT_FALSE(session.stub_running());
}

TEST_F(InProcess, EraseInRomModeIsRefusedBeforeSending) {
  loader::Session session(link, options(loader::BeforeReset::NoReset, false));
  EXPECT_THROW(flash::erase_flash(session), BadInputError);
}

TEST_F(InProcess, HardResetBootsTheApp) {
  loader::Session session(link, options(loader::BeforeReset::DefaultReset, false));
  session.finish(loader::AfterReset::HardReset);
  EXPECT_EQ(link.normal_boots, 1u);
  EXPECT_EQ(device.state(), emulator::VirtualDevice::State::Running);
}

TEST_F(InProcess, BitFlipInADataBlockIsRetried) {
  loader::Session session(link, options(loader::BeforeReset::NoReset, false));
  const auto plan = flash::plan_writes({region(0x10000, random_bytes(20'000, 7), "app.bin")}, {true, std::nullopt});
  link.flip_bit_in_next_large_write = true;
  EXPECT_TRUE(flash::write_flash(session, plan, {})[0].verified);
  EXPECT_FALSE(link.flip_bit_in_next_large_write);  // the flip happened
}

TEST_F(InProcess, GarbledReplyIsRetried) {
  loader::Session session(link, options(loader::BeforeReset::NoReset, false));
  link.garble_replies = 1;
  EXPECT_EQ(loader::read_mac(session.client(), session.description()), device.config().mac);
  EXPECT_EQ(session.client().dropped_frames(), 1u);
}

TEST_F(InProcess, DroppedLinkNamesRegionAndOffset) {
  loader::Session session(link, options(loader::BeforeReset::NoReset, true));
  const auto plan = flash::plan_writes({region(0x10000, random_bytes(200'000, 8), "app.bin")}, {true, std::nullopt});
  link.drop_after_host_bytes = link.host_bytes + 100'000;
  try {
    flash::write_flash(session, plan, {});
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(e.describe().find("writing app.bin @0x10000 block"), std::string::npos) << e.describe();
    EXPECT_NE(e.describe().find("flash 0x"), std::string::npos) << e.describe();
  }
}

// socket://, rfc2217:// and pty through the emulator's own server and the real transports.
class Served : public ::testing::TestWithParam<emulator::ServeProtocol> {
 protected:
  void SetUp() override {
    std::vector<std::unique_ptr<emulator::VirtualDevice>> devices;
    devices.push_back(std::make_unique<emulator::VirtualDevice>(emulator::DeviceConfig{}));
    server_ = std::make_unique<emulator::DeviceServer>(std::move(devices), GetParam(), 0);
    thread_ = std::thread([this] { server_->run(stop_, 20ms); });
  }
  void TearDown() override {
    stop_ = true;
    thread_.join();
  }
  std::string url() const { return server_->url(0); }

  std::unique_ptr<emulator::DeviceServer> server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_P(Served, RomAndStubSessionsDoEverything) {
  auto link = transport::open_transport(url(), 115200);
  const bool rfc2217 = GetParam() == emulator::ServeProtocol::Rfc2217;
  const Bytes app = firmware_like(120'000, 9);
  const auto plan = flash::plan_writes({region(0x10000, app, "app.bin")}, {true, std::nullopt});
  {
    auto o = options(loader::BeforeReset::DefaultReset, false, 921600);
    o.connect.classic_only = rfc2217;
    o.connect.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    loader::Session rom(*link, o);
    EXPECT_FALSE(rom.stub_running());
    EXPECT_EQ(loader::format_mac(loader::read_mac(rom.client(), rom.description())), "7c:df:a1:00:00:00");
    EXPECT_TRUE(flash::write_flash(rom, plan, {})[0].verified);
    EXPECT_EQ(flash::read_flash(rom, 0x10000, 256, {}), Bytes(app.begin(), app.begin() + 256));
    rom.finish(loader::AfterReset::NoReset);
  }
  {
    auto o = options(loader::BeforeReset::NoReset, true, 921600);
    loader::Session stub(*link, o);
    ASSERT_TRUE(stub.stub_running());
    flash::WriteOptions skip;
    skip.skip_unchanged = true;
    EXPECT_TRUE(flash::write_flash(stub, plan, skip)[0].skipped);
    EXPECT_EQ(flash::read_flash(stub, 0x10000, static_cast<std::uint32_t>(app.size()), {}), app);
    flash::erase_region(stub, 0x10000, 0x1000);
    EXPECT_EQ(flash::read_flash(stub, 0x10000, 8, {}), Bytes(8, 0xFF));
    stub.finish(loader::AfterReset::NoReset);
  }
}

std::string protocol_name(const ::testing::TestParamInfo<emulator::ServeProtocol>& info) {
  switch (info.param) {
    case emulator::ServeProtocol::Socket: return "Socket";
    case emulator::ServeProtocol::Rfc2217: return "Rfc2217";
    case emulator::ServeProtocol::Pty: return "Pty";
    case emulator::ServeProtocol::Usb: return "Usb";  // tests/e2e/usb_serial_jtag_e2e_test.cpp
  }
  return "Unknown";
}

INSTANTIATE_TEST_SUITE_P(Links, Served,
                         ::testing::Values(emulator::ServeProtocol::Socket, emulator::ServeProtocol::Rfc2217,
                                           emulator::ServeProtocol::Pty),
                         protocol_name);

}  // namespace
}  // namespace espfab::test
