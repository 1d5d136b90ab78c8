// SerialLease against an in-memory server with the PostgreSQL DB's lease semantics: blocks taken
// and refilled, numbers bound write-ahead in the lease file while the server is away and written
// when it is back, stale numbers dropped rather than issued, unused numbers returned.
#include "station/serial_lease.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "station/sqlite_station_db.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

std::string mac(unsigned i) { return fmt::format("7c:df:a1:00:00:{:02x}", i); }

// One station's view of a server: a counter, the numbers leased to this station, the pool and the
// devices' serials. `down` makes every call fail as an unreachable server does.
class FakeLeaseServer final : public SerialLeaseServer {
 public:
  std::vector<std::uint64_t> lease_serials(const SerialScheme& scheme, unsigned count) override {
    check();
    ++leases;
    std::vector<std::uint64_t> out;
    while (out.size() < count && !pool.empty()) {
      out.push_back(*pool.begin());
      pool.erase(pool.begin());
    }
    if (next == 0) next = scheme.first;
    while (out.size() < count) out.push_back(next++);
    leased.insert(out.begin(), out.end());
    return out;
  }
  std::vector<std::uint64_t> leased_serials(const SerialScheme&) override {
    check();
    return {leased.begin(), leased.end()};
  }
  LeasedSerialUse use_leased_serial(const std::string& m, const SerialScheme& scheme, std::uint64_t number) override {
    check();
    ++uses;
    if (const auto it = devices.find(m); it != devices.end()) {
      return {LeasedSerialUse::Outcome::DeviceHasSerial, it->second};
    }
    if (leased.erase(number) == 0) return {LeasedSerialUse::Outcome::NotLeased, ""};
    devices[m] = format_serial(scheme, number);
    return {LeasedSerialUse::Outcome::Used, devices[m]};
  }
  void return_serials(const SerialScheme&, const std::vector<std::uint64_t>& numbers) override {
    check();
    for (const auto n : numbers) {
      if (leased.erase(n) != 0) pool.insert(n);
    }
  }

  bool down = false;
  unsigned leases = 0;
  unsigned uses = 0;
  std::uint64_t next = 0;
  std::set<std::uint64_t> leased;
  std::set<std::uint64_t> pool;
  std::map<std::string, std::string> devices;

 private:
  void check() const {
    if (down) throw DatabaseError("station.db", "station DB statement (fake): server closed the connection");
  }
};

const SerialScheme kScheme{"ESP-", 6, 100};

class SerialLeaseTest : public ::testing::Test {
 protected:
  std::filesystem::path file() const { return dir / "serial-lease.json"; }
  test::TempDir dir;
  FakeLeaseServer server;
};

TEST_F(SerialLeaseTest, ABlockIsLeasedOnceAndRefilledWhenHalfIsUsed) {
  SerialLease lease(server, kScheme, 4, file());
  lease.open();
  EXPECT_EQ(server.leases, 1u);
  EXPECT_EQ(lease.available(), (std::vector<std::uint64_t>{100, 101, 102, 103}));
  EXPECT_EQ(lease.allocate(mac(1)), "ESP-000100");
  EXPECT_EQ(server.leases, 1u) << "three left of four: no refill yet";
  EXPECT_EQ(lease.allocate(mac(2)), "ESP-000101");
  EXPECT_EQ(server.leases, 2u) << "half used: topped up";
  EXPECT_EQ(lease.available(), (std::vector<std::uint64_t>{102, 103, 104, 105}));
  EXPECT_EQ(lease.allocate(mac(1)), "ESP-000100") << "a device keeps its serial";
  EXPECT_EQ(lease.available().size(), 4u) << "and takes no number for it";
}

TEST_F(SerialLeaseTest, WhileTheServerIsAwayTheNumberIsBoundAndWrittenWhenItIsBack) {
  {
    SerialLease lease(server, kScheme, 3, file());
    lease.open();
    server.down = true;
    EXPECT_THROW(lease.allocate(mac(1)), DatabaseError) << "not used until the server has it";
    EXPECT_THROW(lease.allocate(mac(2)), DatabaseError);
    EXPECT_THROW(lease.allocate(mac(1)), DatabaseError);
    EXPECT_TRUE(server.devices.empty());
  }
  // The station stopped; its lease file holds the two bindings, each its own number.
  const auto stored = read_lease_file(file());
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->bound, (std::map<std::string, std::uint64_t>{{mac(1), 100}, {mac(2), 101}}));
  EXPECT_EQ(stored->free, (std::vector<std::uint64_t>{102}));

  server.down = false;
  SerialLease again(server, kScheme, 3, file());
  again.open();
  EXPECT_EQ(server.devices.at(mac(1)), "ESP-000100") << "written as soon as the server answers";
  EXPECT_EQ(server.devices.at(mac(2)), "ESP-000101");
  EXPECT_EQ(again.allocate(mac(1)), "ESP-000100");
  EXPECT_EQ(again.allocate(mac(3)), "ESP-000102");
  EXPECT_TRUE(read_lease_file(file())->bound.empty());
}

