#include "station/sqlite_station_db.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <set>
#include <thread>

#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

std::string mac(unsigned i) { return fmt::format("7c:df:a1:00:{:02x}:{:02x}", i / 256, i % 256); }

TEST(StationDb, SerialsAreUniqueAndTheSameMacKeepsItsSerial) {
  test::TempDir dir;
  SqliteStationDb db(dir / "station.db");
  SerialScheme scheme{"ESP-", 6, 100};
  db.touch_device(mac(1), "fixture 1");
  db.touch_device(mac(2), "fixture 2");
  EXPECT_EQ(db.allocate_serial(mac(1), scheme), "ESP-000100");
  EXPECT_EQ(db.allocate_serial(mac(2), scheme), "ESP-000101");
  EXPECT_EQ(db.allocate_serial(mac(1), scheme), "ESP-000100") << "idempotent per MAC";
  EXPECT_EQ(db.find_device("ESP-000101")->mac, mac(2));
}

TEST(StationDb, SerialsSurviveReopeningAndConcurrentWorkers) {
  test::TempDir dir;
  SerialScheme scheme;
  {
    SqliteStationDb db(dir / "station.db");
    db.touch_device(mac(0), "fixture 1");
    EXPECT_EQ(db.allocate_serial(mac(0), scheme), "ESP-000001");
  }
  SqliteStationDb db(dir / "station.db");
  std::vector<std::jthread> workers;
  std::mutex mutex;
  std::set<std::string> serials;
  for (unsigned w = 0; w < 8; ++w) {
    workers.emplace_back([&, w] {
      for (unsigned i = 1; i <= 25; ++i) {
        const auto m = mac(w * 100 + i);
        db.touch_device(m, fmt::format("fixture {}", w));
        const auto first = db.allocate_serial(m, scheme);
        const auto again = db.allocate_serial(m, scheme);
        std::lock_guard lock(mutex);
        EXPECT_EQ(first, again);
        EXPECT_TRUE(serials.insert(first).second) << "duplicate " << first;
      }
    });
  }
  workers.clear();
  EXPECT_EQ(serials.size(), 200u);
  EXPECT_EQ(serials.count("ESP-000001"), 0u) << "numbers never reused";
  EXPECT_EQ(*serials.begin(), "ESP-000002");
  EXPECT_EQ(*serials.rbegin(), "ESP-000201");
}

TEST(StationDb, NewestResultOfAStepDecidesWhetherItIsDone) {
  test::TempDir dir;
  SqliteStationDb db(dir / "station.db");
  db.touch_device(mac(1), "fixture 1");
  EXPECT_FALSE(db.step_done(mac(1), "flash-factory"));
  StepRow row{mac(1),         "run-1", "flash-factory", "fail", utc_now_iso(), 1.5, nlohmann::json::array(),
              "link dropped", {}};
  db.record_step(row);
  EXPECT_FALSE(db.step_done(mac(1), "flash-factory"));
  row.outcome = "pass";
  row.error.clear();
  row.measurements = nlohmann::json::array({{{"name", "x"}, {"pass", true}}});
  db.record_step(row);
  EXPECT_TRUE(db.step_done(mac(1), "flash-factory"));
  EXPECT_FALSE(db.step_done(mac(2), "flash-factory"));
  const auto steps = db.steps(mac(1));
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].error, "link dropped");
  EXPECT_EQ(steps[1].measurements[0]["name"], "x");
}

TEST(StationDb, OutboxKeepsOneItemPerKindAndDeviceUntilDone) {
  test::TempDir dir;
  SqliteStationDb db(dir / "station.db");
  const auto id = db.enqueue("register", mac(1), {{"serial", "ESP-000001"}});
  EXPECT_EQ(db.enqueue("register", mac(1), {{"serial", "ESP-000001"}}), id) << "idempotent";
  db.enqueue("label", mac(1), {});
  db.outbox_attempt(id, false, "broker down");
  auto pending = db.pending("register");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].attempts, 1u);
  EXPECT_EQ(pending[0].last_error, "broker down");
  db.outbox_attempt(id, true, "");
  EXPECT_TRUE(db.pending("register").empty());
  EXPECT_EQ(db.pending().size(), 1u);
}

