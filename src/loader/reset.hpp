// Reset strategies as data (docs/serial-protocol.md §6.1): sequences of DTR/RTS states and hold times, run against
// any Transport. DTR asserted drives IO0 low and RTS asserted drives EN low through the usual
// two-transistor auto-reset circuit.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "transport/transport.hpp"

namespace espfab::loader {

struct ResetStep {
  transport::ControlLines lines;
  std::chrono::milliseconds hold{0};
};

struct ResetStrategy {
  std::string name;  // "classic(50ms)", "unix-tight(550ms)", "usb-jtag-serial", "hard", "none"
  std::vector<ResetStep> steps;
};

// What to do before connecting (esptool --before) and after the command (--after).
enum class BeforeReset { DefaultReset, UsbReset, NoReset, NoResetNoSync };
enum class AfterReset { HardReset, NoReset, NoResetStub };

// Parses "default_reset"/"default-reset", "usb_reset", "no_reset", "no_reset_no_sync"; throws
// BadInputError listing the choices.
BeforeReset parse_before_reset(std::string_view text);
AfterReset parse_after_reset(std::string_view text);  // hard_reset, no_reset, no_reset_stub

// Waits; tests pass a recorder instead of sleeping.
using Sleeper = std::function<void(std::chrono::milliseconds)>;
Sleeper real_sleeper();

ResetStrategy classic_reset(std::chrono::milliseconds delay);
ResetStrategy unix_tight_reset(std::chrono::milliseconds delay);
ResetStrategy usb_jtag_serial_reset();
ResetStrategy hard_reset();

// The strategies a connect cycles through: for default_reset UnixTight(50/550 ms) then
// Classic(50/550 ms) (classic only when `classic_only`, as for rfc2217), for usb_reset the
// USB-Serial/JTAG sequence, nothing for no_reset.
std::vector<ResetStrategy> connect_strategies(BeforeReset before, bool classic_only);

// Runs the steps. Returns false (and stops) when the link has no control lines.
bool run_reset(transport::Transport& link, const ResetStrategy& strategy, const Sleeper& sleep);

}  // namespace espfab::loader