TEST_F(SerialLeaseTest, TheDevicesNextTryWritesItsBoundNumber) {
  SerialLease lease(server, kScheme, 2, file());
  lease.open();
  server.down = true;
  EXPECT_THROW(lease.allocate(mac(7)), DatabaseError);
  server.down = false;
  EXPECT_EQ(lease.allocate(mac(7)), "ESP-000100");
  EXPECT_EQ(lease.allocate(mac(8)), "ESP-000101");
}

TEST_F(SerialLeaseTest, ABoundNumberOfADeviceThatGotASerialElsewhereIsKept) {
  SerialLease lease(server, kScheme, 2, file());
  lease.open();
  server.down = true;
  EXPECT_THROW(lease.allocate(mac(1)), DatabaseError);
  server.down = false;
  server.devices[mac(1)] = "ESP-000500";  // it moved to another station, which gave it a serial
  EXPECT_EQ(lease.allocate(mac(1)), "ESP-000500");
  EXPECT_EQ(lease.available(), (std::vector<std::uint64_t>{100, 101})) << "100 was not used: still this lease's";
}

TEST_F(SerialLeaseTest, NumbersTheServerNoLongerLeasesHereAreDroppedNotIssued) {
  // A copy older than the server's (killed between returning its lease and rewriting the file).
  write_lease_file(file(), {"ESP-", {100, 101, 102}, {}});
  server.next = 103;
  server.leased = {102};
  SerialLease lease(server, kScheme, 3, file());
  EXPECT_EQ(lease.allocate(mac(1)), "ESP-000102");
  EXPECT_EQ(server.uses, 3u) << "100 and 101 were refused by the server";
  EXPECT_EQ(lease.allocate(mac(2)), "ESP-000103") << "then a fresh block";
}

TEST_F(SerialLeaseTest, OpeningTakesTheServersWordForWhatIsLeased) {
  write_lease_file(file(), {"ESP-", {100, 101}, {}});
  server.next = 105;
  server.leased = {101, 103, 104};  // 100 went, 103 and 104 the copy had lost
  SerialLease lease(server, kScheme, 3, file());
  lease.open();
  EXPECT_EQ(lease.available(), (std::vector<std::uint64_t>{101, 103, 104}));
  EXPECT_EQ(server.leases, 0u) << "full: nothing taken";
}

TEST_F(SerialLeaseTest, ReleaseReturnsEveryUnusedNumberAndEmptiesTheFile) {
  SerialLease lease(server, kScheme, 5, file());
  lease.open();
  lease.allocate(mac(1));
  EXPECT_EQ(lease.release(), 4u);
  EXPECT_TRUE(server.leased.empty());
  EXPECT_EQ(server.pool, (std::set<std::uint64_t>{101, 102, 103, 104}));
  EXPECT_TRUE(read_lease_file(file())->free.empty());
  server.down = true;
  SerialLease offline(server, kScheme, 5, file());
  EXPECT_THROW(offline.allocate(mac(2)), DatabaseError) << "an empty lease needs the server";
}

TEST_F(SerialLeaseTest, AReleaseWithoutTheServerKeepsTheLease) {
  SerialLease lease(server, kScheme, 3, file());
  lease.open();
  server.down = true;
  EXPECT_THROW(lease.release(), DatabaseError);
  EXPECT_EQ(read_lease_file(file())->free.size(), 3u);
  EXPECT_EQ(server.leased.size(), 3u);
}

TEST_F(SerialLeaseTest, ADamagedLeaseFileIsRefusedWithTheFix) {
  std::ofstream(file()) << "{\"version\": 1, \"prefix\": \"ESP-\", \"free\": [1, ";
  try {
    SerialLease lease(server, kScheme, 3, file());
    FAIL() << "a damaged lease file was read";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), "station.serial_lease_file");
    EXPECT_NE(e.hint().find("move it away"), std::string::npos);
  }
}

TEST_F(SerialLeaseTest, AStationsOwnSqliteDbHasNoLeases) {
  SqliteStationDb db(dir / "station.db");
  StationProfile profile;
  profile.data_dir = dir.path();
  EXPECT_EQ(make_serial_lease(profile, db), nullptr) << "serial_lease = 0: no lease";
  profile.serial_lease = 4;
  EXPECT_THROW(make_serial_lease(profile, db), BadInputError);
}

}  // namespace
}  // namespace espfab::station
