// Write-ahead audit and completeness (issue 16): intents without a completion are open; a burn or
// a certificate the DB or the CA index knows of without its audit line fails verification.
#include "station/audit_completeness.hpp"

#include <gtest/gtest.h>

#include "station/sqlite_station_db.hpp"
#include "support/temp_dir.hpp"

namespace espfab::station {
namespace {

constexpr const char* kMac = "7c:df:a1:00:00:09";

struct Fixture {
  test::TempDir dir;
  AuditLog audit{dir / "audit.jsonl", "s1"};
  SqliteStationDb db{dir / "station.db"};
  std::vector<nlohmann::json> entries() const { return read_audit_entries(dir / "audit.jsonl"); }
  AuditVerification verify(const std::optional<std::vector<pki::IndexEntry>>& index = std::nullopt) {
    AuditVerification result = verify_audit_log(dir / "audit.jsonl");
    check_audit_completeness(entries(), db, index, result);
    return result;
  }
  void burned_step(unsigned block) {
    db.touch_device(kMac, "fixture 1");
    db.record_step({kMac,
                    "run",
                    "burn-efuses",
                    "pass",
                    "t",
                    0.1,
                    nlohmann::json::array(),
                    "",
                    {{"blocks", {{{"batch", "fe"}, {"block", block}, {"outcome", "burned"}}}}}});
  }
};

TEST(AuditCompleteness, AnIntentIsOpenUntilALineNamesIt) {
  Fixture f;
  const auto intent = f.audit.append({"efuse.burn.begin", kMac, "S1", {{"block", 4}}});
  f.audit.append({"efuse.burn.begin", "other", "S2", {{"block", 4}}});
  ASSERT_EQ(open_intents(f.entries(), kMac).size(), 1u);
  EXPECT_EQ(open_intents(f.entries()).size(), 2u);
  f.audit.append({"efuse.burned", kMac, "S1", {{"block", 4}, {"intent", intent}}});
  EXPECT_TRUE(open_intents(f.entries(), kMac).empty());
}

TEST(AuditCompleteness, ABurnTheDbRecordsNeedsItsLine) {
  Fixture f;
  f.burned_step(4);
  auto result = f.verify();
  EXPECT_FALSE(result.ok);
  ASSERT_EQ(result.missing.size(), 1u);
  EXPECT_NE(result.missing[0].find("block 4"), std::string::npos);

  Fixture g;
  g.burned_step(4);
  const auto intent = g.audit.append({"efuse.burn.begin", kMac, "S1", {{"block", 4}}});
  g.audit.append({"efuse.burn.reconciled", kMac, "S1", {{"block", 4}, {"intent", intent}, {"found", "burned"}}});
  EXPECT_TRUE(g.verify().ok) << "a reconciled burn counts";
}

TEST(AuditCompleteness, ACertificateInTheDbOrTheCaIndexNeedsItsIssueLine) {
  Fixture f;
  f.db.touch_device(kMac, "fixture 1");
  f.db.allocate_serial(kMac, {"S-", 4, 1});
  f.db.store_certificate({kMac, "S-0001", "0a", "aa11", "pem", "t"});
  auto result = f.verify();
  EXPECT_FALSE(result.ok);
  f.audit.append({"identity.issued", kMac, "S-0001", {{"certificate_sha256", "aa11"}}});
  EXPECT_TRUE(f.verify().ok);
  // The CA signed another one for this serial that nobody recorded.
  const std::vector<pki::IndexEntry> index{{"09", "x", "CN=S-0001,O=Acme", "9911"},  // before this station
                                           {"0a", "x", "CN=S-0001,O=Acme", "aa11"},
                                           {"0b", "x", "CN=S-0001,O=Acme", "bb22"},
                                           {"0c", "x", "CN=ELSEWHERE-1", "cc33"}};
  result = f.verify(index);
  EXPECT_FALSE(result.ok);
  ASSERT_EQ(result.missing.size(), 1u);
  EXPECT_NE(result.missing[0].find("0b"), std::string::npos);
}

TEST(AuditCompleteness, AnOpenIntentOfAFinishedDeviceFails) {
  Fixture f;
  f.db.touch_device(kMac, "fixture 1");
  f.audit.append({"identity.sign.begin", kMac, "", {}});
  auto result = f.verify();
  EXPECT_TRUE(result.ok) << "in progress: it will be reconciled";
  EXPECT_EQ(result.open_intents.size(), 1u);
  f.db.set_status(kMac, "provisioned", "");
  result = f.verify();
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.missing.at(0).find("although the device is provisioned"), std::string::npos);
}

}  // namespace
}  // namespace espfab::station
