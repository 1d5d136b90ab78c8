// Issue 20 pt 3: a graceful stop from the terminal. The first Ctrl-C (SIGINT) says what the station
// waits for (the devices in the fixtures, by fixture, device and step) and takes no new device; the
// second stops each device at its next step boundary (never inside an eFuse batch: no burn intent
// is left open), the devices stay in progress and the next run finishes them.
#include <signal.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <thread>

#include "support/emulator_process.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/deadline.hpp"
#include "util/file_io.hpp"
#include "util/subprocess.hpp"

namespace espfab::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path emulator_binary() { return build_dir() / "apps" / "espfab-emu" / "espfab-emu"; }

fs::path assets(const TempDir& dir) {
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  EXPECT_EQ(demo.exit_code, 0) << demo.err;
  return dir / "station.toml";
}

std::vector<std::string> run_args(const fs::path& profile, const EmulatorProcess& emulator) {
  std::vector<std::string> args{
      espfab_binary().string(), "--log-level",    "error", "run", "--profile", profile.string(), "--json",
      "--no-rehearsal",         "--idle-timeout", "30"};
  for (const auto& url : emulator.urls()) args.insert(args.end(), {"--port", url});
  return args;
}

// Waits until every fixture's device has started `step` (events.jsonl of the data dir).
bool wait_for_step(const fs::path& events, const std::string& step, std::size_t fixtures) {
  const Deadline deadline(std::chrono::seconds(60));
  while (!deadline.expired()) {
    std::size_t seen = 0;
    if (fs::exists(events)) {
      std::istringstream lines(read_text_file(events));
      for (std::string line; std::getline(lines, line);) {
        const auto event = json::parse(line, nullptr, false);
        if (event.is_object() && event.value("event", "") == "step_started" && event.value("step", "") == step) ++seen;
      }
    }
    if (seen >= fixtures) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(StationStopE2e, FirstCtrlCSaysWhatItWaitsForTheSecondStopsAtAStepBoundaryAndTheNextRunFinishes) {
  TempDir dir;
  const auto profile = assets(dir);
  // With the true-to-life link timing a device takes tens of seconds: the signals come while both
  // are in their early steps.
  EmulatorProcess emulator(EmulatorOptions{2, "rfc2217", dir / "devices", {}, 0, true});
  Subprocess station(SpawnOptions{run_args(profile, emulator), {}, {}, Redirect::pipe(), Redirect::pipe()});
  ASSERT_TRUE(wait_for_step(dir / "station-data" / "events.jsonl", "flash-factory", 2));

  ::kill(station.pid(), SIGINT);
  std::string said;
  const Deadline told(std::chrono::seconds(10));
  while (said.find("stopping: no new device") == std::string::npos) {
    const auto line = station.read_line(told, Subprocess::Stream::Err);
    ASSERT_TRUE(line) << said;
    said += *line + "\n";
  }
  EXPECT_NE(said.find("fixture 1 (7c:df:a1:00:00:00 at "), std::string::npos) << said;
  EXPECT_NE(said.find("fixture 2 (7c:df:a1:00:00:01 at "), std::string::npos) << said;
  EXPECT_NE(said.find("Ctrl-C again"), std::string::npos) << said;
  EXPECT_TRUE(station.running()) << "the first Ctrl-C waits for the devices";

  ::kill(station.pid(), SIGINT);
  const auto output = station.read_to_end(Deadline(std::chrono::seconds(60)));
  const auto code = station.wait(Deadline(std::chrono::seconds(10)));
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << output.err;
  EXPECT_NE((said + output.err).find("stopping now"), std::string::npos) << output.err;
  const auto summary = json::parse(output.out);
  ASSERT_EQ(summary["devices"].size(), 2u) << output.out;
  for (const auto& device : summary["devices"]) {
    EXPECT_EQ(device["result"], "interrupted") << device.dump();
    EXPECT_NE(device["reason"].get<std::string>().find("stopped by the operator before"), std::string::npos);
  }
  for (const auto& fixture : summary["fixtures"]) EXPECT_EQ(fixture["state"], "finished") << fixture.dump();
  // Nothing half-burned: the audit log has no open intent, and the devices are in progress.
  EXPECT_EQ(run_espfab({"audit", "verify", "--profile", profile.string()}).exit_code, 0);
  const auto report = json::parse(run_espfab({"report", "--profile", profile.string(), "--json"}).out);
  for (const auto& device : report) EXPECT_EQ(device["status"], "in_progress") << device.dump();

  // The next run finishes both where they stopped.
  auto again_args = run_args(profile, emulator);
  again_args.erase(again_args.begin());
  again_args.insert(again_args.end(), {"--count", "2"});
  const auto again = run_espfab(again_args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  for (const auto& device : json::parse(again.out)["devices"]) EXPECT_EQ(device["result"], "provisioned");
}

}  // namespace
}  // namespace espfab::test