TEST(StationDb, CertificateAndSnapshotsRoundTrip) {
  test::TempDir dir;
  SqliteStationDb db(dir / "station.db");
  db.store_certificate({mac(1), "ESP-000001", "1001", "ab", "PEM", utc_now_iso()});
  db.store_certificate({mac(1), "ESP-000001", "1002", "cd", "PEM2", utc_now_iso()});
  EXPECT_EQ(db.certificate(mac(1))->certificate_serial, "1002") << "a re-issue replaces the row";
  EXPECT_FALSE(db.certificate(mac(2)));
  db.store_efuse_snapshot(mac(1), "final", {{"x", 1}});
  EXPECT_EQ((*db.efuse_snapshot(mac(1), "final"))["x"], 1);
  EXPECT_FALSE(db.efuse_snapshot(mac(1), "connect"));
}

// What a read-only open finds in `file`, run in a child process that (when this test runs as root,
// for whom permissions do not count) gives up root first: 0 when it reads both devices.
// A fork, not util's Subprocess: the child runs this library code (SqliteStationDb) after giving up
// root, which no binary of ours does on its own.
int read_only_child(const std::filesystem::path& file) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(10);
    try {
      SqliteStationDb writable(file);  // what `espfab report` did: refused on a read-only copy
      std::fprintf(stderr, "a read-write open of a read-only DB succeeded\n");
      ::_exit(11);
    } catch (const Error&) {
    }
    try {
      const auto db = open_station_db(file, DbAccess::ReadOnly);
      ::_exit(db->devices().size() == 2 && db->find_device(mac(2)) ? 0 : 12);
    } catch (const Error& e) {
      std::fprintf(stderr, "%s\n", e.what());
      ::_exit(13);
    }
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST(StationDb, ReadOnlyOpenReadsAChmodedCopy) {
  test::TempDir dir;
  {
    SqliteStationDb db(dir / "station.db");
    db.touch_device(mac(1), "fixture 1");
    db.touch_device(mac(2), "fixture 2");
  }
  const auto archive = dir / "archive";
  std::filesystem::create_directory(archive);
  std::filesystem::copy_file(dir / "station.db", archive / "station.db");
  ::chmod(dir.path().c_str(), 0755);
  ::chmod((archive / "station.db").c_str(), 0444);
  ::chmod(archive.c_str(), 0555);
  EXPECT_EQ(read_only_child(archive / "station.db"), 0);
  EXPECT_EQ(std::filesystem::directory_iterator(archive)->path().filename(), "station.db");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(archive), std::filesystem::directory_iterator()), 1)
      << "a read-only open leaves nothing behind";
  ::chmod(archive.c_str(), 0755);
}

TEST(StationDb, ReadOnlyOpenSeesWhatARunningStationWrote) {
  test::TempDir dir;
  SqliteStationDb station(dir / "station.db");
  station.touch_device(mac(1), "fixture 1");
  const auto report = open_station_db(dir / "station.db", DbAccess::ReadOnly);
  EXPECT_TRUE(report->find_device(mac(1)));
  station.touch_device(mac(2), "fixture 2");
  EXPECT_EQ(report->devices().size(), 2u);
  EXPECT_THROW(report->touch_device(mac(3), "fixture 3"), DatabaseError);
}

TEST(StationDb, ReadOnlyOpenOfAMissingFileCreatesNothing) {
  test::TempDir dir;
  EXPECT_THROW(open_station_db(dir / "data" / "station.db", DbAccess::ReadOnly), DatabaseError);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(StationDb, AnUnwritablePathIsADatabaseError) {
  try {
    SqliteStationDb db("/proc/espfab-no-such-dir/station.db");
    FAIL() << "opened";
  } catch (const Error& error) {
    EXPECT_TRUE(error.kind() == ErrorKind::Database || error.kind() == ErrorKind::Io) << error.what();
  } catch (const std::filesystem::filesystem_error&) {
  }
}

}  // namespace
}  // namespace espfab::station

