// Issue 19, point 3 (docs/stations.md, "When the server goes away"): the PostgreSQL server stops
// while a station's devices are in flight, with and without a serial lease. The station stops: each
// device in its summary is either provisioned or interrupted (resumable), never rejected or
// faulted for the station's loss; a leasing station keeps its lease file. Once the server is back
// the next run finishes every device with the serial it had before (nothing issued twice) and the
// line's books agree (line_harness.hpp).
#include <gtest/gtest.h>

#include <chrono>

#include "line_harness.hpp"
#include "station/serial_lease_file.hpp"

namespace espfab::test {
namespace {

class StationServerLossE2e : public ::testing::TestWithParam<unsigned> {};

TEST_P(StationServerLossE2e, DevicesInFlightStopResumableAndFinishOnceTheServerIsBack) {
  if (!postgres_available()) GTEST_SKIP() << "PostgreSQL 15 is not installed: apt-get install postgresql-15";
  const unsigned lease = GetParam();
  Line line(LineOptions{{{"station-a", 3, lease}}, 1});
  line.start(0);
  // Wait for a device in flight, note every serial given so far, and take the server away.
  std::map<std::string, std::string> before;
  const Deadline deadline(std::chrono::seconds(120));
  while (!deadline.expired()) {
    const auto devices = line.devices();
    if (devices && line.in_flight(0, *devices)) {
      for (const auto& [mac, row] : *devices)
        if (!row.serial.empty()) before[mac] = row.serial;
      break;
    }
    ASSERT_TRUE(line.running(0)) << "the station ended before a device was in flight\n" << line.log();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(before.empty()) << line.log();
  line.server().stop();

  const Deadline stopping(std::chrono::seconds(90));
  while (line.running(0) && !stopping.expired()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_FALSE(line.running(0)) << "the station did not stop without its server";
  const auto summary = line.last_summary(0);
  ASSERT_TRUE(summary.is_object()) << line.log();
  EXPECT_FALSE(summary["station_stopped"].get<std::string>().empty()) << summary.dump(2);
  unsigned interrupted = 0;
  for (const auto& device : summary["devices"]) {
    const auto result = device["result"].get<std::string>();
    EXPECT_TRUE(result == "provisioned" || result == "interrupted") << device.dump();
    if (result == "interrupted") ++interrupted;
  }
  EXPECT_GE(interrupted, 1u) << summary.dump(2);
  if (lease > 0) {
    const auto kept = station::read_lease_file(line.data_dir(0) / "serial-lease.json");
    ASSERT_TRUE(kept);
    EXPECT_FALSE(kept->free.empty() && kept->bound.empty()) << "the lease went with the server";
    bool warned = false;
    for (const auto& warning : summary["warnings"])
      warned |= warning.get<std::string>().starts_with("serial lease: kept");
    EXPECT_TRUE(warned) << summary["warnings"].dump();
  }

  line.server().start();
  ASSERT_TRUE(line.supervise(std::chrono::seconds(180))) << line.log();
  const auto after = line.devices();
  ASSERT_TRUE(after);
  for (const auto& [mac, serial] : before) EXPECT_EQ(after->at(mac).serial, serial) << mac << " got a second serial";
  expect_line_books_agree(line);
  if (lease > 0) {
    const auto file = station::read_lease_file(line.data_dir(0) / "serial-lease.json");
    ASSERT_TRUE(file);
    EXPECT_TRUE(file->free.empty() && file->bound.empty()) << "returned at the clean end";
  }
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutALease, StationServerLossE2e, ::testing::Values(0u, 4u),
                         [](const ::testing::TestParamInfo<unsigned>& param) {
                           return param.param == 0 ? std::string("EachSerialFromTheServer")
                                                   : std::string("SerialLeaseOfFour");
                         });

}  // namespace
}  // namespace espfab::test
