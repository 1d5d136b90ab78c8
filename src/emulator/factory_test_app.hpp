// The device side of the factory-test firmware protocol v1 (docs/factory-test-protocol.md): one
// JSON object per line; a ready line after boot; requests {"id","cmd",...} answered with
// {"id","ok":true,...} or {"id","ok":false,"error"}. Values are those of a healthy module unless a
// fault knob says otherwise. Pure: lines in, lines out; the device runtime feeds it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace espfab::emulator {

// Per-device faults of docs/factory-test-protocol.md ("Emulator fault knobs").
struct FactoryTestFaults {
  std::optional<std::pair<int, bool>> gpio_stuck;  // pin, stuck high (true) or low
  std::vector<std::string> sensor_missing;
  int wifi_rssi = -45;  // dBm of the test AP "FACTORY-AP"
  bool no_psram = false;
  std::string hang_on;     // a command that never answers
  bool boot_loop = false;  // the app resets after its ready line
};

// "gpio_stuck=4:high,wifi_rssi=-85,sensor_missing=imu,no_psram,hang_on=wifi_scan,boot_loop";
// throws BadInputError naming the bad knob.
FactoryTestFaults parse_factory_test_faults(std::string_view text);

// Everything a fixture can get wrong with one device: the factory-test app's knobs plus the link
// and the chip itself.
struct DeviceFaults {
  FactoryTestFaults factory_test;
  std::optional<std::uint64_t> drop_after;   // the link goes dead after this many host bytes (per reset)
  std::uint32_t bitflip_ppm = 0;             // host bytes with one bit flipped, per million (deterministic)
  bool wrong_chip = false;                   // answers as an ESP32-C3 (chip-detect magic, chip id 5)
  std::optional<unsigned> efuse_power_loss;  // power fails during the Nth eFuse program cycle
  std::optional<unsigned> drop_after_burn;   // the cable is cut right after the Nth program cycle completes
  bool no_flash = false;                     // no flash chip answers (RDID all ones, flash commands fail)
};

// The factory-test knobs plus drop_after=N, bitflip=PPM, wrong_chip, efuse_power_loss=N,
// drop_after_burn=N, no_flash.
DeviceFaults parse_device_faults(std::string_view text);

struct FactoryTestDevice {
  std::string mac;  // "7c:df:a1:00:00:01"
  std::uint32_t flash_size = 8 * 1024 * 1024;
  std::uint32_t psram_size = 8 * 1024 * 1024;
  std::string version = "1.0.0";
};

class FactoryTestApp {
 public:
  FactoryTestApp(FactoryTestDevice device, FactoryTestFaults faults);

  // The ready line; with boot_loop the app asks for a reset right after it.
  std::string ready_line();
  // The response lines for one input line (none for console noise or a hanging command).
  std::vector<std::string> handle_line(std::string_view line);
  // Set by `reboot` (after its answer) and by boot_loop after the ready line.
  bool reset_requested() const noexcept { return reset_requested_; }

 private:
  FactoryTestDevice device_;
  FactoryTestFaults faults_;
  bool reset_requested_ = false;
};

}  // namespace espfab::emulator
