// Outbox claims on a real PostgreSQL 15 (issue 19, point 3): an item one station claimed is not
// another's until the claim lapses or the attempt ends it; any station delivers the line's items;
// stations retrying at once (the Outbox of each, on its own connection) deliver every item once.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "postgres_fixture.hpp"
#include "station/outbox.hpp"
#include "support/station/fake_label_sink.hpp"
#include "support/station/fake_registrar.hpp"
#include "support/temp_dir.hpp"

namespace espfab::station {
namespace {

using std::chrono::seconds;
using test::PostgresFixture;

std::string mac(unsigned i) { return fmt::format("7c:df:a1:02:{:02x}:{:02x}", i / 256, i % 256); }

std::vector<std::int64_t> ids(const std::vector<OutboxItem>& items) {
  std::vector<std::int64_t> out;
  for (const auto& item : items) out.push_back(item.id);
  return out;
}

class PostgresOutboxClaimTest : public PostgresFixture {};

TEST_F(PostgresOutboxClaimTest, AClaimKeepsOthersOffUntilTheAttemptEndsItOrItLapses) {
  const auto target = fresh();
  PostgresStationDb::migrate(target);
  PostgresStationDb a(target);
  PostgresStationDb b(as_station(target, "station-b"));
  PostgresStationDb a_again(target);  // the same station restarted: a new instance
  std::vector<std::int64_t> queued;
  for (unsigned i = 0; i < 3; ++i) queued.push_back(a.enqueue("label", mac(i), {{"serial", fmt::format("S{}", i)}}));

  EXPECT_EQ(ids(a.claim_pending(seconds(2))), queued);
  EXPECT_TRUE(b.claim_pending(seconds(60)).empty());
  EXPECT_TRUE(a_again.claim_pending(seconds(60)).empty()) << "a claim belongs to the instance, not the station id";
  EXPECT_FALSE(b.claim_item(queued[0], seconds(60)));
  EXPECT_EQ(b.pending().size(), 3u) << "claimed items are still pending";

  a.outbox_attempt(queued[0], false, "printer down");  // a failed attempt ends the claim
  EXPECT_TRUE(b.claim_item(queued[0], seconds(60)));
  EXPECT_FALSE(a.claim_item(queued[0], seconds(60)));

  std::this_thread::sleep_for(std::chrono::milliseconds(2300));  // A's other claims lapse
  EXPECT_EQ(ids(b.claim_pending(seconds(60))), queued) << "B's own claim and A's lapsed ones";
  EXPECT_TRUE(a.claim_pending(seconds(60)).empty());
  for (const auto id : queued) b.outbox_attempt(id, true, "");
  EXPECT_TRUE(a.pending().empty());
  EXPECT_TRUE(b.claim_pending(seconds(60)).empty());
  EXPECT_FALSE(b.claim_item(queued[1], seconds(60))) << "a delivered item is never claimed again";
}

TEST_F(PostgresOutboxClaimTest, AnyStationDeliversTheLinesItemsNotOnlyThoseOfItsDevices) {
  const auto target = fresh();
  PostgresStationDb::migrate(target);
  PostgresStationDb a(target);
  PostgresStationDb b(as_station(target, "station-b"));
  a.touch_device(mac(1), "fixture 1");
  const auto id = a.enqueue("label", mac(1), {{"serial", "S1"}});
  EXPECT_EQ(ids(b.pending()), std::vector<std::int64_t>{id});
  EXPECT_EQ(ids(b.claim_pending(seconds(60))), std::vector<std::int64_t>{id}) << "A's device, delivered by B";
}

// Three stations' outboxes retry the same 200 labels at once, each on its own connection and
// printer: every label is printed exactly once, by whichever station claimed it.
TEST_F(PostgresOutboxClaimTest, StationsRetryingAtOnceDeliverEveryItemOnce) {
  const auto target = fresh();
  PostgresStationDb::migrate(target);
  constexpr unsigned kItems = 200;
  {
    PostgresStationDb db(target);
    for (unsigned i = 0; i < kItems; ++i)
      db.enqueue("label", mac(i), {{"serial", fmt::format("ACT1-{:07}", i)}, {"date", "2026-12-02"}});
  }
  struct Station {
    explicit Station(const PostgresTarget& t, const std::filesystem::path& records)
        : db(t), outbox(db, registrar, labels, records, seconds(30)) {}
    PostgresStationDb db;
    test::FakeRegistrar registrar;
    test::FakeLabelSink labels;
    Outbox outbox;
  };
  test::TempDir dir;
  std::vector<std::unique_ptr<Station>> stations;
  for (const char* id : {"station-a", "station-b", "station-c"})
    stations.push_back(std::make_unique<Station>(as_station(target, id), dir / id));
  std::vector<std::thread> threads;
  for (auto& station : stations) {
    threads.emplace_back([&station] {
      for (int round = 0; round < 100 && station->outbox.retry_pending() > 0; ++round) {
      }
    });
  }
  for (auto& t : threads) t.join();
  std::map<std::string, int> printed;
  for (const auto& station : stations)
    for (const auto& label : station->labels.printed()) ++printed[label.serial];
  EXPECT_EQ(printed.size(), kItems);
  for (const auto& [serial, times] : printed) EXPECT_EQ(times, 1) << serial << " printed " << times << " times";
  EXPECT_TRUE(stations[0]->db.pending().empty());
}

// A station's step delivering its device's label finds another station's live claim on it: the
// item stays queued for that station instead of being printed twice.
TEST_F(PostgresOutboxClaimTest, AStepDoesNotDeliverAnItemAnotherStationIsDelivering) {
  const auto target = fresh();
  PostgresStationDb::migrate(target);
  PostgresStationDb a(target);
  PostgresStationDb b(as_station(target, "station-b"));
  test::FakeRegistrar registrar;
  test::FakeLabelSink labels;
  test::TempDir dir;
  Outbox outbox_a(a, registrar, labels, dir / "records", seconds(30));
  const nlohmann::json payload = {{"serial", "ACT1-0000001"}, {"date", "2026-12-02"}};
  const auto id = b.enqueue("label", mac(1), payload);
  ASSERT_TRUE(b.claim_item(id, seconds(30)));
  const auto details = outbox_a.deliver("label", mac(1), payload);
  EXPECT_EQ(details["queued"], true) << details.dump();
  EXPECT_EQ(details["last_error"], "being delivered by another station");
  EXPECT_EQ(labels.print_calls(), 0u);
  b.outbox_attempt(id, false, "printer jam");
  const auto again = outbox_a.deliver("label", mac(1), payload);
  EXPECT_FALSE(again.contains("queued")) << again.dump();
  EXPECT_EQ(labels.printed().size(), 1u);
  EXPECT_TRUE(b.pending().empty());
}

}  // namespace
}  // namespace espfab::station
