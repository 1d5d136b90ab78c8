// The emulator's control channel, a line protocol on a TCP port of 127.0.0.1 next to the devices:
// what a fixture's relay board or a test does to a device besides talking to it. A pty has no
// DTR/RTS, so this is how a pty device is reset (docs/serial-protocol.md §6.2).
//
//   reset download N   -> chip N resets with GPIO0 low (ROM download mode; prints the banner)
//   reset boot N       -> chip N resets with GPIO0 high (normal boot)
//   fault N KNOBS      -> the factory-test app of chip N misbehaves from its next boot on
//                         (KNOBS as espfab-emu --fault: gpio_stuck=4:high,wifi_rssi=-85,...)
//   fault N clear      -> chip N is healthy again
//   busy N             -> how long chip N has been busy (busy_meter.hpp): "ok busy_us=B folded=F
//                         intervals=A-B,C-D,..." with the merged busy intervals in microseconds of
//                         the Unix epoch (system clock), oldest first; only with the link model on
//   busy N clear       -> starts chip N's busy accounting afresh
//
// Each line gets one answer line: "ok" or "error <reason>". Pure parsing here; the server acts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace espfab::emulator {

struct ControlCommand {
  enum class Kind { ResetDownload, ResetBoot, Fault, Busy, BusyClear };
  Kind kind;
  std::size_t device = 0;
  std::string knobs;  // Fault: the knob text ("" = clear)
};

// Parses one line (without its newline; a trailing '\r' is ignored). The error is the reason
// text the server sends back after "error ".
Result<ControlCommand> parse_control_command(std::string_view line);

}  // namespace espfab::emulator
