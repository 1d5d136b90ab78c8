#include "station/production_summary.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "station/device_record.hpp"
#include "util/csv.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

constexpr const char* kStatuses[] = {"provisioned", "rejected", "fault", "scrapped", "in_progress"};

struct Device {
  DeviceRow row;
  std::vector<Attempt> attempts;
  std::string station;
};

bool failed(const Attempt& attempt) { return attempt.result == "rejected" || attempt.result == "fault"; }

std::string reason_group(const Device& device) {
  for (auto it = device.attempts.rbegin(); it != device.attempts.rend(); ++it) {
    if (!it->reject_reason.empty()) return it->reject_reason;
  }
  return "(none)";
}

std::string group_of(const Device& device, SummaryGrouping by) {
  switch (by) {
    case SummaryGrouping::None: return "all";
    case SummaryGrouping::Station: return device.station.empty() ? "(unknown)" : device.station;
    case SummaryGrouping::Fixture: return device.row.fixture.empty() ? "(unknown)" : device.row.fixture;
    case SummaryGrouping::Day: {
      const auto& when = device.attempts.empty() ? device.row.updated : device.attempts.back().started;
      return when.substr(0, 10);
    }
    case SummaryGrouping::Reason: return reason_group(device);
  }
  return "all";
}

nlohmann::json ratio(std::size_t part, std::size_t whole) {
  if (whole == 0) return nullptr;
  return static_cast<double>(part) / static_cast<double>(whole);
}

// Nearest rank: the smallest value with at least 95 % of the values at or below it.
double p95(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(values.size())));
  return values[std::max<std::size_t>(rank, 1) - 1];
}

nlohmann::json figures(const std::vector<const Device*>& devices) {
  std::map<std::string, std::size_t> statuses;
  for (const char* status : kStatuses) statuses[status] = 0;
  std::size_t first_pass = 0;
  std::size_t retests = 0;
  std::size_t failed_attempts = 0;
  std::map<std::string, std::size_t> rejects;
  std::map<std::string, std::vector<double>> step_seconds;
  for (const Device* device : devices) {
    ++statuses[device->row.status];
    bool any_failed = false;
    for (const auto& attempt : device->attempts) {
      if (any_failed) ++retests;
      if (failed(attempt)) {
        any_failed = true;
        ++failed_attempts;
        ++rejects[attempt.reject_reason.empty() ? "(unknown)" : attempt.reject_reason];
      }
      for (const auto& step : attempt.steps) {
        if (step.outcome == "pass" || step.outcome == "fail" || step.outcome == "error") {
          step_seconds[step.step].push_back(step.seconds);
        }
      }
    }
    if (device->row.status == "provisioned" && !any_failed) ++first_pass;
  }
  const std::size_t finished = devices.size() - statuses["in_progress"];
  nlohmann::json out = {{"devices", devices.size()}, {"finished", finished}};
  for (const auto& [status, count] : statuses) out[status] = count;
  out["yield"] = ratio(statuses["provisioned"], finished);
  out["first_pass_yield"] = ratio(first_pass, finished);
  out["retests"] = retests;
  std::vector<std::pair<std::string, std::size_t>> pareto(rejects.begin(), rejects.end());
  std::stable_sort(pareto.begin(), pareto.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  nlohmann::json reject_list = nlohmann::json::array();
  std::size_t running = 0;
  for (const auto& [reason, count] : pareto) {
    running += count;
    reject_list.push_back(
        {{"reason", reason},
         {"count", count},
         {"percent", 100.0 * static_cast<double>(count) / static_cast<double>(failed_attempts)},
         {"cumulative_percent", 100.0 * static_cast<double>(running) / static_cast<double>(failed_attempts)}});
  }
  out["rejects"] = reject_list;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& [step, seconds] : step_seconds) {
    double sum = 0;
    for (const double s : seconds) sum += s;
    steps.push_back({{"step", step},
                     {"count", seconds.size()},
                     {"mean_s", sum / static_cast<double>(seconds.size())},
                     {"p95_s", p95(seconds)}});
  }
  out["steps"] = steps;
  return out;
}

std::string number(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_number_float()) return fmt::format("{:.4f}", value.get<double>());
  return value.dump();
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// YYYY-MM-DD[THH:MM[:SS]][Z] with fields in range.
bool iso_date_time(std::string_view text) {
  if (text.ends_with('Z')) text.remove_suffix(1);
  if (text.size() != 10 && text.size() != 16 && text.size() != 19) return false;
  const auto field = [&](std::size_t at, std::size_t len, int min, int max) {
    const auto part = text.substr(at, len);
    if (!all_digits(part)) return false;
    const int value = std::stoi(std::string(part));
    return value >= min && value <= max;
  };
  if (!field(0, 4, 1970, 9999) || text[4] != '-' || !field(5, 2, 1, 12) || text[7] != '-' || !field(8, 2, 1, 31)) {
    return false;
  }
  if (text.size() == 10) return true;
  if (text[10] != 'T' || !field(11, 2, 0, 23) || text[13] != ':' || !field(14, 2, 0, 59)) return false;
  return text.size() == 16 || (text[16] == ':' && field(17, 2, 0, 60));
}

