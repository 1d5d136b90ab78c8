// Auto baud in the station (docs/station.md, "Auto baud"): what a device's records and the audit
// log say about the rate its fixture used, and the fallback after a link error at an auto-chosen
// rate (the fixture drops one rung; the step's retry connects at the slower rate).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "station/fixture_link.hpp"
#include "util/error.hpp"

namespace espfab::station {

class DeviceContext;

// The connect step's "baud" details: {"rate", "mode": "auto"|"fixed", "attempts": [...]}.
nlohmann::json baud_details(const FixtureLink& fixture);

// Audits the rate the device's session runs at ("link.baud", with the ladder's attempts).
void audit_link_rate(DeviceContext& ctx, const std::string& mac, const nlohmann::json& details);

// After `error` ended a step's attempt: with auto baud and a link error (error_policy.hpp), the
// fixture drops one rung and the drop is audited ("link.baud_fallback"). Returns the fallback's
// details ({"from", "to", "error"}), or null when nothing changed.
nlohmann::json note_link_error(DeviceContext& ctx, const Error& error);

}  // namespace espfab::station
