#include "loader/reset.hpp"

#include <fmt/format.h>

#include <thread>

#include "util/error.hpp"

namespace espfab::loader {

namespace {

using namespace std::chrono_literals;

std::string normalise(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c == '-') c = '_';
  return out;
}

transport::ControlLines lines(std::optional<bool> dtr, std::optional<bool> rts) { return {dtr, rts}; }

}  // namespace

BeforeReset parse_before_reset(std::string_view text) {
  const std::string name = normalise(text);
  if (name == "default_reset") return BeforeReset::DefaultReset;
  if (name == "usb_reset") return BeforeReset::UsbReset;
  if (name == "no_reset") return BeforeReset::NoReset;
  if (name == "no_reset_no_sync") return BeforeReset::NoResetNoSync;
  throw BadInputError("loader.bad_before_reset", fmt::format("unknown --before value '{}'", text),
                      "use default_reset, usb_reset, no_reset or no_reset_no_sync");
}

AfterReset parse_after_reset(std::string_view text) {
  const std::string name = normalise(text);
  if (name == "hard_reset") return AfterReset::HardReset;
  if (name == "no_reset") return AfterReset::NoReset;
  if (name == "no_reset_stub") return AfterReset::NoResetStub;
  throw BadInputError("loader.bad_after_reset", fmt::format("unknown --after value '{}'", text),
                      "use hard_reset, no_reset or no_reset_stub");
}

Sleeper real_sleeper() {
  return [](std::chrono::milliseconds duration) { std::this_thread::sleep_for(duration); };
}

ResetStrategy classic_reset(std::chrono::milliseconds delay) {
  return {fmt::format("classic({}ms)", delay.count()),
          {{lines(false, true), 100ms}, {lines(true, false), delay}, {lines(false, std::nullopt), 0ms}}};
}

ResetStrategy unix_tight_reset(std::chrono::milliseconds delay) {
  return {fmt::format("unix-tight({}ms)", delay.count()),
          {{lines(false, false), 0ms},
           {lines(true, true), 0ms},
           {lines(false, true), 100ms},
           {lines(true, false), delay},
           {lines(false, false), 0ms},
           {lines(false, std::nullopt), 0ms}}};
}

ResetStrategy usb_jtag_serial_reset() {
  return {"usb-jtag-serial",
          {{lines(false, false), 100ms},
           {lines(true, false), 100ms},
           {lines(false, true), 100ms},
           {lines(false, false), 0ms}}};
}

ResetStrategy hard_reset() { return {"hard", {{lines(std::nullopt, true), 100ms}, {lines(std::nullopt, false), 0ms}}}; }

std::vector<ResetStrategy> connect_strategies(BeforeReset before, bool classic_only) {
  switch (before) {
    case BeforeReset::DefaultReset:
      if (classic_only) return {classic_reset(50ms), classic_reset(550ms)};
      return {unix_tight_reset(50ms), unix_tight_reset(550ms), classic_reset(50ms), classic_reset(550ms)};
    case BeforeReset::UsbReset: return {usb_jtag_serial_reset()};
    case BeforeReset::NoReset:
    case BeforeReset::NoResetNoSync: return {ResetStrategy{"none", {}}};
  }
  return {ResetStrategy{"none", {}}};
}

bool run_reset(transport::Transport& link, const ResetStrategy& strategy, const Sleeper& sleep) {
  for (const auto& step : strategy.steps) {
    if (!link.set_control_lines(step.lines)) return false;
    if (step.hold.count() > 0) sleep(step.hold);
  }
  return true;
}

}  // namespace espfab::loader
