// Auto baud on the virtual chip (issue 22, point 4): a fixture's ladder against an adapter that
// cannot run above 2 Mbaud, a cable that damages bytes above 1.5 Mbaud, and a cable that starts
// damaging bytes in the middle of a device (the emulator's control channel): the step's retry
// runs a rung lower and the device goes on. What the chip holds is read from the chip.
#include <gtest/gtest.h>

#include <memory>

#include "emulator/factory_test_faults.hpp"
#include "flash/reader.hpp"
#include "integration/station/served_device.hpp"
#include "service/demo_assets.hpp"
#include "station/firmware_set.hpp"
#include "station/step_outputs.hpp"
#include "support/esptool_js_stub.hpp"
#include "support/station/step_harness.hpp"
#include "support/tcp_line.hpp"

namespace espfab::station {
namespace {

using test::ServedDevice;

std::unique_ptr<ServedDevice> served_with(std::string_view knobs) {
  auto config = ServedDevice::small_flash();
  config.faults = emulator::parse_device_faults(knobs);
  return std::make_unique<ServedDevice>(std::move(config));
}

loader::StubImage esptool_js_stub_image() { return loader::load_stub_file(test::esptool_js_stub().path); }

TEST(AutoBaudOnAChip, AnAdapterThatStopsAt2MbaudGets2000000AndTheServerSaysWhy) {
  auto served = served_with("adapter_max_baud=2000000");
  FixtureLink fixture(served->url(), 921600, esptool_js_stub_image(), true);
  auto& session = fixture.connect();
  EXPECT_TRUE(session.stub_running());
  EXPECT_EQ(fixture.bulk_baud(), 2000000u);
  EXPECT_EQ(fixture.link().baud(), 2000000u);
  EXPECT_EQ(served->chip().baud(), 2000000u);
  const auto& attempts = fixture.baud_attempts();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].baud, 3000000u);
  EXPECT_FALSE(attempts[0].passed);
  EXPECT_NE(attempts[0].error.find("runs at 2000000"), std::string::npos) << attempts[0].error;
  EXPECT_TRUE(attempts[1].passed);
  EXPECT_TRUE(attempts[1].verified);
  // The next session of the fixture starts at the kept rung.
  fixture.connect();
  ASSERT_EQ(fixture.baud_attempts().size(), 1u);
  EXPECT_EQ(fixture.baud_attempts()[0].baud, 2000000u);
}

TEST(AutoBaudOnAChip, ACableThatCorruptsAbove1_5MbaudGetsNoCorruptingRate) {
  auto served = served_with("corrupt_above_baud=1500000");
  FixtureLink fixture(served->url(), 921600, esptool_js_stub_image(), true);
  auto& session = fixture.connect();
  EXPECT_LE(fixture.bulk_baud(), 1500000u);
  EXPECT_EQ(fixture.bulk_baud(), 1500000u);  // the fastest that does not corrupt
  EXPECT_GT(served->chip().corrupted_to_chip() + served->chip().corrupted_to_host(), 0u)
      << "the faster rungs met the damage";
  // At the chosen rate the link is clean: a flash read with the stub's MD5 passes, nothing damaged.
  const auto damaged = served->chip().corrupted_to_chip() + served->chip().corrupted_to_host();
  flash::read_flash(session, 0, 0x10000, {});
  EXPECT_EQ(served->chip().corrupted_to_chip() + served->chip().corrupted_to_host(), damaged);
}

TEST(AutoBaudOnAChip, TheRomLoaderAloneIsProbedTheSameWay) {
  auto served = served_with("corrupt_above_baud=1800000,corrupt_every=128");
  FixtureLink fixture(served->url(), 921600, std::nullopt, true);
  EXPECT_FALSE(fixture.connect().stub_running());
  EXPECT_EQ(fixture.bulk_baud(), 1500000u);
}

class AutoBaudMidRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    assets_dir_ = std::make_unique<test::TempDir>();
    profile_ = service::prepare_demo_assets(assets_dir_->path()).profile;
  }
  static void TearDownTestSuite() { assets_dir_.reset(); }
  static inline std::unique_ptr<test::TempDir> assets_dir_;
  static inline std::filesystem::path profile_;
};

TEST_F(AutoBaudMidRun, ACableThatStartsCorruptingMidDeviceFallsBackAndTheDeviceGoesOn) {
  auto served = served_with("");
  test::StepHarness h(served->url(), true);
  h.profile = load_station_profile(profile_);
  h.firmware = load_firmware_set(h.profile.images);
  // Between connect (3 Mbaud, verified) and flash-factory, the cable goes bad above 1.5 Mbaud:
  // what a fixture's relay board or a test does through espfab-emu's control channel.
  StepDecl go_bad;
  go_bad.name = "cable-goes-bad";
  go_bad.body = [&](DeviceContext&) {
    test::TcpLine control("127.0.0.1:" + std::to_string(served->server->control_port()));
    control.send("fault 0 corrupt_above_baud=1500000\n");
    EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
    return StepOutcome{};
  };
  const std::vector<StepDecl> steps{test::StepHarness::declaration("connect"), go_bad,
                                    test::StepHarness::declaration("flash-factory")};
  const DeviceResult result = run_pipeline(h.ctx, steps);
  EXPECT_EQ(result.outcome, DeviceOutcome::Provisioned) << result.reason;
  EXPECT_EQ(h.fixture.bulk_baud(), 1500000u);
  // What the chip holds is what the station wrote.
  const auto& fw = h.firmware;
  const auto view =
      served->chip().flash().view(fw.factory_test_slot->offset, static_cast<std::uint32_t>(fw.factory_app->size()));
  EXPECT_TRUE(std::equal(view.begin(), view.end(), fw.factory_app->begin()));
  // The record says which rate connect used and where flash-factory fell back to.
  const auto steps_done = h.db.steps(result.mac);
  bool saw_connect = false;
  bool saw_fallback = false;
  for (const auto& step : steps_done) {
    if (step.step == "connect") {
      saw_connect = true;
      EXPECT_EQ(step.details.at("baud").at("rate"), 3000000);
      EXPECT_EQ(step.details.at("baud").at("mode"), "auto");
    }
    if (step.step == "flash-factory") {
      EXPECT_EQ(step.outcome, "pass");
      ASSERT_TRUE(step.details.contains("baud_fallbacks")) << step.details.dump();
      saw_fallback = step.details.at("baud_fallbacks").at(0).at("from") == 3000000;
    }
  }
  EXPECT_TRUE(saw_connect);
  EXPECT_TRUE(saw_fallback);
  const auto actions = h.audit_actions(result.mac);
  EXPECT_NE(std::find(actions.begin(), actions.end(), "link.baud"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "link.baud_fallback"), actions.end());
}

}  // namespace
}  // namespace espfab::station
