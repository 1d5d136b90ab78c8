// The hardware behind the emulator's factory-test firmware: what a healthy ESP32-S3 module reads
// on each test (docs/factory-test-protocol.md, "The emulator's answers"), changed by the board's
// fault knobs. Both factory-test firmwares read it: the emulator's own app (factory_test_app.hpp)
// and, in tests, the reference C core of firmware/ — so the two differ only in the protocol.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/factory_test_faults.hpp"

namespace espfab::emulator {

struct FactoryTestDevice {
  std::string mac;  // "7c:df:a1:00:00:01"
  std::uint32_t flash_size = 8 * 1024 * 1024;
  std::uint32_t psram_size = 8 * 1024 * 1024;
  std::string version = "1.0.0";  // the image's esp_app_desc_t version
};

struct LoopbackReading {
  bool read_high = true;  // what IN read while OUT drove high
  bool read_low = false;  // ... and low
};

struct AdcReading {
  int mv = 0;
  int min_mv = 0;
  int max_mv = 0;
};

struct SensorReading {
  double value = 0.0;  // meaningless when not present
  std::string unit;
  bool present = true;
};

struct AccessPoint {
  std::string ssid;
  int rssi = 0;  // dBm
  int channel = 0;
};

struct MemTestResult {
  bool pass = false;
  std::uint32_t bytes = 0;
};

class FactoryTestBoard {
 public:
  static constexpr const char* kChip = "ESP32-S3";
  static constexpr const char* kRevision = "v0.2";

  FactoryTestBoard(FactoryTestDevice device, FactoryTestFaults faults);

  // The facts of the ready line and `info` (psram_size 0 with no_psram).
  const FactoryTestDevice& device() const noexcept { return device_; }
  LoopbackReading loopback(int out, int in) const;
  AdcReading adc(int channel, int samples) const;
  // Nothing for a sensor the board does not have ("temp", "humidity" and "imu" it has).
  std::optional<SensorReading> sensor(std::string_view name) const;
  // Every access point in range (FACTORY-AP, office, guest).
  std::vector<AccessPoint> scan() const;
  // Nothing for a region other than "psram" and "flash".
  std::optional<MemTestResult> mem_test(std::string_view region) const;

 private:
  FactoryTestDevice device_;
  FactoryTestFaults faults_;
};

}  // namespace espfab::emulator
