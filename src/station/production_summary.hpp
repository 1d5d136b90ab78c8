// A factory's figures from the station DB (docs/station.md, "Reports"): yield, first-pass yield,
// retests, a reject Pareto and the time per step, for all devices or grouped by station, fixture,
// day or reject reason; as JSON or a rectangular RFC 4180 CSV.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "station/station_db.hpp"

namespace espfab::station {

enum class SummaryGrouping { None, Station, Fixture, Day, Reason };

// "station" -> Station ...; throws BadInputError("report.by") for anything else.
SummaryGrouping parse_summary_grouping(std::string_view text);

// The lower bound of `--since` as an ISO-8601 UTC prefix the DB compares with: "2026-12-02",
// "2026-12-02T08:00", "today", "yesterday" (from 00:00 UTC), "7d" or "12h" (back from `now`).
// Throws BadInputError("report.since") for anything else: a report never silently shows nothing.
std::string since_to_iso(std::string_view text, std::chrono::system_clock::time_point now);

// Over the devices updated at or after `since_iso` (all when empty):
//   devices, status counts, yield = provisioned / finished (devices not in progress),
//   first_pass_yield = provisioned without a rejected or faulted attempt / finished,
//   retests = attempts after a device's first failed one,
//   rejects = failed attempts by reason, most frequent first, with cumulative percent,
//   steps = per step (steps that ran, not skipped ones): count, mean and p95 seconds.
// {"since", "by", "total": {...}, "groups": [{"group": key, ...}]}; groups is empty without grouping.
nlohmann::json production_summary(StationDb& db, const std::string& since_iso, SummaryGrouping by);

// The summary as one CSV table: group,kind,name,count,value (a header and CRLF records).
std::string production_summary_csv(const nlohmann::json& summary);

}  // namespace espfab::station
