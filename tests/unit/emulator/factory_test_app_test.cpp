// The emulator's factory-test app (docs/firmware-contract.md), device side: every command of the
// table on a healthy device, unknown commands and noise, and the board's fault knobs. Every
// message in detail, against the reference C core too: tests/unit/firmware/.
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
  FactoryTestApp app(FactoryTestBoard(device(), {}));
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
  FactoryTestApp app(FactoryTestBoard(
      device(), parse_factory_test_faults("gpio_stuck=4:high,sensor_missing=imu,wifi_rssi=-85,no_psram")));
  auto gpio = ask(app, {{"id", 1}, {"cmd", "gpio_loopback"}, {"pairs", {{4, 5}, {6, 7}}}});
  EXPECT_EQ(gpio["results"][0]["pass"], false);
  EXPECT_EQ(gpio["results"][0]["read_low"], true);
  EXPECT_EQ(gpio["results"][1]["pass"], true);
  const auto imu = ask(app, {{"id", 2}, {"cmd", "sensor"}, {"name", "imu"}});
  EXPECT_EQ(imu["present"], false);
  EXPECT_TRUE(imu["value"].is_null());
  EXPECT_EQ(ask(app, {{"id", 3}, {"cmd", "wifi_scan"}})["aps"][0]["rssi"], -85);
  EXPECT_EQ(ask(app, {{"id", 4}, {"cmd", "mem_test"}, {"region", "psram"}})["pass"], false);
  EXPECT_EQ(ask(app, {{"id", 5}, {"cmd", "info"}})["psram_size"], 0);
}

TEST(FactoryTestApp, ArgumentsOfTheWrongTypeAreRefusedNotThrown) {
  FactoryTestApp app(FactoryTestBoard(device(), {}));
  for (const char* line : {R"({"id":1,"cmd":5})", R"({"id":1,"cmd":"sensor","name":7})",
                           R"({"id":1,"cmd":"gpio_loopback","pairs":[[4,"5"]]})",
                           R"({"id":1,"cmd":"gpio_loopback","pairs":3})", R"({"id":1,"cmd":"wifi_scan","ssid":null})",
                           R"({"id":1,"cmd":"mem_test","region":[]})", R"({"id":1,"cmd":"adc_read","samples":0})"}) {
    const auto lines = app.handle_line(line);
    ASSERT_EQ(lines.size(), 1u) << line;
    const auto reply = json::parse(lines[0]);
    EXPECT_EQ(reply["ok"], false) << line;
    EXPECT_EQ(reply["error"].get<std::string>().rfind("bad argument ", 0), 0u) << lines[0];
  }
}

TEST(FactoryTestApp, OnlyObjectsWithAnIntegerIdAreRequests) {
  FactoryTestApp app(FactoryTestBoard(device(), {}));
  for (const char* line : {R"({"cmd":"info"})", R"({"id":"1","cmd":"info"})", R"({"id":1.0,"cmd":"info"})",
                           R"([{"id":1,"cmd":"info"}])", R"({"id":1,"cmd":"info")"}) {
    EXPECT_TRUE(app.handle_line(line).empty()) << line;
  }
  EXPECT_TRUE(app.handle_line(R"({"id":1,"cmd":"info","pad":")" + std::string(1000, 'x') + R"("})").empty())
      << "longer than a request can be";
  EXPECT_EQ(request_command(R"({"id":3,"cmd":"wifi_scan"})"), std::optional<std::string>("wifi_scan"));
  EXPECT_EQ(request_command(R"({"cmd":"wifi_scan"})"), std::nullopt);
}

}  // namespace
}  // namespace espfab::emulator
