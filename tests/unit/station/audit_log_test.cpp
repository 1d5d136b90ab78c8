#include "station/audit_log.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.hpp"
#include "util/file_io.hpp"

namespace espfab::station {
namespace {

std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_lines(const std::filesystem::path& file, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  write_text_file_atomic(file, text);
}

void fill(AuditLog& log, unsigned n) {
  for (unsigned i = 0; i < n; ++i) {
    log.append({"efuse.burned", fmt::format("7c:df:a1:00:00:{:02x}", i), fmt::format("ESP-{:06}", i), {{"block", i}}});
  }
}

TEST(AuditLog, AChainOfEntriesVerifies) {
  test::TempDir dir;
  AuditLog log(dir / "audit.jsonl", "station-7");
  fill(log, 5);
  const auto result = verify_audit_log(dir / "audit.jsonl");
  EXPECT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(result.entries, 5u);
  const auto first = nlohmann::json::parse(lines_of(dir / "audit.jsonl")[0]);
  EXPECT_EQ(first["prev"], kAuditGenesis);
  EXPECT_EQ(first["station"], "station-7");
  EXPECT_EQ(first["seq"], 1);
}

TEST(AuditLog, AnEditedLineBreaksTheChainThere) {
  test::TempDir dir;
  AuditLog log(dir / "audit.jsonl", "s");
  fill(log, 4);
  auto lines = lines_of(dir / "audit.jsonl");
  auto entry = nlohmann::json::parse(lines[2]);
  entry["details"]["block"] = 9;
  lines[2] = entry.dump();
  write_lines(dir / "audit.jsonl", lines);
  const auto result = verify_audit_log(dir / "audit.jsonl");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_line, 3u);
  EXPECT_EQ(result.entries, 2u);
}

TEST(AuditLog, ARemovedOrReorderedLineBreaksTheChain) {
  test::TempDir dir;
  AuditLog log(dir / "audit.jsonl", "s");
  fill(log, 4);
  auto lines = lines_of(dir / "audit.jsonl");
  auto removed = lines;
  removed.erase(removed.begin() + 1);
  write_lines(dir / "audit.jsonl", removed);
  EXPECT_EQ(verify_audit_log(dir / "audit.jsonl").first_bad_line, 2u);
  auto swapped = lines;
  std::swap(swapped[1], swapped[2]);
  write_lines(dir / "audit.jsonl", swapped);
  EXPECT_EQ(verify_audit_log(dir / "audit.jsonl").first_bad_line, 2u);
  auto truncated = lines;
  truncated.erase(truncated.begin());
  write_lines(dir / "audit.jsonl", truncated);
  EXPECT_FALSE(verify_audit_log(dir / "audit.jsonl").ok) << "the first line must start from the genesis hash";
}

TEST(AuditLog, ATornLastLineIsCutAndTheCutRecorded) {
  test::TempDir dir;
  {
    AuditLog log(dir / "audit.jsonl", "s");
    fill(log, 2);
  }
  {
    std::ofstream out(dir / "audit.jsonl", std::ios::app);
    out << R"({"seq":3,"action":"efuse.bur)";  // the station died mid-write
  }
  AuditLog log(dir / "audit.jsonl", "s");
  fill(log, 1);
  const auto lines = lines_of(dir / "audit.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["action"], "audit.torn_line_cut");
  const auto result = verify_audit_log(dir / "audit.jsonl");
  EXPECT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(result.entries, 4u);
}

TEST(AuditLog, AppendingFindsTheChainAcrossLongLinesAndATornTailLongerThanOneReadStep) {
  test::TempDir dir;
  const std::string big(9000, 'z');  // entries longer than the 4 KiB backwards read step
  {
    AuditLog log(dir / "audit.jsonl", "s");
    log.append({"identity.issued", "7c:df:a1:00:00:01", "ESP-000001", {{"note", big}}});
    log.append({"identity.issued", "7c:df:a1:00:00:02", "ESP-000002", {{"note", big}}});
  }
  {
    std::ofstream out(dir / "audit.jsonl", std::ios::app);
    out << R"({"seq":3,"note":")" << big;  // a torn line longer than one step
  }
  AuditLog log(dir / "audit.jsonl", "s");
  fill(log, 1);
  const auto lines = lines_of(dir / "audit.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["action"], "audit.torn_line_cut");
  EXPECT_EQ(nlohmann::json::parse(lines[3])["seq"], 4);
  const auto result = verify_audit_log(dir / "audit.jsonl");
  EXPECT_TRUE(result.ok) << result.problem;
}

TEST(AuditLog, AnEmptyLastLineIsNotTakenForAnEmptyLog) {
  test::TempDir dir;
  {
    AuditLog log(dir / "audit.jsonl", "s");
    fill(log, 1);
  }
  {
    std::ofstream out(dir / "audit.jsonl", std::ios::app);
    out << "\n";
  }
  AuditLog log(dir / "audit.jsonl", "s");
  // Restarting the chain at the genesis would hide the damage; the station refuses instead.
  EXPECT_THROW(fill(log, 1), IoError);
  EXPECT_EQ(lines_of(dir / "audit.jsonl").size(), 2u);
}

TEST(AuditLog, VerifyingAMissingLogSaysSo) {
  test::TempDir dir;
  const auto result = verify_audit_log(dir / "audit.jsonl");
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.problem.find("no such file"), std::string::npos) << result.problem;
}

}  // namespace
}  // namespace espfab::station
