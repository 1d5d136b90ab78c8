// Issue 19, point 3: stations of one line provisioning at once on one PostgreSQL 15 the test
// starts, devices arriving in rounds; one station is killed with SIGKILL while a device of its is in
// flight (then restarted: the device resumes) and the server restarts while devices are in flight
// elsewhere (stations that lost it stop resumable and are restarted). The line's books must agree
// afterwards (line_harness.hpp: every device provisioned once, serials and certificates unique, no
// number lost, every registration and label delivered once, no eFuse block burned twice).
//
// The moments are picked from the DB, not from timers: the kill when the victim has a device with
// a serial and not finished, the server restart when, after that, any station has one. Station A
// leases serials (the kill leaves its lease behind; its restart takes it back), B allocates each.
#include <gtest/gtest.h>

#include <chrono>

#include "line_harness.hpp"

namespace espfab::test {
namespace {

struct Scenario {
  std::vector<LineStationSpec> stations;
  unsigned rounds;
  std::chrono::seconds limit;
};

void kill_and_restart_the_server_during_a_line_run(const Scenario& scenario) {
  if (!postgres_available()) GTEST_SKIP() << "PostgreSQL 15 is not installed: apt-get install postgresql-15";
  Line line(LineOptions{scenario.stations, scenario.rounds});
  for (std::size_t s = 0; s < line.stations(); ++s) line.start(s);
  constexpr std::size_t kVictim = 0;
  bool killed = false;
  bool restarted = false;
  std::string victim_device;
  const bool done = line.supervise(scenario.limit, [&](const DeviceMap& devices) {
    if (!killed) {
      if (const auto device = line.in_flight(kVictim, devices)) {
        line.kill(kVictim);  // supervise() starts it again: its device resumes
        killed = true;
        victim_device = *device;
      }
      return;
    }
    if (restarted) return;
    for (std::size_t s = 0; s < line.stations(); ++s) {
      if (!line.in_flight(s, devices)) continue;
      line.server().stop();
      std::this_thread::sleep_for(std::chrono::seconds(1));
      line.server().start();
      restarted = true;
      return;
    }
  });
  ASSERT_TRUE(done) << line.log();
  EXPECT_TRUE(killed);
  EXPECT_TRUE(restarted);
  EXPECT_GE(line.runs(kVictim), 2u) << line.log();
  expect_line_books_agree(line);
  // The device in flight at the kill finished in a later run of the same station, with the serial
  // it had when the station died.
  EXPECT_FALSE(victim_device.empty());
  const auto steps = line.query("SELECT count(DISTINCT run_id) FROM step_results WHERE mac = '" + victim_device + "'");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_GE(std::stoi(steps[0]), 2) << victim_device << " was not resumed by another run";
}

// The default run: 2 stations x 2 fixtures x 2 rounds = 8 devices.
TEST(StationLineE2e, TwoStationsEightDevicesSurviveAKillAndAServerRestart) {
  kill_and_restart_the_server_during_a_line_run(
      {{{"station-a", 2, 3}, {"station-b", 2, 0}}, 2, std::chrono::seconds(240)});
}

// The full size (label slow, not in the default run): 3 stations x 8 fixtures x 4 rounds = 96.
TEST(StationLineE2eSlow, ThreeStationsNinetySixDevicesSurviveAKillAndAServerRestart) {
  kill_and_restart_the_server_during_a_line_run(
      {{{"station-a", 8, 6}, {"station-b", 8, 0}, {"station-c", 8, 4}}, 4, std::chrono::seconds(1800)});
}

}  // namespace
}  // namespace espfab::test
