#include "station/factory_test_client.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab::station {
namespace {

using nlohmann::json;

std::optional<json> parse_object(std::string_view line) {
  const auto start = line.find('{');
  if (start == std::string_view::npos) return std::nullopt;
  json value = json::parse(line.substr(start), nullptr, false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

bool is_ready(const json& value) { return value.value("event", "") == "ready" && value.contains("ft"); }

std::string tail(std::string_view text, std::size_t lines) {
  std::size_t at = text.size();
  while (lines-- > 0 && at > 0) {
    at = text.rfind('\n', at - 1);
    if (at == std::string_view::npos) return std::string(text);
  }
  return std::string(text.substr(at == text.size() ? at : at + 1));
}

}  // namespace

json FactoryTestClient::boot_and_wait_ready(std::chrono::milliseconds timeout) {
  std::optional<json> ready;
  const std::string console = fixture_.boot(
      [&](std::string_view text) {
        std::size_t start = 0;
        while (start < text.size()) {
          const auto end = text.find('\n', start);
          if (end == std::string_view::npos) break;
          if (auto value = parse_object(text.substr(start, end - start)); value && is_ready(*value)) ready = value;
          start = end + 1;
        }
        return ready.has_value();
      },
      timeout);
  if (!ready) {
    throw TimeoutError("station.ft_not_ready",
                       fmt::format("the factory-test firmware did not report ready within {} ms; console ends "
                                   "with:\n{}",
                                   timeout.count(), tail(console, 4)),
                       "check the factory-test image in the profile and the fixture's reset wiring");
  }
  if (ready->value("ft", 0) != 1) {
    throw ProtocolError("station.ft_version",
                        fmt::format("factory-test protocol {} is not supported (need 1)", ready->value("ft", 0)),
                        "flash a factory-test firmware that speaks protocol v1");
  }
  return *ready;
}

std::optional<json> FactoryTestClient::await_reply(int id, std::chrono::milliseconds timeout) {
  const Deadline deadline(timeout);
  while (auto line = fixture_.read_line(deadline)) {
    auto value = parse_object(*line);
    if (value && value->contains("id") && (*value)["id"] == id) return value;
  }
  return std::nullopt;
}

json FactoryTestClient::request(json request, std::chrono::milliseconds timeout) {
  const std::string cmd = request.value("cmd", "");
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int id = next_id_++;
    request["id"] = id;
    fixture_.write_line(request.dump());
    if (auto reply = await_reply(id, timeout)) return *reply;
  }
  throw TimeoutError(
      "station.ft_no_reply",
      fmt::format("the factory-test firmware did not answer '{}' within {} ms, twice", cmd, timeout.count()),
      "the device hangs on this test: send it to repair");
}

}  // namespace espfab::station
