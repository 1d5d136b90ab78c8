#include "emulator/factory_test_board.hpp"

#include <algorithm>

namespace espfab::emulator {
namespace {

// Deterministic small variation per device, so two devices do not report identical readings.
int jitter(const std::string& mac, int span) {
  unsigned sum = 0;
  for (char c : mac) sum = sum * 31u + static_cast<unsigned char>(c);
  return static_cast<int>(sum % static_cast<unsigned>(span));
}

}  // namespace

FactoryTestBoard::FactoryTestBoard(FactoryTestDevice device, FactoryTestFaults faults)
    : device_(std::move(device)), faults_(std::move(faults)) {
  if (faults_.no_psram) device_.psram_size = 0;
}

LoopbackReading FactoryTestBoard::loopback(int out, int in) const {
  LoopbackReading reading;
  if (faults_.gpio_stuck && (faults_.gpio_stuck->first == out || faults_.gpio_stuck->first == in)) {
    reading.read_high = reading.read_low = faults_.gpio_stuck->second;
  }
  return reading;
}

AdcReading FactoryTestBoard::adc(int /*channel*/, int /*samples*/) const {
  const int mv = 1650 + jitter(device_.mac, 20) - 10;
  return {mv, mv - 4, mv + 4};
}

std::optional<SensorReading> FactoryTestBoard::sensor(std::string_view name) const {
  SensorReading reading;
  if (name == "temp") {
    reading.value = 24.5 + jitter(device_.mac, 30) / 10.0;
    reading.unit = "C";
  } else if (name == "humidity") {
    reading.value = 41.0 + jitter(device_.mac, 50) / 10.0;
    reading.unit = "%";
  } else if (name == "imu") {
    reading.value = 9.81;
    reading.unit = "m/s2";
  } else {
    return std::nullopt;
  }
  const auto& missing = faults_.sensor_missing;
  reading.present = std::find(missing.begin(), missing.end(), name) == missing.end();
  return reading;
}

std::vector<AccessPoint> FactoryTestBoard::scan() const {
  return {{"FACTORY-AP", faults_.wifi_rssi, 6}, {"office", -71, 11}, {"guest", -80, 1}};
}

std::optional<MemTestResult> FactoryTestBoard::mem_test(std::string_view region) const {
  if (region == "psram") return MemTestResult{device_.psram_size != 0, device_.psram_size};
  if (region == "flash") return MemTestResult{true, device_.flash_size};
  return std::nullopt;
}

}  // namespace espfab::emulator
