#include "emulator/factory_test_faults.hpp"

#include <fmt/format.h>

#include <charconv>

#include "util/error.hpp"

namespace espfab::emulator {
namespace {

constexpr std::uint32_t kMinKnobBaud = 1200;
constexpr std::uint32_t kMaxKnobBaud = 20'000'000;

int parse_int(std::string_view text, std::string_view knob) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw BadInputError("emulator.bad_fault", fmt::format("fault knob {}: '{}' is not a number", knob, text),
                        "see docs/emulator.md, Fault injection");
  }
  return value;
}

}  // namespace

FactoryTestFaults parse_factory_test_faults(std::string_view text) {
  FactoryTestFaults faults;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    if (key == "gpio_stuck") {
      const auto colon = value.find(':');
      const std::string_view level = colon == std::string_view::npos ? "" : value.substr(colon + 1);
      if (level != "high" && level != "low") {
        throw BadInputError("emulator.bad_fault", fmt::format("gpio_stuck={}: expected PIN:high or PIN:low", value),
                            "for example gpio_stuck=4:high");
      }
      faults.gpio_stuck = std::make_pair(parse_int(value.substr(0, colon), key), level == "high");
    } else if (key == "sensor_missing") {
      faults.sensor_missing.emplace_back(value);
    } else if (key == "wifi_rssi") {
      faults.wifi_rssi = parse_int(value, key);
    } else if (key == "no_psram") {
      faults.no_psram = true;
    } else if (key == "hang_on") {
      faults.hang_on = std::string(value);
    } else if (key == "boot_loop") {
      faults.boot_loop = true;
    } else {
      throw BadInputError(
          "emulator.bad_fault", fmt::format("unknown fault knob '{}'", key),
          "knobs: gpio_stuck=PIN:high|low, sensor_missing=NAME, wifi_rssi=DBM, no_psram, "
          "hang_on=CMD, boot_loop, drop_after=N, bitflip=PPM, wrong_chip, efuse_power_loss=N, drop_after_burn=N, "
          "no_flash, adapter_max_baud=N, corrupt_above_baud=N, corrupt_every=K");
    }
  }
  return faults;
}

namespace {

// A knob that counts eFuse program cycles from now, from 1.
unsigned parse_program_cycle(std::string_view value, std::string_view key, const char* example) {
  const int cycle = parse_int(value, key);
  if (cycle < 1) {
    throw BadInputError("emulator.bad_fault", fmt::format("{} counts program cycles from 1", key),
                        fmt::format("for example {}", example));
  }
  return static_cast<unsigned>(cycle);
}

}  // namespace

std::uint32_t parse_baud_knob(std::string_view value, std::string_view key) {
  std::uint32_t baud = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), baud);
  if (ec != std::errc() || end != value.data() + value.size() || baud < kMinKnobBaud || baud > kMaxKnobBaud) {
    throw BadInputError("emulator.bad_fault",
                        fmt::format("{}: '{}' is not a baud rate ({}..{})", key, value, kMinKnobBaud, kMaxKnobBaud),
                        fmt::format("for example {}=2000000", key));
  }
  return baud;
}

DeviceFaults parse_device_faults(std::string_view text) {
  DeviceFaults faults;
  std::string app_knobs;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    if (key == "drop_after") {
      const int n = parse_int(value, key);
      if (n < 0) throw BadInputError("emulator.bad_fault", "drop_after must be >= 0", "for example drop_after=5000");
      faults.drop_after = static_cast<std::uint64_t>(n);
    } else if (key == "bitflip") {
      const int ppm = parse_int(value, key);
      if (ppm < 0 || ppm > 1'000'000) {
        throw BadInputError("emulator.bad_fault", "bitflip is in bytes per million (0-1000000)",
                            "for example bitflip=200");
      }
      faults.bitflip_ppm = static_cast<std::uint32_t>(ppm);
    } else if (key == "wrong_chip") {
      faults.wrong_chip = true;
    } else if (key == "no_flash") {
      faults.no_flash = true;
    } else if (key == "adapter_max_baud") {
      faults.adapter_max_baud = parse_baud_knob(value, key);
    } else if (key == "corrupt_above_baud") {
      faults.corrupt_above_baud = parse_baud_knob(value, key);
    } else if (key == "corrupt_every") {
      const int every = parse_int(value, key);
      if (every < 1) {
        throw BadInputError("emulator.bad_fault", "corrupt_every counts bytes from 1 (1 = every byte)",
                            "for example corrupt_every=256");
      }
      faults.corrupt_every = static_cast<std::uint32_t>(every);
    } else if (key == "efuse_power_loss") {
      faults.efuse_power_loss = parse_program_cycle(value, key, "efuse_power_loss=2");
    } else if (key == "drop_after_burn") {
      faults.drop_after_burn = parse_program_cycle(value, key, "drop_after_burn=8 (after the 8th eFuse program cycle)");
    } else if (!item.empty()) {
      if (!app_knobs.empty()) app_knobs += ',';
      app_knobs.append(item);
    }
  }
  faults.factory_test = parse_factory_test_faults(app_knobs);
  return faults;
}

}  // namespace espfab::emulator
