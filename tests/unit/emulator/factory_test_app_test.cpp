// The factory-test protocol v1 (docs/factory-test-protocol.md), device side: every command of the
// table on a healthy device, unknown commands and noise, and every fault knob.
#include "emulator/factory_test_app.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace espfab::emulator {
namespace {

using nlohmann::json;

FactoryTestDevice device() {
  FactoryTestDevice d;
  d.mac = "7c:df:a1:00:00:05";
  return d;
}

json ask(FactoryTestApp& app, const json& request) {
  const auto lines = app.handle_line(request.dump());
  EXPECT_EQ(lines.size(), 1u) << request.dump();
  return lines.empty() ? json() : json::parse(lines.front());
}

TEST(FactoryTestApp, HealthyDeviceAnswersEveryCommand) {
  FactoryTestApp app(device(), {});
  const json ready = json::parse(app.ready_line());
  EXPECT_EQ(ready,
            json::parse(R"({"ft":1,"event":"ready","fw":"factory-test","version":"1.0.0","mac":"7c:df:a1:00:00:05"})"));
  EXPECT_FALSE(app.reset_requested());

  auto info = ask(app, {{"id", 1}, {"cmd", "info"}});
  EXPECT_EQ(info["id"], 1);
  EXPECT_EQ(info["ok"], true);
  EXPECT_EQ(info["chip"], "ESP32-S3");
  EXPECT_EQ(info["psram_size"], 8 * 1024 * 1024);
  EXPECT_EQ(info["mac"], "7c:df:a1:00:00:05");

  auto gpio = ask(app, {{"id", 2}, {"cmd", "gpio_loopback"}, {"pairs", {{4, 5}, {6, 7}}}});
  ASSERT_EQ(gpio["results"].size(), 2u);
  EXPECT_EQ(gpio["results"][0]["pass"], true);
  EXPECT_EQ(gpio["results"][0]["pair"], json::array({4, 5}));

  auto temp = ask(app, {{"id", 3}, {"cmd", "sensor"}, {"name", "temp"}});
  EXPECT_EQ(temp["present"], true);
  EXPECT_EQ(temp["unit"], "C");
  EXPECT_GE(temp["value"].get<double>(), 20.0);
  EXPECT_LE(temp["value"].get<double>(), 30.0);

  auto wifi = ask(app, {{"id", 4}, {"cmd", "wifi_scan"}, {"ssid", "FACTORY-AP"}});
  ASSERT_EQ(wifi["aps"].size(), 1u);
  EXPECT_EQ(wifi["aps"][0]["rssi"], -45);

  auto psram = ask(app, {{"id", 5}, {"cmd", "mem_test"}, {"region", "psram"}});
  EXPECT_EQ(psram["pass"], true);
  auto adc = ask(app, {{"id", 6}, {"cmd", "adc_read"}, {"channel", 3}, {"samples", 16}});
  EXPECT_LE(adc["min_mv"].get<int>(), adc["mv"].get<int>());
  EXPECT_GE(adc["max_mv"].get<int>(), adc["mv"].get<int>());

  auto unknown = ask(app, {{"id", 7}, {"cmd", "self_destruct"}});
  EXPECT_EQ(unknown["ok"], false);
  EXPECT_NE(unknown["error"].get<std::string>().find("self_destruct"), std::string::npos);
  EXPECT_TRUE(app.handle_line("I (312) cpu_start: noise").empty());
  EXPECT_TRUE(app.handle_line("").empty());

  auto reboot = ask(app, {{"id", 8}, {"cmd", "reboot"}});
  EXPECT_EQ(reboot["ok"], true);
  EXPECT_TRUE(app.reset_requested());
}

TEST(FactoryTestApp, FaultKnobsChangeWhatTheDeviceReports) {
  FactoryTestApp app(device(), parse_factory_test_faults("gpio_stuck=4:high,sensor_missing=imu,wifi_rssi=-85,no_psram,"
                                                         "hang_on=adc_read"));
  auto gpio = ask(app, {{"id", 1}, {"cmd", "gpio_loopback"}, {"pairs", {{4, 5}, {6, 7}}}});
  EXPECT_EQ(gpio["results"][0]["pass"], false);
  EXPECT_EQ(gpio["results"][0]["read_low"], true);
  EXPECT_EQ(gpio["results"][1]["pass"], true);
  EXPECT_EQ(ask(app, {{"id", 2}, {"cmd", "sensor"}, {"name", "imu"}})["present"], false);
  EXPECT_EQ(ask(app, {{"id", 3}, {"cmd", "wifi_scan"}})["aps"][0]["rssi"], -85);
  EXPECT_EQ(ask(app, {{"id", 4}, {"cmd", "mem_test"}, {"region", "psram"}})["pass"], false);
  EXPECT_EQ(ask(app, {{"id", 5}, {"cmd", "info"}})["psram_size"], 0);
  EXPECT_TRUE(app.handle_line(json{{"id", 6}, {"cmd", "adc_read"}}.dump()).empty()) << "hang_on: no answer";

  FactoryTestApp looping(device(), parse_factory_test_faults("boot_loop"));
  (void)looping.ready_line();
  EXPECT_TRUE(looping.reset_requested());
}

TEST(FactoryTestApp, DeviceFaultsSplitLinkChipAndAppKnobs) {
  const auto faults = parse_device_faults("drop_after=5000,gpio_stuck=4:low,bitflip=200,wrong_chip,no_psram");
  ASSERT_TRUE(faults.drop_after);
  EXPECT_EQ(*faults.drop_after, 5000u);
  EXPECT_EQ(faults.bitflip_ppm, 200u);
  EXPECT_TRUE(faults.wrong_chip);
  ASSERT_TRUE(faults.factory_test.gpio_stuck);
  EXPECT_EQ(faults.factory_test.gpio_stuck->first, 4);
  EXPECT_FALSE(faults.factory_test.gpio_stuck->second);
  EXPECT_TRUE(faults.factory_test.no_psram);
  EXPECT_EQ(parse_device_faults("efuse_power_loss=2").efuse_power_loss, std::optional<unsigned>(2));
  EXPECT_THROW((void)parse_device_faults("efuse_power_loss=0"), BadInputError);
  EXPECT_TRUE(parse_device_faults("no_flash").no_flash);
  EXPECT_THROW((void)parse_device_faults("bitflip=2000000"), BadInputError);
  EXPECT_THROW((void)parse_device_faults("drop_after=-1"), BadInputError);
  const auto none = parse_device_faults("");
  EXPECT_FALSE(none.drop_after);
  EXPECT_FALSE(none.wrong_chip);
}

TEST(FactoryTestApp, BadKnobsAreNamed) {
  for (const char* text : {"gpio_stuck=4", "gpio_stuck=x:high", "wifi_rssi=loud", "teleport=1"}) {
    try {
      (void)parse_factory_test_faults(text);
      ADD_FAILURE() << text;
    } catch (const BadInputError& error) {
      EXPECT_EQ(error.code(), "emulator.bad_fault") << text;
      EXPECT_FALSE(error.hint().empty());
    }
  }
}

}  // namespace
}  // namespace espfab::emulator
