// The emulator's factory-test app: the device side of the factory-test protocol v1
// (docs/firmware-contract.md) over a FactoryTestBoard, with nlohmann/json: one JSON object per
// line; a ready line after boot; requests {"id","cmd",...} answered with {"id","ok":true,...} or
// {"id","ok":false,"error"}. The reference C core of firmware/ must answer every line the same
// way (tests/unit/firmware/factory_test_conformance_test.cpp). Pure: lines in, lines out; the
// device runtime feeds it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/factory_test_board.hpp"
#include "emulator/factory_test_faults.hpp"
#include "emulator/factory_test_firmware.hpp"

namespace espfab::emulator {

// Longest request line (without its line end); longer lines are console noise.
inline constexpr std::size_t kMaxRequestLine = 1024;

class FactoryTestApp final : public FactoryTestFirmware {
 public:
  explicit FactoryTestApp(FactoryTestBoard board) : board_(std::move(board)) {}

  std::string ready_line() override;
  std::vector<std::string> handle_line(std::string_view line) override;
  bool reset_requested() const override { return reset_requested_; }

 private:
  FactoryTestBoard board_;
  bool reset_requested_ = false;
};

// The `cmd` of a request (a JSON object line with an integer `id` and a string `cmd`); nothing
// for any other line. The device's hang_on knob looks at it.
std::optional<std::string> request_command(std::string_view line);

}  // namespace espfab::emulator
