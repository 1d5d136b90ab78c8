// PostgresStationDb on a real PostgreSQL 15: migrations and schema versions, the StationDb
// semantics the SQLite DB has, and serials that never collide between stations allocating at once.
#include "station/postgres_station_db.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "support/loopback.hpp"
#include "support/postgres_server.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

using test::free_loopback_port;

test::CommandResult pg(const std::string& program, std::vector<std::string> args) {
  return test::run_postgres_program(program, std::move(args));
}

// One server per test suite (tests/support/postgres_server.hpp), a fresh database per test.
class PostgresServer {
 public:
  PostgresTarget database(const std::string& name, const std::string& station = "station-a") {
    return {server_.create_database(name), "", station};
  }

 private:
  test::PostgresServer server_;
};

class PostgresStationDbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::postgres_available()) return;
    server_ = new PostgresServer();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (server_ == nullptr)
      GTEST_SKIP() << "PostgreSQL 15 is not installed (" << test::kPostgresBin << "): apt-get install postgresql-15";
  }
  static PostgresTarget fresh(const std::string& station = "station-a") {
    static int n = 0;
    return server_->database(fmt::format("t{}", ++n), station);
  }
  static PostgresServer* server_;
};
PostgresServer* PostgresStationDbTest::server_ = nullptr;

std::string mac(unsigned i) { return fmt::format("7c:df:a1:00:{:02x}:{:02x}", i / 256, i % 256); }

TEST_F(PostgresStationDbTest, AStationRefusesAnUnmigratedDbAndMigrateBringsItToTheLatestVersion) {
  const auto target = fresh();
  try {
    PostgresStationDb db(target);
    FAIL() << "an unmigrated DB was opened for a station";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.code(), "station.db_schema_old");
    EXPECT_NE(std::string(e.hint()).find("espfab db migrate"), std::string::npos);
  }
  const auto first = PostgresStationDb::migrate(target);
  EXPECT_EQ(first.from, 0);
  EXPECT_EQ(first.to, kStationDbSchemaVersion);
  const auto again = PostgresStationDb::migrate(target);
  EXPECT_EQ(again.from, kStationDbSchemaVersion);
  PostgresStationDb db(target);
  EXPECT_EQ(db.schema_version(), kStationDbSchemaVersion);
}

TEST_F(PostgresStationDbTest, ANewerSchemaIsRefusedByStationsReportsAndMigrate) {
  const auto target = fresh();
  PostgresStationDb::migrate(target);
  const auto bump = pg("psql", {target.url, "-c", "UPDATE espfab_schema SET version = 99"});
  ASSERT_EQ(bump.exit_code, 0) << bump.err;
  for (const auto access : {DbAccess::ReadWrite, DbAccess::ReadOnly}) {
    try {
      PostgresStationDb db(target, access);
      ADD_FAILURE() << "a newer schema was opened";
    } catch (const DatabaseError& e) {
      EXPECT_EQ(e.code(), "station.db_schema_newer");
    }
  }
  EXPECT_THROW(PostgresStationDb::migrate(target), DatabaseError);
}

// Version 3 (serial leases, outbox claims) on a line DB of version 2 that has rows: refused by a
// station until `db migrate`, which keeps the rows.
TEST_F(PostgresStationDbTest, AVersionTwoDbIsMigratedToThreeWithItsRows) {
  const auto target = fresh();
  PostgresStationDb::migrate(target);
  {
    PostgresStationDb db(target);
    db.touch_device(mac(1), "fixture 1");
    db.enqueue("label", mac(1), {{"serial", "S1"}});
  }
  const auto downgrade =
      pg("psql", {target.url, "-c",
                  "DROP TABLE serial_leases; ALTER TABLE outbox DROP COLUMN claimed_by, DROP COLUMN claimed_until; "
                  "UPDATE espfab_schema SET version = 2"});
  ASSERT_EQ(downgrade.exit_code, 0) << downgrade.err;
  EXPECT_THROW(PostgresStationDb db(target), DatabaseError);
  const auto migration = PostgresStationDb::migrate(target);
  EXPECT_EQ(migration.from, 2);
  EXPECT_EQ(migration.to, 3);
  PostgresStationDb db(target);
  EXPECT_EQ(db.claim_pending(std::chrono::seconds(5)).size(), 1u);
  EXPECT_EQ(db.lease_serials({"ACT1-", 7, 1000}, 2), (std::vector<std::uint64_t>{1000, 1001}));
}

