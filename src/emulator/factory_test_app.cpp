#include "emulator/factory_test_app.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

#include "util/error.hpp"

namespace espfab::emulator {
namespace {

using json = nlohmann::ordered_json;  // keys in the order docs/factory-test-protocol.md shows them

int parse_int(std::string_view text, std::string_view knob) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw BadInputError("emulator.bad_fault", fmt::format("fault knob {}: '{}' is not a number", knob, text),
                        "see docs/emulator.md, Fault injection");
  }
  return value;
}

// Deterministic small variation per device, so two devices do not report identical readings.
int jitter(const std::string& mac, int span) {
  unsigned sum = 0;
  for (char c : mac) sum = sum * 31u + static_cast<unsigned char>(c);
  return static_cast<int>(sum % static_cast<unsigned>(span));
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
          "no_flash");
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

FactoryTestApp::FactoryTestApp(FactoryTestDevice device, FactoryTestFaults faults)
    : device_(std::move(device)), faults_(std::move(faults)) {
  if (faults_.no_psram) device_.psram_size = 0;
}

std::string FactoryTestApp::ready_line() {
  json ready = {
      {"ft", 1}, {"event", "ready"}, {"fw", "factory-test"}, {"version", device_.version}, {"mac", device_.mac}};
  if (faults_.boot_loop) reset_requested_ = true;
  return ready.dump();
}

std::vector<std::string> FactoryTestApp::handle_line(std::string_view line) {
  json request;
  try {
    request = json::parse(line);
  } catch (const json::exception&) {
    return {};  // not a request: console noise
  }
  if (!request.is_object() || !request.contains("id")) return {};
  const json id = request["id"];
  const std::string cmd = request.value("cmd", "");
  if (!faults_.hang_on.empty() && cmd == faults_.hang_on) return {};
  json reply = {{"id", id}, {"ok", true}};
  if (cmd == "info") {
    reply["chip"] = "ESP32-S3";
    reply["revision"] = "v0.2";
    reply["flash_size"] = device_.flash_size;
    reply["psram_size"] = device_.psram_size;
    reply["mac"] = device_.mac;
  } else if (cmd == "gpio_loopback") {
    json results = json::array();
    for (const auto& pair : request.value("pairs", json::array())) {
      const int out = pair.at(0).get<int>();
      const int in = pair.at(1).get<int>();
      bool read_high = true;
      bool read_low = false;
      if (faults_.gpio_stuck && (faults_.gpio_stuck->first == out || faults_.gpio_stuck->first == in)) {
        read_high = read_low = faults_.gpio_stuck->second;
      }
      results.push_back({{"pair", json::array({out, in})},
                         {"pass", read_high && !read_low},
                         {"read_high", read_high},
                         {"read_low", read_low}});
    }
    reply["results"] = results;
  } else if (cmd == "adc_read") {
    const int mv = 1650 + jitter(device_.mac, 20) - 10;
    reply["mv"] = mv;
    reply["min_mv"] = mv - 4;
    reply["max_mv"] = mv + 4;
  } else if (cmd == "sensor") {
    const std::string name = request.value("name", "");
    const bool missing =
        std::find(faults_.sensor_missing.begin(), faults_.sensor_missing.end(), name) != faults_.sensor_missing.end();
    if (name == "temp") {
      reply["value"] = 24.5 + jitter(device_.mac, 30) / 10.0;
      reply["unit"] = "C";
    } else if (name == "humidity") {
      reply["value"] = 41.0 + jitter(device_.mac, 50) / 10.0;
      reply["unit"] = "%";
    } else if (name == "imu") {
      reply["value"] = 9.81;
      reply["unit"] = "m/s2";
    } else {
      reply = {{"id", id}, {"ok", false}, {"error", "unknown sensor " + name}};
    }
    if (reply["ok"].get<bool>()) {
      reply["present"] = !missing;
      if (missing) reply["value"] = nullptr;
    }
  } else if (cmd == "wifi_scan") {
    json aps = json::array({json{{"ssid", "FACTORY-AP"}, {"rssi", faults_.wifi_rssi}, {"channel", 6}},
                            json{{"ssid", "office"}, {"rssi", -71}, {"channel", 11}},
                            json{{"ssid", "guest"}, {"rssi", -80}, {"channel", 1}}});
    const std::string ssid = request.value("ssid", "");
    if (!ssid.empty()) {
      json filtered = json::array();
      for (const auto& ap : aps)
        if (ap["ssid"] == ssid) filtered.push_back(ap);
      aps = filtered;
    }
    reply["aps"] = aps;
  } else if (cmd == "mem_test") {
    const std::string region = request.value("region", "psram");
    if (region == "psram") {
      reply["pass"] = device_.psram_size != 0;
      reply["bytes"] = device_.psram_size;
    } else if (region == "flash") {
      reply["pass"] = true;
      reply["bytes"] = device_.flash_size;
    } else {
      reply = {{"id", id}, {"ok", false}, {"error", "unknown region " + region}};
    }
  } else if (cmd == "reboot") {
    reset_requested_ = true;
  } else {
    reply = {{"id", id}, {"ok", false}, {"error", "unknown command " + cmd}};
  }
  return {reply.dump()};
}

}  // namespace espfab::emulator
