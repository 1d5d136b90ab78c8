// Serial leases on a real PostgreSQL 15 (issue 19, point 2): blocks leased in one transaction,
// numbers used only through the server, returned numbers taken first by any allocation, stations
// leasing and allocating at once, and a server stopped while a station allocates from its lease.
// After each, every number below the counter is exactly one of: a device's serial, leased, pooled.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "postgres_fixture.hpp"
#include "station/serial_lease.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

using test::PostgresFixture;

const SerialScheme kScheme{"ACT1-", 7, 1000};

std::string mac(unsigned i) { return fmt::format("7c:df:a1:01:{:02x}:{:02x}", i / 256, i % 256); }

class PostgresSerialLeaseTest : public PostgresFixture {
 protected:
  // Every number of the scheme below its counter is a device's serial, leased or pooled, exactly
  // once; returns the devices' serials.
  static std::set<std::string> expect_every_number_accounted_for(const PostgresTarget& target) {
    const auto next = test::query_rows(target.url, "SELECT next FROM serial_counter WHERE prefix = 'ACT1-'");
    EXPECT_EQ(next.size(), 1u);
    std::map<std::uint64_t, std::string> owner;
    std::set<std::string> serials;
    for (const auto& serial : test::query_rows(target.url, "SELECT serial FROM devices WHERE serial IS NOT NULL")) {
      serials.insert(serial);
      const auto number = std::stoull(serial.substr(kScheme.prefix.size()));
      EXPECT_TRUE(owner.emplace(number, "device").second) << serial << " twice";
    }
    for (const auto& row :
         test::query_rows(target.url, "SELECT number, state FROM serial_leases WHERE prefix = 'ACT1-'")) {
      const auto bar = row.find('|');
      EXPECT_TRUE(owner.emplace(std::stoull(row.substr(0, bar)), row.substr(bar + 1)).second) << row;
    }
    const auto end = next.empty() ? kScheme.first : std::stoull(next[0]);
    EXPECT_EQ(owner.size(), end - kScheme.first) << "numbers lost or invented";
    if (!owner.empty()) {
      EXPECT_EQ(owner.begin()->first, kScheme.first);
      EXPECT_EQ(owner.rbegin()->first, end - 1);
    }
    return serials;
  }
};

TEST_F(PostgresSerialLeaseTest, ALeaseTakesThePoolFirstThenTheCounterAndOnlyItsHolderUsesIt) {
  const auto target = fresh();
  PostgresStationDb::migrate(target);
  PostgresStationDb a(target);
  PostgresStationDb b(as_station(target, "station-b"));
  for (unsigned i = 1; i <= 5; ++i) a.touch_device(mac(i), "fixture 1");

  EXPECT_EQ(a.lease_serials(kScheme, 4), (std::vector<std::uint64_t>{1000, 1001, 1002, 1003}));
  EXPECT_EQ(b.allocate_serial(mac(1), kScheme), "ACT1-0001004") << "past A's lease";
  const auto used = a.use_leased_serial(mac(2), kScheme, 1000);
  EXPECT_EQ(used.outcome, LeasedSerialUse::Outcome::Used);
  EXPECT_EQ(used.serial, "ACT1-0001000");
  EXPECT_EQ(a.find_device(mac(2))->serial, "ACT1-0001000");
  EXPECT_EQ(b.use_leased_serial(mac(3), kScheme, 1001).outcome, LeasedSerialUse::Outcome::NotLeased)
      << "A's number, not B's";
  const auto has = a.use_leased_serial(mac(1), kScheme, 1001);
  EXPECT_EQ(has.outcome, LeasedSerialUse::Outcome::DeviceHasSerial);
  EXPECT_EQ(has.serial, "ACT1-0001004");
  EXPECT_EQ(a.leased_serials(kScheme), (std::vector<std::uint64_t>{1001, 1002, 1003}));

  a.return_serials(kScheme, {1000, 1001, 1002, 1003});  // 1000 is a device's: left alone
  EXPECT_TRUE(a.leased_serials(kScheme).empty());
  EXPECT_EQ(b.allocate_serial(mac(3), kScheme), "ACT1-0001001") << "the pool's lowest first";
  PostgresStationDb c(as_station(target, "station-c"));
  EXPECT_EQ(c.lease_serials(kScheme, 3), (std::vector<std::uint64_t>{1002, 1003, 1005}));
  EXPECT_EQ(a.use_leased_serial(mac(4), kScheme, 1002).outcome, LeasedSerialUse::Outcome::NotLeased)
      << "returned, then leased to C";
  const auto serials = expect_every_number_accounted_for(target);
  EXPECT_EQ(serials, (std::set<std::string>{"ACT1-0001000", "ACT1-0001001", "ACT1-0001004"}));
}

