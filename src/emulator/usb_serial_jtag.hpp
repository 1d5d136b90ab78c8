// The ESP32-S3 USB-Serial/JTAG controller's CDC-ACM side as a host drives it (docs/emulator.md,
// "USB-Serial/JTAG"): the host's DTR and RTS are requests to the controller, not wires. RTS on
// with DTR off holds the digital core in reset; releasing it runs the chip again. A reset entered
// from DTR on and RTS on (esptool's USBJTAGSerialReset goes (1,0) -> (1,1) -> (0,1) -> (0,0))
// asks for download mode: the controller sets the force-download-boot flag in RTC_CNTL_OPTION1,
// which a core reset keeps. A reset entered from (0,0) (esptool's HardReset: RTS pulse) boots
// from flash unless that flag is still set; esptool clears it first (WRITE_REG 0x6000812C, 0, 1).
//
// Pure: the server feeds line changes and acts on the resets this returns.
#pragma once

#include <optional>

namespace espfab::emulator {

struct UsbLines {
  bool dtr = false;
  bool rts = false;
  bool operator==(const UsbLines&) const = default;
};

struct UsbCoreReset {
  bool download_requested = false;  // set the force-download-boot flag before the chip runs again
};

class UsbSerialJtagLines {
 public:
  // The host set the lines to `lines`. Returns the reset that completes now (the core leaves
  // reset), if any.
  std::optional<UsbCoreReset> set(UsbLines lines);
  UsbLines lines() const noexcept { return lines_; }
  bool core_held_in_reset() const noexcept { return in_reset_; }
  // A new enumeration (the host sees a fresh port): the lines start inactive.
  void enumerate() noexcept { *this = UsbSerialJtagLines{}; }

 private:
  UsbLines lines_;
  bool in_reset_ = false;
  bool download_ = false;
};

}  // namespace espfab::emulator
