// The reference factory-test core of firmware/components/espfab_factory_test, built for the host,
// as the emulator's factory-test firmware: its board callbacks read the same FactoryTestBoard the
// emulator's own app reads, console bytes go in through espfab_ft_feed (the core's own line
// assembly), and the lines it writes come back. Put ReferenceFactoryTest::factory() into
// DeviceConfig::factory_test_firmware and the station talks to the C core over the emulator's link.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/factory_test_firmware.hpp"
#include "espfab_ft/ft_core.h"

namespace espfab::test {

class ReferenceFactoryTest final : public emulator::FactoryTestFirmware {
 public:
  explicit ReferenceFactoryTest(emulator::FactoryTestBoard board);
  ~ReferenceFactoryTest() override;
  ReferenceFactoryTest(const ReferenceFactoryTest&) = delete;
  ReferenceFactoryTest& operator=(const ReferenceFactoryTest&) = delete;
  ReferenceFactoryTest(ReferenceFactoryTest&&) = delete;
  ReferenceFactoryTest& operator=(ReferenceFactoryTest&&) = delete;

  std::string ready_line() override;
  // Feeds the line and a CR LF, so the core sees exactly `line` after its own line assembly.
  std::vector<std::string> handle_line(std::string_view line) override;
  bool reset_requested() const override { return reset_requested_; }

  // Raw console bytes; the whole lines the core wrote in answer (without their CR LF).
  std::vector<std::string> feed(std::string_view bytes);
  espfab_ft_core& core() { return *core_; }

  static emulator::FactoryTestFirmwareFactory factory();

  // Board callbacks (C function pointers into this object; public for the C side only).
  struct Callbacks;

 private:
  struct SensorSlot {
    ReferenceFactoryTest* self;
    std::string name;
    std::string unit;
  };
  std::vector<std::string> take_lines();

  emulator::FactoryTestBoard board_;
  std::string chip_ = emulator::FactoryTestBoard::kChip;
  std::string revision_ = emulator::FactoryTestBoard::kRevision;
  std::vector<std::unique_ptr<SensorSlot>> sensors_;
  std::unique_ptr<espfab_ft_core> core_;  // ~6 KiB, as a device would hold it in static memory
  std::string output_;                    // what the core wrote, not yet returned as lines
  bool reset_requested_ = false;
};

}  // namespace espfab::test