// Two leasing stations (two fixtures each) and one allocating per device, all at once.
TEST_F(PostgresSerialLeaseTest, LeasingAndAllocatingStationsAtOnceShareNoSerialAndLoseNone) {
  const auto target = fresh();
  PostgresStationDb::migrate(target);
  test::TempDir dir;
  PostgresStationDb a(target);
  PostgresStationDb b(as_station(target, "station-b"));
  PostgresStationDb c(as_station(target, "station-c"));
  SerialLease lease_a(a, kScheme, 5, dir / "a.json");
  SerialLease lease_b(b, kScheme, 3, dir / "b.json");
  lease_a.open();
  lease_b.open();
  constexpr unsigned kPerWorker = 20;
  std::mutex mutex;
  std::vector<std::string> serials;
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < 5; ++w) {
    workers.emplace_back([&, w] {
      for (unsigned i = 0; i < kPerWorker; ++i) {
        const auto m = mac(w * 100 + i);
        std::string serial;
        if (w < 2) {
          a.touch_device(m, fmt::format("fixture {}", w));
          serial = lease_a.allocate(m);
        } else if (w < 4) {
          b.touch_device(m, fmt::format("fixture {}", w));
          serial = lease_b.allocate(m);
        } else {
          c.touch_device(m, "fixture 1");
          serial = c.allocate_serial(m, kScheme);
        }
        const std::lock_guard lock(mutex);
        serials.push_back(serial);
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(std::set<std::string>(serials.begin(), serials.end()).size(), 5 * kPerWorker) << "a serial issued twice";
  const auto returned = lease_a.release() + lease_b.release();
  EXPECT_GT(returned, 0u);
  EXPECT_EQ(query(target, "SELECT count(*) FROM serial_leases WHERE state = 'leased'"), "0\n");
  EXPECT_EQ(query(target, "SELECT count(*) FROM serial_leases WHERE state = 'pool'"), fmt::format("{}\n", returned));
  const auto accounted = expect_every_number_accounted_for(target);
  EXPECT_EQ(accounted.size(), 5 * kPerWorker);
  // The next allocation anywhere takes the pool's lowest number.
  const auto lowest = test::query_rows(target.url, "SELECT min(number) FROM serial_leases WHERE state = 'pool'").at(0);
  c.touch_device(mac(999), "fixture 1");
  EXPECT_EQ(c.allocate_serial(mac(999), kScheme), format_serial(kScheme, std::stoull(lowest)));
  expect_every_number_accounted_for(target);
}

// The server goes away between a device's connect and its serial: the number is bound in the
// lease file, the step fails (DatabaseError), and the same number is the device's once the server
// is back; the connection of the running station is renewed by itself.
TEST_F(PostgresSerialLeaseTest, AServerStoppedDuringAnAllocationGetsTheBoundNumberWhenBack) {
  test::PostgresServer own;  // stopped and started here: not the suite's server
  const PostgresTarget target{own.create_database("restart"), "", "station-a"};
  PostgresStationDb::migrate(target);
  test::TempDir dir;
  PostgresStationDb db(target);
  SerialLease lease(db, kScheme, 3, dir / "lease.json");
  lease.open();
  db.touch_device(mac(1), "fixture 1");
  db.touch_device(mac(2), "fixture 2");
  EXPECT_EQ(lease.allocate(mac(1)), "ACT1-0001000");

  own.stop();
  EXPECT_THROW(lease.allocate(mac(2)), DatabaseError);
  const auto stored = read_lease_file(dir / "lease.json");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->bound, (std::map<std::string, std::uint64_t>{{mac(2), 1001}}));
  own.start();

  EXPECT_EQ(db.find_device(mac(2))->serial, "") << "the first call after the restart works: nothing was written";
  EXPECT_EQ(lease.allocate(mac(2)), "ACT1-0001001");
  EXPECT_EQ(db.find_device(mac(2))->serial, "ACT1-0001001");
  EXPECT_TRUE(read_lease_file(dir / "lease.json")->bound.empty());
  lease.release();
  expect_every_number_accounted_for(target);
}

}  // namespace
}  // namespace espfab::station
