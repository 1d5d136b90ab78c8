// The factory's figures from a station DB written by hand: yield, first-pass yield, retests, the
// reject Pareto, mean and p95 per step, grouping, `--since` and the CSV's shape.
#include "station/production_summary.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "station/sqlite_station_db.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

struct Line {
  test::TempDir dir;
  SqliteStationDb db{dir / "station.db"};

  void step(const std::string& mac, const std::string& run, const std::string& name, const std::string& outcome,
            double seconds, const std::string& started, nlohmann::json measurements = nlohmann::json::array()) {
    db.record_step({mac, run, name, outcome, started, seconds, std::move(measurements), "", nlohmann::json::object()});
  }
  void device(const std::string& mac, const std::string& fixture, const std::string& status) {
    db.touch_device(mac, fixture);
    db.set_status(mac, status, status == "provisioned" ? "" : "why");
  }
};

// A: provisioned at once on fixture 1 (station A); B: rejected by a GPIO, then provisioned on
// fixture 2 (station B); C: rejected twice by the GPIO (station A); D: rejected by a timeout of the
// flash step; E: still in progress.
void fill(Line& line) {
  line.db.record_run({"ra", "station-a", "1.0", "p", {}, "2026-12-01T08:00:00.000Z"});
  line.db.record_run({"rb", "station-b", "1.0", "p", {}, "2026-12-02T08:00:00.000Z"});
  const nlohmann::json gpio_failed = {{{"name", "gpio.4_5"}, {"pass", false}}, {{"name", "temp"}, {"pass", true}}};
  line.device("A", "fixture 1", "provisioned");
  line.step("A", "ra", "connect", "pass", 1, "2026-12-01T08:00:01.000Z");
  line.step("A", "ra", "factory-test", "pass", 2, "2026-12-01T08:00:02.000Z");
  line.step("A", "ra", "verify-hello", "skipped", 0, "2026-12-01T08:00:03.000Z");
  line.device("B", "fixture 2", "provisioned");
  line.step("B", "ra", "connect", "pass", 1, "2026-12-01T09:00:00.000Z");
  line.step("B", "ra", "factory-test", "fail", 4, "2026-12-01T09:00:01.000Z", gpio_failed);
  line.step("B", "rb", "connect", "pass", 1, "2026-12-02T09:00:00.000Z");
  line.step("B", "rb", "factory-test", "pass", 2, "2026-12-02T09:00:01.000Z");
  line.device("C", "fixture 1", "rejected");
  line.step("C", "ra", "connect", "pass", 1, "2026-12-01T10:00:00.000Z");
  line.step("C", "ra", "factory-test", "fail", 2, "2026-12-01T10:00:01.000Z", gpio_failed);
  line.step("C", "rc", "connect", "pass", 1, "2026-12-01T11:00:00.000Z");
  line.step("C", "rc", "factory-test", "fail", 2, "2026-12-01T11:00:01.000Z", gpio_failed);
  line.db.record_run({"rc", "station-a", "1.0", "p", {}, "2026-12-01T11:00:00.000Z"});
  line.device("D", "fixture 1", "rejected");
  line.step("D", "ra", "connect", "pass", 1, "2026-12-01T12:00:00.000Z");
  line.db.record_step({"D",
                       "ra",
                       "flash",
                       "fail",
                       "2026-12-01T12:00:01.000Z",
                       20,
                       nlohmann::json::array(),
                       "timeout",
                       {{"error", {{"code", "link.timeout"}}}}});
  line.device("E", "fixture 2", "in_progress");
  line.step("E", "rb", "connect", "pass", 1, "2026-12-02T13:00:00.000Z");
}

TEST(ProductionSummary, YieldFirstPassYieldRetestsAndParetoOverAllDevices) {
  Line line;
  fill(line);
  const auto summary = production_summary(line.db, "", SummaryGrouping::None);
  const auto& total = summary["total"];
  EXPECT_EQ(total["devices"], 5);
  EXPECT_EQ(total["finished"], 4);
  EXPECT_EQ(total["provisioned"], 2);
  EXPECT_EQ(total["rejected"], 2);
  EXPECT_EQ(total["in_progress"], 1);
  EXPECT_DOUBLE_EQ(total["yield"].get<double>(), 0.5);              // A, B of A..D
  EXPECT_DOUBLE_EQ(total["first_pass_yield"].get<double>(), 0.25);  // A only
  EXPECT_EQ(total["retests"], 2);                                   // B's and C's second attempts
  ASSERT_EQ(total["rejects"].size(), 2u);
  EXPECT_EQ(total["rejects"][0]["reason"], "factory-test: gpio.4_5");
  EXPECT_EQ(total["rejects"][0]["count"], 3);
  EXPECT_DOUBLE_EQ(total["rejects"][0]["cumulative_percent"].get<double>(), 75.0);
  EXPECT_EQ(total["rejects"][1]["reason"], "flash (link.timeout)");
  EXPECT_DOUBLE_EQ(total["rejects"][1]["cumulative_percent"].get<double>(), 100.0);
  EXPECT_TRUE(summary["groups"].empty());
  // factory-test ran 5 times: 2 (A), 4 and 2 (B), 2 and 2 (C) s; verify-hello was skipped: no time.
  bool saw_test = false;
  for (const auto& step : total["steps"]) {
    EXPECT_NE(step["step"], "verify-hello");
    if (step["step"] != "factory-test") continue;
    saw_test = true;
    EXPECT_EQ(step["count"], 5);
    EXPECT_NEAR(step["mean_s"].get<double>(), 12.0 / 5.0, 1e-9);
    EXPECT_DOUBLE_EQ(step["p95_s"].get<double>(), 4.0);
  }
  EXPECT_TRUE(saw_test);
}

