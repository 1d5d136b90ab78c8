#include "station/test_plan.hpp"

#include <gtest/gtest.h>

namespace espfab::station {
namespace {

using nlohmann::json;

MeasurementSpec gpio() {
  MeasurementSpec spec;
  spec.name = "gpio.4_5";
  spec.kind = MeasurementSpec::Kind::GpioLoopback;
  spec.gpio_out = 4;
  spec.gpio_in = 5;
  return spec;
}

MeasurementSpec temp() {
  MeasurementSpec spec;
  spec.name = "temp";
  spec.kind = MeasurementSpec::Kind::Sensor;
  spec.target = "temp";
  spec.min = 0;
  spec.max = 70;
  spec.unit = std::string(1, 'C');
  return spec;
}

TEST(TestPlan, GpioRequestCarriesThePairAndAStuckInputFails) {
  EXPECT_EQ(request_for(gpio()), json::parse(R"({"cmd":"gpio_loopback","pairs":[[4,5]]})"));
  const auto pass = evaluate(gpio(), json::parse(R"({"id":1,"ok":true,"results":[{"pair":[4,5],"pass":true,
      "read_high":true,"read_low":false}]})"));
  EXPECT_TRUE(pass.pass);
  const auto stuck = evaluate(gpio(), json::parse(R"({"id":1,"ok":true,"results":[{"pair":[4,5],"pass":false,
      "read_high":false,"read_low":false}]})"));
  EXPECT_FALSE(stuck.pass);
  EXPECT_EQ(describe_failure(stuck),
            "gpio.4_5 failed: pin 5 read low while pin 4 was driven high, low while driven low");
}

TEST(TestPlan, SensorValueIsJudgedAgainstItsLimits) {
  EXPECT_TRUE(evaluate(temp(), json::parse(R"({"ok":true,"present":true,"value":24.5,"unit":"C"})")).pass);
  const auto hot = evaluate(temp(), json::parse(R"({"ok":true,"present":true,"value":85.0})"));
  EXPECT_FALSE(hot.pass);
  EXPECT_EQ(hot.value, 85.0);
  EXPECT_NE(hot.note.find("outside [0, 70]"), std::string::npos) << hot.note;
  EXPECT_EQ(evaluate(temp(), json::parse(R"({"ok":true,"present":true,"value":70})")).pass, true) << "limits inclusive";
  const auto missing = evaluate(temp(), json::parse(R"({"ok":true,"present":false})"));
  EXPECT_FALSE(missing.pass);
  EXPECT_EQ(missing.note, "sensor 'temp' not present");
}

TEST(TestPlan, WifiTakesTheStrongestMatchingAccessPoint) {
  MeasurementSpec spec;
  spec.name = "wifi.FACTORY-AP.rssi";
  spec.kind = MeasurementSpec::Kind::WifiRssi;
  spec.target = "FACTORY-AP";
  spec.min = -70;
  EXPECT_EQ(request_for(spec)["ssid"], "FACTORY-AP");
  const auto r = evaluate(spec, json::parse(R"({"ok":true,"aps":[{"ssid":"OTHER","rssi":-20,"channel":1},
      {"ssid":"FACTORY-AP","rssi":-75,"channel":6},{"ssid":"FACTORY-AP","rssi":-61,"channel":11}]})"));
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.value, -61.0);
  const auto weak = evaluate(spec, json::parse(R"({"ok":true,"aps":[{"ssid":"FACTORY-AP","rssi":-80}]})"));
  EXPECT_FALSE(weak.pass);
  EXPECT_FALSE(evaluate(spec, json::parse(R"({"ok":true,"aps":[]})")).pass);
}

TEST(TestPlan, AnErrorReplyOrAMissingFieldFails) {
  const auto r = evaluate(temp(), json::parse(R"({"id":3,"ok":false,"error":"i2c timeout"})"));
  EXPECT_FALSE(r.pass);
  EXPECT_NE(r.note.find("i2c timeout"), std::string::npos);
  EXPECT_FALSE(evaluate(gpio(), json::parse(R"({"ok":true})")).pass);
  MeasurementSpec adc;
  adc.name = "adc.0";
  adc.kind = MeasurementSpec::Kind::Adc;
  adc.min = 1000;
  EXPECT_FALSE(evaluate(adc, json::parse(R"({"ok":true,"mv":"high"})")).pass);
  EXPECT_TRUE(evaluate(adc, json::parse(R"({"ok":true,"mv":1650})")).pass);
}

TEST(TestPlan, ResultJsonKeepsValueLimitsAndOutcome) {
  const auto r = evaluate(temp(), json::parse(R"({"ok":true,"present":true,"value":24.5})"));
  EXPECT_EQ(to_json(r), json::parse(R"({"name":"temp","value":24.5,"pass":true,"min":0.0,"max":70.0,"unit":"C"})"));
}

}  // namespace
}  // namespace espfab::station
