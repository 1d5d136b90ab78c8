#include "emulator/factory_test_app.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <utility>

namespace espfab::emulator {
namespace {

using json = nlohmann::ordered_json;         // members in the order docs/firmware-contract.md shows them
using Outcome = std::optional<std::string>;  // the error text, or nothing when the reply is filled

constexpr int kMaxGpio = 48;
constexpr std::size_t kMaxPairs = 16;

// A request: a JSON object with an integer `id`, on a line of at most kMaxRequestLine bytes.
std::optional<json> parse_request(std::string_view line) {
  if (line.size() > kMaxRequestLine) return std::nullopt;
  json request = json::parse(line, nullptr, false);
  if (request.is_discarded() || !request.is_object()) return std::nullopt;
  const auto id = request.find("id");
  if (id == request.end() || !id->is_number_integer()) return std::nullopt;
  return request;
}

const json* find(const json& request, const char* name) {
  const auto it = request.find(name);
  return it == request.end() ? nullptr : &*it;
}

// An integer within [min, max] (a JSON number without fraction or exponent).
std::optional<std::int64_t> int_in(const json& value, std::int64_t min, std::int64_t max) {
  if (!value.is_number_integer()) return std::nullopt;
  std::int64_t number = 0;
  if (value.is_number_unsigned()) {
    const auto unsigned_number = value.get<std::uint64_t>();
    if (unsigned_number > static_cast<std::uint64_t>(max)) return std::nullopt;
    number = static_cast<std::int64_t>(unsigned_number);
  } else {
    number = value.get<std::int64_t>();
  }
  if (number < min || number > max) return std::nullopt;
  return number;
}

// An integer argument in [min, max]: its value, `fallback` when it is missing, nothing when bad.
std::optional<std::int64_t> int_arg(const json& request, const char* name, std::int64_t min, std::int64_t max,
                                    std::int64_t fallback) {
  const json* arg = find(request, name);
  if (arg == nullptr) return fallback;
  return int_in(*arg, min, max);
}

// A string argument: its value, `fallback` when missing (nothing as fallback: required), nothing
// when it is not a string.
std::optional<std::string> string_arg(const json& request, const char* name,
                                      std::optional<std::string> fallback = std::nullopt) {
  const json* arg = find(request, name);
  if (arg == nullptr) return fallback;
  if (!arg->is_string()) return std::nullopt;
  return arg->get<std::string>();
}

std::string bad_argument(const char* name, const char* expected) {
  return std::string("bad argument ") + name + ": expected " + expected;
}

// [OUT, IN] with two GPIO numbers.
std::optional<std::pair<int, int>> gpio_pair(const json& pair) {
  if (!pair.is_array() || pair.size() != 2) return std::nullopt;
  const auto out = int_in(pair[0], 0, kMaxGpio);
  const auto in = int_in(pair[1], 0, kMaxGpio);
  if (!out || !in) return std::nullopt;
  return std::pair{static_cast<int>(*out), static_cast<int>(*in)};
}

Outcome info(const FactoryTestBoard& board, json& reply) {
  const auto& device = board.device();
  reply["chip"] = FactoryTestBoard::kChip;
  reply["revision"] = FactoryTestBoard::kRevision;
  reply["flash_size"] = device.flash_size;
  reply["psram_size"] = device.psram_size;
  reply["mac"] = device.mac;
  return std::nullopt;
}

Outcome gpio_loopback(const FactoryTestBoard& board, const json& request, json& reply) {
  const std::string bad = bad_argument("pairs", "up to 16 [OUT,IN] pairs of GPIO numbers 0-48");
  std::vector<std::pair<int, int>> pairs;
  if (const json* arg = find(request, "pairs")) {
    if (!arg->is_array() || arg->size() > kMaxPairs) return bad;
    for (const auto& item : *arg) {
      const auto pair = gpio_pair(item);
      if (!pair) return bad;
      pairs.push_back(*pair);
    }
  }
  json results = json::array();
  for (const auto& [out, in] : pairs) {
    const auto reading = board.loopback(out, in);
    results.push_back({{"pair", json::array({out, in})},
                       {"pass", reading.read_high && !reading.read_low},
                       {"read_high", reading.read_high},
                       {"read_low", reading.read_low}});
  }
  reply["results"] = std::move(results);
  return std::nullopt;
}

Outcome adc_read(const FactoryTestBoard& board, const json& request, json& reply) {
  const auto channel = int_arg(request, "channel", 0, 255, 0);
  if (!channel) return bad_argument("channel", "an integer from 0 to 255");
  const auto samples = int_arg(request, "samples", 1, 1024, 1);
  if (!samples) return bad_argument("samples", "an integer from 1 to 1024");
  const auto reading = board.adc(static_cast<int>(*channel), static_cast<int>(*samples));
  reply["mv"] = reading.mv;
  reply["min_mv"] = reading.min_mv;
  reply["max_mv"] = reading.max_mv;
  return std::nullopt;
}

Outcome sensor(const FactoryTestBoard& board, const json& request, json& reply) {
  const auto name = string_arg(request, "name");
  if (!name) return bad_argument("name", "a string");
  const auto reading = board.sensor(*name);
  if (!reading) return "unknown sensor " + *name;
  reply["value"] = reading->present ? json(reading->value) : json(nullptr);
  reply["unit"] = reading->unit;
  reply["present"] = reading->present;
  return std::nullopt;
}

Outcome wifi_scan(const FactoryTestBoard& board, const json& request, json& reply) {
  const auto ssid = string_arg(request, "ssid", std::string());
  if (!ssid) return bad_argument("ssid", "a string");
  json aps = json::array();
  for (const auto& ap : board.scan()) {
    if (ssid->empty() || ap.ssid == *ssid)
      aps.push_back({{"ssid", ap.ssid}, {"rssi", ap.rssi}, {"channel", ap.channel}});
  }
  reply["aps"] = std::move(aps);
  return std::nullopt;
}

Outcome mem_test(const FactoryTestBoard& board, const json& request, json& reply) {
  const auto region = string_arg(request, "region", std::string("psram"));
  if (!region) return bad_argument("region", "a string");
  const auto result = board.mem_test(*region);
  if (!result) return "unknown region " + *region;
  reply["pass"] = result->pass;
  reply["bytes"] = result->bytes;
  return std::nullopt;
}

}  // namespace

std::string FactoryTestApp::ready_line() {
  const auto& device = board_.device();
  const json ready = {
      {"ft", 1}, {"event", "ready"}, {"fw", "factory-test"}, {"version", device.version}, {"mac", device.mac}};
  return ready.dump();
}

std::vector<std::string> FactoryTestApp::handle_line(std::string_view line) {
  const auto request = parse_request(line);
  if (!request) return {};  // not a request: console noise
  const json& id = (*request)["id"];
  json reply = {{"id", id}, {"ok", true}};
  Outcome error;
  const auto cmd = string_arg(*request, "cmd");
  if (!cmd) {
    error = bad_argument("cmd", "a string");
  } else if (*cmd == "info") {
    error = info(board_, reply);
  } else if (*cmd == "gpio_loopback") {
    error = gpio_loopback(board_, *request, reply);
  } else if (*cmd == "adc_read") {
    error = adc_read(board_, *request, reply);
  } else if (*cmd == "sensor") {
    error = sensor(board_, *request, reply);
  } else if (*cmd == "wifi_scan") {
    error = wifi_scan(board_, *request, reply);
  } else if (*cmd == "mem_test") {
    error = mem_test(board_, *request, reply);
  } else if (*cmd == "reboot") {
    reset_requested_ = true;
  } else {
    error = "unknown command " + *cmd;
  }
  if (error) reply = {{"id", id}, {"ok", false}, {"error", *error}};
  return {reply.dump()};
}

std::optional<std::string> request_command(std::string_view line) {
  const auto request = parse_request(line);
  if (!request) return std::nullopt;
  return string_arg(*request, "cmd");
}

}  // namespace espfab::emulator