TEST_F(PostgresStationDbTest, DevicesSerialsStepsCertificatesOutboxAndRunsBehaveAsInSqlite) {
  const auto target = fresh();
  PostgresStationDb::migrate(target);
  PostgresStationDb db(target);
  const SerialScheme scheme{"ACT1-", 7, 1000};
  db.touch_device(mac(1), "fixture 1");
  db.touch_device(mac(2), "fixture 2");
  EXPECT_EQ(db.allocate_serial(mac(1), scheme), "ACT1-0001000");
  EXPECT_EQ(db.allocate_serial(mac(2), scheme), "ACT1-0001001");
  EXPECT_EQ(db.allocate_serial(mac(1), scheme), "ACT1-0001000") << "idempotent per MAC";
  EXPECT_EQ(db.find_device("ACT1-0001001")->mac, mac(2));
  EXPECT_EQ(db.last_on_fixture("fixture 2")->mac, mac(2));
  db.set_status(mac(1), "rejected", "hardware-test: gpio");
  EXPECT_EQ(db.find_device(mac(1))->status, "rejected");
  EXPECT_EQ(db.devices().size(), 2u);
  EXPECT_TRUE(db.devices("2999-01-01").empty());

  db.record_step({mac(1), "r1", "flash", "pass", "2026-12-02T08:00:00.000Z", 1.5, {{{"name", "m"}}}, "", {{"k", 1}}});
  EXPECT_TRUE(db.step_done(mac(1), "flash"));
  db.record_step({mac(1), "r1", "flash", "fail", "2026-12-02T08:00:02.000Z", 0.25, nlohmann::json::array(), "x", {}});
  EXPECT_FALSE(db.step_done(mac(1), "flash")) << "the newest result decides";
  const auto steps = db.steps(mac(1));
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_DOUBLE_EQ(steps[0].seconds, 1.5);
  EXPECT_EQ(steps[0].measurements[0]["name"], "m");

  db.store_certificate({mac(2), "ACT1-0001001", "0a", "aa", "PEM", "2026-12-02"});
  EXPECT_EQ(db.certificate(mac(2))->sha256, "aa");
  EXPECT_EQ(db.revoke_certificate(mac(2), "rework")->certificate_serial, "0a");
  EXPECT_FALSE(db.certificate(mac(2)));
  EXPECT_EQ(db.revocations(mac(2)).at(0).reason, "rework");
  EXPECT_EQ(db.all_certificates().size(), 1u);

  db.store_efuse_snapshot(mac(1), "final", {{"a", 1}});
  EXPECT_EQ((*db.efuse_snapshot(mac(1), "final"))["a"], 1);

  const auto id = db.enqueue("register", mac(2), {{"serial", "ACT1-0001001"}});
  EXPECT_EQ(db.enqueue("register", mac(2), {}), id) << "one item per kind and device";
  EXPECT_EQ(db.pending("register").size(), 1u);
  db.outbox_attempt(id, false, "broker down");
  EXPECT_EQ(db.outbox(mac(2)).at(0).attempts, 1u);
  db.outbox_attempt(id, true, "");
  EXPECT_TRUE(db.pending().empty());

  db.record_run({"r1", "station-a", "1.0", "p", {{"bootloader", "00"}}, "2026-12-02"});
  EXPECT_EQ(db.run("r1")->images["bootloader"], "00");
  EXPECT_FALSE(db.run("r2"));
}

// The first finding: two stations must never issue the same serial. Two stations (one
// connection each) and four workers each allocate at once, on one server.
TEST_F(PostgresStationDbTest, TwoStationsAllocatingAtOnceNeverShareASerialAndSeeEachOthersDevices) {
  const auto a = fresh("station-a");
  PostgresStationDb::migrate(a);
  auto b = a;
  b.station_id = "station-b";
  PostgresStationDb station_a(a);
  PostgresStationDb station_b(b);
  const SerialScheme scheme{"ACT1-", 7, 1000};
  constexpr unsigned kPerWorker = 25;
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::vector<std::string> serials;
  for (unsigned w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      auto& db = w % 2 == 0 ? station_a : station_b;
      for (unsigned i = 0; i < kPerWorker; ++i) {
        const auto m = mac(w * 100 + i);
        db.touch_device(m, fmt::format("fixture {}", w));
        const auto serial = db.allocate_serial(m, scheme);
        std::lock_guard lock(mutex);
        serials.push_back(serial);
      }
    });
  }
  for (auto& t : workers) t.join();
  const std::set<std::string> unique(serials.begin(), serials.end());
  EXPECT_EQ(unique.size(), 4 * kPerWorker);
  EXPECT_EQ(*unique.begin(), "ACT1-0001000");
  EXPECT_EQ(*unique.rbegin(), fmt::format("ACT1-{:07}", 1000 + 4 * kPerWorker - 1)) << "no gaps either";
  // A MAC provisioned at one station is known at the other, with the same serial.
  const auto seen = station_b.find_device(mac(0));
  ASSERT_TRUE(seen);
  EXPECT_EQ(station_b.allocate_serial(mac(0), scheme), station_a.find_device(mac(0))->serial);
  // Fixtures are each station's own.
  EXPECT_EQ(station_a.last_on_fixture("fixture 0")->mac, mac(kPerWorker - 1));
  EXPECT_FALSE(station_b.last_on_fixture("fixture 0"));
}

TEST_F(PostgresStationDbTest, AnUnreachableServerIsADatabaseErrorWithoutThePassword) {
  PostgresTarget target{fmt::format("postgresql://espfab@127.0.0.1:{}/x?connect_timeout=2", free_loopback_port()),
                        "s3cret-pw", "s"};
  try {
    PostgresStationDb db(target);
    FAIL() << "connected to nothing";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.code(), "station.db_open");
    EXPECT_EQ(std::string(e.what()).find("s3cret-pw"), std::string::npos);
    EXPECT_EQ(e.describe().find("s3cret-pw"), std::string::npos);
  }
}

}  // namespace
}  // namespace espfab::station