TEST(ProductionSummary, GroupsByStationFixtureDayAndReason) {
  Line line;
  fill(line);
  const auto keys = [&](SummaryGrouping by) {
    std::map<std::string, nlohmann::json> out;
    const auto summary = production_summary(line.db, "", by);
    for (const auto& g : summary["groups"]) out[g["group"].get<std::string>()] = g;
    return out;
  };
  auto stations = keys(SummaryGrouping::Station);
  ASSERT_EQ(stations.size(), 2u);
  EXPECT_EQ(stations["station-a"]["devices"], 3);  // A, C (last run rc), D
  EXPECT_EQ(stations["station-b"]["devices"], 2);  // B (last run rb), E
  EXPECT_DOUBLE_EQ(stations["station-b"]["yield"].get<double>(), 1.0);
  auto fixtures = keys(SummaryGrouping::Fixture);
  EXPECT_EQ(fixtures["fixture 1"]["devices"], 3);
  EXPECT_EQ(fixtures["fixture 2"]["devices"], 2);
  auto days = keys(SummaryGrouping::Day);
  EXPECT_EQ(days["2026-12-01"]["devices"], 3);
  EXPECT_EQ(days["2026-12-02"]["devices"], 2);
  auto reasons = keys(SummaryGrouping::Reason);
  EXPECT_EQ(reasons["factory-test: gpio.4_5"]["devices"], 2);  // B, C
  EXPECT_EQ(reasons["flash (link.timeout)"]["devices"], 1);
  EXPECT_EQ(reasons["(none)"]["devices"], 2);
}

TEST(ProductionSummary, TheCsvIsOneRectangularTable) {
  Line line;
  fill(line);
  const auto csv = production_summary_csv(production_summary(line.db, "", SummaryGrouping::Fixture));
  std::istringstream in(csv);
  std::string record;
  std::size_t records = 0;
  while (std::getline(in, record)) {
    ASSERT_TRUE(record.ends_with('\r')) << "CRLF after every record";
    record.pop_back();
    // No field of this table holds a comma or a quote, so counting commas counts fields.
    EXPECT_EQ(std::count(record.begin(), record.end(), ','), 4) << record;
    ++records;
  }
  EXPECT_GT(records, 20u);
  EXPECT_EQ(csv.substr(0, csv.find('\r')), "group,kind,name,count,value");
  EXPECT_NE(csv.find("all,rate,yield,,0.5000\r\n"), std::string::npos);
  EXPECT_NE(csv.find("fixture 2,count,in_progress,1,\r\n"), std::string::npos);
}

TEST(ProductionSummary, ASummaryOfNoDevicesHasNoRatesRatherThanZero) {
  Line line;
  const auto summary = production_summary(line.db, "", SummaryGrouping::None);
  EXPECT_EQ(summary["total"]["devices"], 0);
  EXPECT_TRUE(summary["total"]["yield"].is_null());
}

TEST(ReportSince, DatesSpansAndWords) {
  // 2026-12-02T15:30:00Z
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1796225400));
  EXPECT_EQ(since_to_iso("2026-11-30", now), "2026-11-30");
  EXPECT_EQ(since_to_iso("2026-11-30T08:15", now), "2026-11-30T08:15");
  EXPECT_EQ(since_to_iso("2026-11-30T08:15:07Z", now), "2026-11-30T08:15:07");
  EXPECT_EQ(since_to_iso("today", now), "2026-12-02");
  EXPECT_EQ(since_to_iso("yesterday", now), "2026-12-01");
  EXPECT_EQ(since_to_iso("7d", now), "2026-11-25T15:30:00.000Z");
  EXPECT_EQ(since_to_iso("12h", now), "2026-12-02T03:30:00.000Z");
}

TEST(ReportSince, AnythingElseIsAnErrorNotAnEmptyReport) {
  const auto now = std::chrono::system_clock::now();
  for (const char* bad : {"", "yesterdy", "7", "d", "7w", "2026-13-01", "2026-12-32", "2026-12-1", "12/02/2026",
                          "2026-12-02T25:00", "-7d"}) {
    try {
      since_to_iso(bad, now);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const BadInputError& e) {
      EXPECT_EQ(e.code(), "report.since");
      EXPECT_NE(std::string(e.hint()).find("yesterday"), std::string::npos);
    }
  }
}

TEST(ReportSince, TheSinceBoundSelectsDevicesUpdatedFromThen) {
  Line line;
  line.device("old", "fixture 1", "provisioned");
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(production_summary(line.db, since_to_iso("today", now), SummaryGrouping::None)["total"]["devices"], 1);
  EXPECT_EQ(production_summary(line.db, since_to_iso("1h", now + std::chrono::hours(2)),
                               SummaryGrouping::None)["total"]["devices"],
            0);
}

TEST(ReportBy, UnknownGroupingIsAnError) {
  EXPECT_EQ(parse_summary_grouping("station"), SummaryGrouping::Station);
  EXPECT_EQ(parse_summary_grouping("day"), SummaryGrouping::Day);
  EXPECT_THROW(parse_summary_grouping("shift"), BadInputError);
}

}  // namespace
}  // namespace espfab::station
