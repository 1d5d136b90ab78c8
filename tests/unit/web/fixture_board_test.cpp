// The board turns the station's events into the tiles the page shows.
#include "web/fixture_board.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace espfab::web {
namespace {

using Kind = station::StationEvent::Kind;

station::StationEvent event(Kind kind, std::string fixture, std::string step = {}, std::string outcome = {},
                            std::string message = {}) {
  station::StationEvent e;
  e.kind = kind;
  e.fixture = std::move(fixture);
  e.step = std::move(step);
  e.outcome = std::move(outcome);
  e.message = std::move(message);
  e.mac = "7c:df:a1:00:00:01";
  return e;
}

nlohmann::json tile(const FixtureBoard& board, std::size_t index) { return board.snapshot()["fixtures"].at(index); }

TEST(FixtureBoard, ShowsStepKOfNWithProgressThenTheResultUntilTheDeviceLeaves) {
  FixtureBoard board({"connect", "flash-factory", "hardware-test"}, {"fixture 1", "fixture 2"});
  EXPECT_EQ(tile(board, 1)["state"], "waiting");
  board.on(event(Kind::DeviceStarted, "fixture 1"));
  board.on(event(Kind::StepStarted, "fixture 1", "flash-factory"));
  auto progress = event(Kind::StepProgress, "fixture 1");
  progress.done = 1024;
  progress.total = 4096;
  board.on(progress);
  auto t = tile(board, 0);
  EXPECT_EQ(t["state"], "running");
  EXPECT_EQ(t["step"], "flash-factory");
  EXPECT_EQ(t["step_index"], 2);
  EXPECT_EQ(t["step_count"], 3);
  EXPECT_EQ(t["percent"], 25);
  EXPECT_EQ(t["mac"], "7c:df:a1:00:00:01");

  board.on(event(Kind::DeviceFinished, "fixture 1", "", "rejected", "hardware-test: gpio.4_5 failed"));
  board.on(
      event(Kind::Waiting, "fixture 1", "", "", "waiting for the next device (the last one is still in the fixture)"));
  t = tile(board, 0);
  EXPECT_EQ(t["state"], "reject") << "the result stays while the device is in the fixture";
  EXPECT_EQ(t["message"], "hardware-test: gpio.4_5 failed");
  EXPECT_EQ(t["note"], "take the device out of the fixture");
  board.on(event(Kind::Waiting, "fixture 1", "", "", "waiting for a device: no reply"));
  EXPECT_EQ(tile(board, 0)["state"], "waiting");
  EXPECT_EQ(board.snapshot()["finished"], 1);
}

TEST(FixtureBoard, AFaultSaysWhatToDoAndStaysWhenTheFixtureStops) {
  FixtureBoard board({"connect"}, {});
  auto started = event(Kind::DeviceStarted, "fixture 3");
  board.on(started);
  auto fault = event(Kind::DeviceFinished, "fixture 3", "", "fault", "flash-production: no reply");
  fault.serial = "DEMO-000007";
  board.on(fault);
  board.on(event(Kind::FixtureStopped, "fixture 3", "", "fault", "stopped for an engineer"));
  const auto t = tile(board, 0);
  EXPECT_EQ(t["state"], "fault");
  EXPECT_NE(t["what_to_do"].get<std::string>().find("DEMO-000007"), std::string::npos);
  EXPECT_NE(t["what_to_do"].get<std::string>().find("engineer"), std::string::npos);
  EXPECT_NE(t["note"].get<std::string>().find("stopped for an engineer"), std::string::npos);
}

TEST(FixtureBoard, APassNamesTheLastLabelAndPausedIsItsOwnState) {
  FixtureBoard board({"connect"}, {});
  board.on(event(Kind::DeviceStarted, "fixture 1"));
  auto pass = event(Kind::DeviceFinished, "fixture 1", "", "provisioned");
  pass.serial = "DEMO-000001";
  board.on(pass);
  EXPECT_EQ(board.snapshot()["last_provisioned"], "DEMO-000001");
  EXPECT_EQ(tile(board, 0)["state"], "pass");
  board.on(event(Kind::Waiting, "fixture 10", "", "", "waiting for a device"));
  board.on(event(Kind::Waiting, "fixture 2", "", "", "paused by the operator: resume the fixture"));
  EXPECT_EQ(tile(board, 1)["state"], "paused");
  EXPECT_EQ(tile(board, 1)["fixture"], "fixture 2") << "in the fixtures' order, not the events'";
  EXPECT_EQ(tile(board, 2)["fixture"], "fixture 10");
}

TEST(FixtureBoard, AWaiterWakesOnAChangeAndTimesOutWithout) {
  FixtureBoard board({"connect"}, {"fixture 1"});
  const auto seen = board.version();
  EXPECT_EQ(board.wait_for_change(seen, std::chrono::milliseconds(20)), seen);
  std::thread feeder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    board.on(event(Kind::DeviceStarted, "fixture 1"));
  });
  EXPECT_GT(board.wait_for_change(seen, std::chrono::seconds(5)), seen);
  feeder.join();
}

TEST(FixtureBoard, ReplaysEventsLogLines) {
  const auto line = nlohmann::json::parse(
      R"({"event":"step_progress","fixture":"fixture 2","mac":"aa","step":"x","done":5,"total":10})");
  const auto e = event_from_json(line);
  EXPECT_EQ(e.kind, Kind::StepProgress);
  EXPECT_EQ(e.fixture, "fixture 2");
  EXPECT_EQ(e.done, 5u);
  EXPECT_EQ(e.total, 10u);
}

}  // namespace
}  // namespace espfab::web
