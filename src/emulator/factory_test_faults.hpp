// The fault knobs of one virtual device (docs/emulator.md, "Fault injection"): what its
// factory-test app, its link and its chip get wrong, parsed from `--fault N:KNOBS`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace espfab::emulator {

// The factory-test app's knobs (docs/factory-test-protocol.md, "Fault knobs"). The first four
// change what the board reads (factory_test_board.hpp); hang_on and boot_loop are applied by the
// device around whichever factory-test firmware runs (virtual_device.cpp).
struct FactoryTestFaults {
  std::optional<std::pair<int, bool>> gpio_stuck;  // pin, stuck high (true) or low
  std::vector<std::string> sensor_missing;
  int wifi_rssi = -45;  // dBm of the test AP "FACTORY-AP"
  bool no_psram = false;
  std::string hang_on;     // a command that never answers
  bool boot_loop = false;  // the app resets when the first request arrives instead of answering
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
  // The fixture's USB-UART adapter and cable (docs/emulator.md, "Adapter and cable"):
  std::optional<std::uint32_t> adapter_max_baud;       // the adapter runs at most this rate
  std::optional<std::uint32_t> corrupt_above_baud;     // above this rate the cable damages bytes
  std::uint32_t corrupt_every = kDefaultCorruptEvery;  // ... one byte in this many, each direction

  static constexpr std::uint32_t kDefaultCorruptEvery = 256;
};

// Parses a baud knob's value (1200..20000000); throws BadInputError naming the knob.
std::uint32_t parse_baud_knob(std::string_view value, std::string_view key);

// The factory-test knobs plus drop_after=N, bitflip=PPM, wrong_chip, efuse_power_loss=N,
// drop_after_burn=N, no_flash, adapter_max_baud=N, corrupt_above_baud=N, corrupt_every=K.
DeviceFaults parse_device_faults(std::string_view text);

}  // namespace espfab::emulator
