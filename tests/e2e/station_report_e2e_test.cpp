// Issue 19, point 4, end to end: after the demo line (five provisioned, the stuck-GPIO board
// rejected before it got a serial), `espfab report` gives an RFC 4180 CSV whose every record has
// the header's fields, `--since` takes dates, words and spans or fails loudly, `--summary` gives
// the yield and the reject Pareto, records carry the image, profile and code hashes, and all of it
// works on an archived copy of the data dir without the profile's images and keys.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

using nlohmann::json;

// RFC 4180: records end in CRLF; a quoted field may hold commas, quotes (doubled) and line breaks.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      record.push_back(field);
      field.clear();
      records.push_back(record);
      record.clear();
      ++i;
    } else {
      EXPECT_NE(c, '\n') << "a bare LF outside quotes";
      field += c;
    }
  }
  EXPECT_TRUE(record.empty() && field.empty()) << "the last record has no CRLF";
  return records;
}

class StationReportE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir_->path().string(), "--json",
                                  "--emulator", (build_dir() / "apps" / "espfab-emu" / "espfab-emu").string()});
    ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::filesystem::path profile() { return *dir_ / "station.toml"; }
  static TempDir* dir_;
};
TempDir* StationReportE2e::dir_ = nullptr;

TEST_F(StationReportE2e, TheDeviceCsvIsRectangularEvenForADeviceWithoutASerial) {
  const auto result = run_espfab({"report", "--profile", profile().string(), "--csv"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto records = parse_csv(result.out);
  ASSERT_EQ(records.size(), 7u);  // the header and six devices
  EXPECT_EQ(records[0].front(), "serial");
  bool saw_no_serial = false;
  for (const auto& record : records) {
    ASSERT_EQ(record.size(), records[0].size()) << fmt::format("{}", fmt::join(record, "|"));
    if (record[0].empty() && record[1] == "7c:df:a1:00:00:01") {
      saw_no_serial = true;
      EXPECT_EQ(record[2], "rejected");
    }
  }
  EXPECT_TRUE(saw_no_serial) << "the stuck-GPIO board has no serial: the case the old CSV got wrong";
}

TEST_F(StationReportE2e, SinceTakesWordsAndSpansAndRefusesWhatItCannotRead) {
  for (const char* since : {"yesterday", "today", "7d", "1h"}) {
    const auto result = run_espfab({"report", "--profile", profile().string(), "--since", since, "--json"});
    ASSERT_EQ(result.exit_code, 0) << since << result.err;
    EXPECT_EQ(json::parse(result.out).size(), 6u) << since;
  }
  const auto future = run_espfab({"report", "--profile", profile().string(), "--since", "2999-01-01", "--json"});
  ASSERT_EQ(future.exit_code, 0) << future.err;
  EXPECT_TRUE(json::parse(future.out).empty());
  const auto bad = run_espfab({"report", "--profile", profile().string(), "--since", "yesterdy", "--json"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_EQ(json::parse(bad.out)["error"]["code"], "report.since");
}

TEST_F(StationReportE2e, TheSummaryGivesYieldAndTheRejectPareto) {
  const auto result = run_espfab({"report", "--profile", profile().string(), "--summary", "--since", "7d", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto total = json::parse(result.out)["total"];
  EXPECT_EQ(total["devices"], 6);
  EXPECT_EQ(total["provisioned"], 5);
  EXPECT_EQ(total["rejected"], 1);
  EXPECT_NEAR(total["yield"].get<double>(), 5.0 / 6.0, 1e-9);
  EXPECT_NEAR(total["first_pass_yield"].get<double>(), 5.0 / 6.0, 1e-9);
  EXPECT_EQ(total["retests"], 0);
  ASSERT_EQ(total["rejects"].size(), 1u);
  EXPECT_EQ(total["rejects"][0]["reason"], "hardware-test: gpio.4_5");
  bool flash_timed = false;
  for (const auto& step : total["steps"]) {
    EXPECT_GE(step["p95_s"].get<double>(), step["mean_s"].get<double>() * 0.5);
    flash_timed = flash_timed || (step["step"] == "flash-production" && step["count"] == 5);
  }
  EXPECT_TRUE(flash_timed) << total["steps"].dump();

  const auto csv = run_espfab({"report", "--profile", profile().string(), "--summary", "--by", "fixture", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto records = parse_csv(csv.out);
  ASSERT_GT(records.size(), 10u);
  for (const auto& record : records) EXPECT_EQ(record.size(), 5u);

  const auto by_without_summary = run_espfab({"report", "--profile", profile().string(), "--by", "day"});
  EXPECT_EQ(by_without_summary.exit_code, 2);
}

TEST_F(StationReportE2e, RecordsCarryImageProfileStationAndCodeHashes) {
  const auto list = json::parse(run_espfab({"report", "--profile", profile().string(), "--json"}).out);
  const std::regex sha256("[0-9a-f]{64}");
  for (const auto& row : list) {
    const auto record = json::parse(
        run_espfab({"report", "--profile", profile().string(), "--device", row["mac"].get<std::string>()}).out);
    EXPECT_EQ(record["station"]["id"], "demo-station");
    EXPECT_FALSE(record["station"]["code_version"].get<std::string>().empty());
    EXPECT_TRUE(std::regex_match(record["station"]["profile_sha256"].get<std::string>(), sha256));
    for (const char* image : {"bootloader", "partition_table", "factory_test_app", "production_app"}) {
      ASSERT_TRUE(record["images"].contains(image)) << image;
      EXPECT_TRUE(std::regex_match(record["images"][image].get<std::string>(), sha256)) << image;
    }
    ASSERT_EQ(record["attempts"].size(), 1u);
    EXPECT_EQ(record["attempts"][0]["result"], row["status"]);
    for (const auto& step : record["steps"]) {
      // A step that checked nothing says so.
      if (step["details"].contains("note") && step["name"] == "verify-hello") {
        EXPECT_EQ(step["outcome"], "skipped");
      }
    }
  }
}

TEST_F(StationReportE2e, ReportAndAuditWorkOnAnArchiveWithoutImagesAndKeys) {
  TempDir archive;
  std::filesystem::copy_file(profile(), archive / "station.toml");
  const auto text = read_text_file(profile());
  std::smatch data_dir;
  ASSERT_TRUE(std::regex_search(text, data_dir, std::regex("data_dir = \"([^\"]+)\"")));
  std::filesystem::copy(*dir_ / data_dir[1].str(), archive / data_dir[1].str(),
                        std::filesystem::copy_options::recursive);
  // No images, no CA, no Secure Boot key beside it: the station could not run from here.
  const auto run = run_espfab({"check", "--profile", (archive / "station.toml").string()});
  EXPECT_NE(run.exit_code, 0);
  const auto summary = run_espfab({"report", "--profile", (archive / "station.toml").string(), "--summary", "--json"});
  ASSERT_EQ(summary.exit_code, 0) << summary.out << summary.err;
  EXPECT_EQ(json::parse(summary.out)["total"]["provisioned"], 5);
  const auto audit = run_espfab({"audit", "verify", "--profile", (archive / "station.toml").string(), "--json"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  EXPECT_EQ(json::parse(audit.out)["ok"], true);
}

}  // namespace
}  // namespace espfab::test
