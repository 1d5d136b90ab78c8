// What a normal boot of a "factory-test" image runs: the device side of the factory-test protocol
// (docs/firmware-contract.md), lines in, lines out. Two implementations: the emulator's own app
// (factory_test_app.hpp) and the reference C core of firmware/ behind a test adapter
// (tests/support/firmware); DeviceConfig::factory_test_firmware chooses.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/factory_test_board.hpp"

namespace espfab::emulator {

class FactoryTestFirmware {
 public:
  virtual ~FactoryTestFirmware() = default;
  FactoryTestFirmware() = default;
  FactoryTestFirmware(const FactoryTestFirmware&) = delete;
  FactoryTestFirmware& operator=(const FactoryTestFirmware&) = delete;
  FactoryTestFirmware(FactoryTestFirmware&&) = delete;
  FactoryTestFirmware& operator=(FactoryTestFirmware&&) = delete;

  // The ready line, without its line end.
  virtual std::string ready_line() = 0;
  // The reply lines (without line ends) to one console line without its line end; none for
  // console noise.
  virtual std::vector<std::string> handle_line(std::string_view line) = 0;
  // Set once the reply to `reboot` is out: the device resets.
  virtual bool reset_requested() const = 0;
};

// Makes the factory-test firmware of one boot, on the board of that boot.
using FactoryTestFirmwareFactory = std::function<std::unique_ptr<FactoryTestFirmware>(FactoryTestBoard board)>;

}  // namespace espfab::emulator