namespace espfab::station {
namespace {

int user_version(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  sqlite3_open(file.c_str(), &raw);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &stmt, nullptr);
  sqlite3_step(stmt);
  const int version = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
  return version;
}

void set_user_version(const std::filesystem::path& file, int version) {
  sqlite3* raw = nullptr;
  sqlite3_open(file.c_str(), &raw);
  sqlite3_exec(raw, fmt::format("PRAGMA user_version = {}", version).c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(raw);
}

TEST(StationDbSchema, ANewDbIsAtTheLatestVersionAndMigratingAgainChangesNothing) {
  test::TempDir dir;
  const auto first = migrate_sqlite_station_db(dir / "station.db");
  EXPECT_EQ(first.from, 0);
  EXPECT_EQ(first.to, kStationDbSchemaVersion);
  EXPECT_EQ(user_version(dir / "station.db"), kStationDbSchemaVersion);
  const auto again = migrate_sqlite_station_db(dir / "station.db");
  EXPECT_EQ(again.from, kStationDbSchemaVersion);
  EXPECT_EQ(again.to, kStationDbSchemaVersion);
}

TEST(StationDbSchema, AVersion1DbKeepsItsDataAndGainsTheRunsTable) {
  test::TempDir dir;
  {
    SqliteStationDb db(dir / "station.db");
    db.touch_device(mac(1), "fixture 1");
    db.allocate_serial(mac(1), SerialScheme{});
  }
  // As an espfab before the runs table left it: version 1 without it.
  {
    sqlite3* raw = nullptr;
    sqlite3_open((dir / "station.db").c_str(), &raw);
    sqlite3_exec(raw, "DROP TABLE runs; PRAGMA user_version = 1", nullptr, nullptr, nullptr);
    sqlite3_close(raw);
  }
  {
    // A report reads the old schema as it is, without the runs.
    SqliteStationDb reader(dir / "station.db", DbAccess::ReadOnly);
    EXPECT_EQ(reader.migration().from, 1);
    EXPECT_FALSE(reader.run("run-1"));
    EXPECT_EQ(reader.find_device(mac(1))->serial, "ESP-000001");
  }
  const auto migration = migrate_sqlite_station_db(dir / "station.db");
  EXPECT_EQ(migration.from, 1);
  EXPECT_EQ(migration.to, kStationDbSchemaVersion);
  SqliteStationDb db(dir / "station.db");
  EXPECT_EQ(db.find_device(mac(1))->serial, "ESP-000001");
  db.record_run({"run-1", "station-7", "1.2.3", "abc", {{"bootloader", "00ff"}}, "2026-12-02T08:00:00.000Z"});
  db.record_run({"run-1", "other", "x", "y", {}, "z"});  // the first record of a run stays
  const auto run = db.run("run-1");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->station_id, "station-7");
  EXPECT_EQ(run->images["bootloader"], "00ff");
}

TEST(StationDbSchema, ANewerSchemaIsRefusedForWritingAndForReading) {
  test::TempDir dir;
  migrate_sqlite_station_db(dir / "station.db");
  set_user_version(dir / "station.db", kStationDbSchemaVersion + 1);
  for (const auto access : {DbAccess::ReadWrite, DbAccess::ReadOnly}) {
    try {
      SqliteStationDb db(dir / "station.db", access);
      FAIL() << "a newer schema was opened";
    } catch (const DatabaseError& e) {
      EXPECT_EQ(e.code(), "station.db_schema_newer");
      EXPECT_NE(std::string(e.what()).find(fmt::format("schema version {}", kStationDbSchemaVersion + 1)),
                std::string::npos);
    }
  }
  EXPECT_EQ(user_version(dir / "station.db"), kStationDbSchemaVersion + 1) << "left as it was";
}

}  // namespace
}  // namespace espfab::station