std::string iso(std::chrono::system_clock::time_point when) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.000Z", fmt::gmtime(std::chrono::system_clock::to_time_t(when)));
}

}  // namespace

SummaryGrouping parse_summary_grouping(std::string_view text) {
  if (text.empty()) return SummaryGrouping::None;
  if (text == "station") return SummaryGrouping::Station;
  if (text == "fixture") return SummaryGrouping::Fixture;
  if (text == "day") return SummaryGrouping::Day;
  if (text == "reason") return SummaryGrouping::Reason;
  throw BadInputError("report.by", fmt::format("cannot group a summary by '{}'", text),
                      "use --by station, --by fixture, --by day or --by reason");
}

std::string since_to_iso(std::string_view text, std::chrono::system_clock::time_point now) {
  using days = std::chrono::duration<std::int64_t, std::ratio<86400>>;
  const auto midnight = std::chrono::time_point_cast<days>(now);
  if (text == "today") return iso(midnight).substr(0, 10);
  if (text == "yesterday") return iso(midnight - days(1)).substr(0, 10);
  if (text.size() >= 2 && (text.back() == 'd' || text.back() == 'h') && all_digits(text.substr(0, text.size() - 1)) &&
      text.size() <= 7) {
    const auto n = std::stoll(std::string(text.substr(0, text.size() - 1)));
    return iso(text.back() == 'd' ? now - days(n) : now - std::chrono::hours(n));
  }
  if (iso_date_time(text)) {
    std::string out(text);
    if (out.ends_with('Z')) out.pop_back();
    return out;
  }
  throw BadInputError("report.since", fmt::format("--since '{}' is not a date or a span", text),
                      "give an ISO-8601 UTC date or time (2026-12-02, 2026-12-02T08:00), today, yesterday, or a span "
                      "back from now (7d, 12h)");
}

nlohmann::json production_summary(StationDb& db, const std::string& since_iso, SummaryGrouping by) {
  std::vector<Device> devices;
  std::map<std::string, std::string> station_of_run;
  for (auto& row : db.devices(since_iso)) {
    Device device{row, device_attempts(row, db.steps(row.mac)), {}};
    if (!device.attempts.empty()) {
      const auto& run_id = device.attempts.back().run_id;
      auto it = station_of_run.find(run_id);
      if (it == station_of_run.end()) {
        const auto run = db.run(run_id);
        it = station_of_run.emplace(run_id, run ? run->station_id : "").first;
      }
      device.station = it->second;
    }
    devices.push_back(std::move(device));
  }
  std::vector<const Device*> all;
  all.reserve(devices.size());
  for (const auto& d : devices) all.push_back(&d);
  static constexpr const char* kBy[] = {"", "station", "fixture", "day", "reason"};
  nlohmann::json out = {{"since", since_iso},
                        {"by", kBy[static_cast<int>(by)]},  // NOLINT(cppcoreguidelines-pro-bounds-constant-array-index)
                        {"total", figures(all)},
                        {"groups", nlohmann::json::array()}};
  if (by == SummaryGrouping::None) return out;
  std::map<std::string, std::vector<const Device*>> groups;
  for (const auto& d : devices) groups[group_of(d, by)].push_back(&d);
  for (const auto& [key, members] : groups) {
    auto group = figures(members);
    group["group"] = key;
    out["groups"].push_back(group);
  }
  return out;
}

std::string production_summary_csv(const nlohmann::json& summary) {
  std::string out = csv_record({"group", "kind", "name", "count", "value"});
  const auto add = [&](const std::string& group, const nlohmann::json& f) {
    for (const char* name :
         {"devices", "finished", "provisioned", "rejected", "fault", "scrapped", "in_progress", "retests"}) {
      out += csv_record({group, "count", name, number(f[name]), ""});
    }
    for (const char* name : {"yield", "first_pass_yield"})
      out += csv_record({group, "rate", name, "", number(f[name])});
    for (const auto& r : f["rejects"]) {
      out += csv_record(
          {group, "reject", r["reason"].get<std::string>(), number(r["count"]), number(r["cumulative_percent"])});
    }
    for (const auto& s : f["steps"]) {
      out += csv_record({group, "step_mean_s", s["step"].get<std::string>(), number(s["count"]), number(s["mean_s"])});
      out += csv_record({group, "step_p95_s", s["step"].get<std::string>(), number(s["count"]), number(s["p95_s"])});
    }
  };
  add("all", summary["total"]);
  for (const auto& g : summary["groups"]) add(g["group"].get<std::string>(), g);
  return out;
}

}  // namespace espfab::station
