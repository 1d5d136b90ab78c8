// The station's hardware-test step (FactoryTestClient and the test plan's judging) against both
// factory-test firmwares on an in-process virtual device: the emulator's own app and the
// reference C core of firmware/components/espfab_factory_test (docs/firmware-contract.md). The
// same cases, the same verdicts: a healthy board passes every measurement of the demo profile,
// each board fault fails exactly its measurement, a test that never answers ends the step.
#include <gtest/gtest.h>

#include <memory>
#include <ostream>

#include "emulator/factory_test_app.hpp"
#include "integration/station/served_device.hpp"
#include "service/demo_assets.hpp"
#include "station/firmware_set.hpp"
#include "support/expect_error.hpp"
#include "support/firmware/reference_factory_test.hpp"
#include "support/station/step_harness.hpp"

namespace espfab::station {
namespace {

using test::ServedDevice;
using test::StepHarness;

struct Firmware {
  const char* name;
  emulator::FactoryTestFirmwareFactory factory;  // none: the emulator's own app
};

void PrintTo(const Firmware& firmware, std::ostream* out) { *out << firmware.name; }

class HardwareTestOnBothFirmwares : public ::testing::TestWithParam<Firmware> {
 protected:
  static void SetUpTestSuite() {
    assets_dir_ = std::make_unique<test::TempDir>();
    profile_ = service::prepare_demo_assets(assets_dir_->path()).profile;
  }
  static void TearDownTestSuite() { assets_dir_.reset(); }

  // Connects, flashes the factory-test image, runs the hardware test on a board with `faults`.
  StepOutcome hardware_test(const std::string& faults = {}) {
    emulator::DeviceConfig config;  // 8 MB of flash, as the demo's partition table needs
    config.faults = emulator::parse_device_faults(faults);
    config.factory_test_firmware = GetParam().factory;
    served_ = std::make_unique<ServedDevice>(std::move(config));
    h_ = std::make_unique<StepHarness>(served_->url());
    h_->profile = load_station_profile(profile_);
    h_->profile.test.request_timeout_ms = 400;  // the hanging case waits for two of them
    h_->firmware = load_firmware_set(h_->profile.images);
    for (const char* step : {"connect", "flash-factory"}) {
      const auto out = h_->run(step);
      EXPECT_EQ(out.verdict, StepVerdict::Continue) << step << ": " << out.reason;
    }
    return h_->run("hardware-test");
  }

  // The measurements that failed, by name.
  static std::vector<std::string> failed(const StepOutcome& out) {
    std::vector<std::string> names;
    for (const auto& m : out.measurements) {
      if (!m["pass"].get<bool>()) names.push_back(m["name"].get<std::string>());
    }
    return names;
  }

  StepHarness& h() { return *h_; }

 private:
  static inline std::unique_ptr<test::TempDir> assets_dir_;
  static inline std::filesystem::path profile_;
  std::unique_ptr<ServedDevice> served_;
  std::unique_ptr<StepHarness> h_;
};

TEST_P(HardwareTestOnBothFirmwares, AHealthyBoardPassesEveryMeasurement) {
  const auto out = hardware_test();
  EXPECT_EQ(out.verdict, StepVerdict::Continue) << out.reason;
  EXPECT_EQ(out.details["firmware"]["fw"], "factory-test");
  EXPECT_EQ(out.details["info"]["chip"], "ESP32-S3");
  EXPECT_EQ(out.details["info"]["mac"], "7c:df:a1:00:00:00");
  ASSERT_EQ(out.measurements.size(), h().profile.test.measurements.size());
  EXPECT_TRUE(failed(out).empty());
}

TEST_P(HardwareTestOnBothFirmwares, EachBoardFaultFailsItsMeasurementOnly) {
  const auto stuck = hardware_test("gpio_stuck=5:low");
  EXPECT_EQ(stuck.verdict, StepVerdict::Fail);
  EXPECT_EQ(failed(stuck), std::vector<std::string>{"gpio.4_5"});
  EXPECT_NE(stuck.reason.find("pin 5 read low while pin 4 was driven high"), std::string::npos) << stuck.reason;
  EXPECT_EQ(failed(hardware_test("no_psram")), std::vector<std::string>{"psram"});
  EXPECT_EQ(failed(hardware_test("wifi_rssi=-85")), std::vector<std::string>{"wifi.FACTORY-AP.rssi"});
  const auto missing = hardware_test("sensor_missing=temp");
  EXPECT_EQ(failed(missing), std::vector<std::string>{"temp"});
  EXPECT_NE(missing.reason.find("sensor 'temp' not present"), std::string::npos) << missing.reason;
}

TEST_P(HardwareTestOnBothFirmwares, ATestThatNeverAnswersEndsTheStep) {
  test::expect_error<TimeoutError>([&] { (void)hardware_test("hang_on=mem_test"); }, "station.ft_no_reply");
}

INSTANTIATE_TEST_SUITE_P(Firmwares, HardwareTestOnBothFirmwares,
                         ::testing::Values(Firmware{"EmulatorApp", {}},
                                           Firmware{"ReferenceCore", test::ReferenceFactoryTest::factory()}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace espfab::station
