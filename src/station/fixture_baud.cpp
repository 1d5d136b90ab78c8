#include "station/fixture_baud.hpp"

#include "station/error_policy.hpp"
#include "station/pipeline.hpp"

namespace espfab::station {

nlohmann::json baud_details(const FixtureLink& fixture) {
  nlohmann::json details = {{"rate", fixture.bulk_baud()}, {"mode", fixture.auto_baud() ? "auto" : "fixed"}};
  if (!fixture.auto_baud()) return details;
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& attempt : fixture.baud_attempts()) {
    nlohmann::json one = {{"baud", attempt.baud}, {"passed", attempt.passed}, {"verified", attempt.verified}};
    if (!attempt.error.empty()) one["error"] = attempt.error;
    attempts.push_back(std::move(one));
  }
  details["attempts"] = std::move(attempts);
  return details;
}

void audit_link_rate(DeviceContext& ctx, const std::string& mac, const nlohmann::json& details) {
  if (!ctx.fixture.auto_baud()) return;  // a fixed rate is the profile's: nothing to audit per device
  ctx.station.audit.append({"link.baud", mac, "", {{"fixture", ctx.fixture_name}, {"baud", details}}});
}

nlohmann::json note_link_error(DeviceContext& ctx, const Error& error) {
  if (!ctx.fixture.auto_baud() || !link_error(error)) return nullptr;
  const auto dropped = ctx.fixture.drop_baud();
  if (!dropped) return nullptr;
  nlohmann::json details = {{"from", dropped->first}, {"to", dropped->second}, {"error", error.describe()}};
  ctx.station.audit.append(
      {"link.baud_fallback", ctx.mac(), ctx.serial(), {{"fixture", ctx.fixture_name}, {"fallback", details}}});
  return details;
}

}  // namespace espfab::station
