// The hardware test's measurements (docs/factory-test-protocol.md, "The station's test plan"):
// the request each one sends to the factory-test firmware and how its reply is judged against the
// profile's limits. Pure functions: the client that talks to the device is factory_test_client.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "station/station_profile.hpp"

namespace espfab::station {

struct MeasurementResult {
  std::string name;
  nlohmann::json value;  // number, bool, or null when the device gave none
  std::optional<double> min, max;
  std::string unit;
  bool pass = false;
  std::string note;  // why it failed ("pin 5 read high while driven low")
};

// {"cmd": ..., args...} without the id.
nlohmann::json request_for(const MeasurementSpec& spec);
// A reply with ok:false, or one without the fields the command returns, fails the measurement.
MeasurementResult evaluate(const MeasurementSpec& spec, const nlohmann::json& reply);
nlohmann::json to_json(const MeasurementResult& result);
// "gpio.4_5 failed: pin 5 read high while driven low"
std::string describe_failure(const MeasurementResult& result);

}  // namespace espfab::station
