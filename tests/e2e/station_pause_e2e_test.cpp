// Issue 20: an operator pauses a fixture on the dashboard. On a real `espfab run --ui` with one
// emulated fixture: the pause comes while the fixture provisions its first device; that device is
// finished, then the next module put into the fixture is not taken while the fixture is paused (its
// tile says paused, the DB has no record of it), and after the resume it is taken and provisioned.
// Both actions are audit lines naming the operator. The next module arrives through a
// FixtureSwitch (tests/support), the test's stand-in for the operator swapping modules.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "support/emulator_process.hpp"
#include "support/fixture_switch.hpp"
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
using namespace std::chrono_literals;

constexpr const char* kFirst = "7c:df:a1:00:00:00";
constexpr const char* kSecond = "7c:df:a1:00:00:01";

fs::path emulator_binary() { return build_dir() / "apps" / "espfab-emu" / "espfab-emu"; }

// The dashboard of a running station, logged in as one user.
class Dashboard {
 public:
  Dashboard(int port, const std::string& user, const std::string& password) : client_("127.0.0.1", port) {
    const auto res =
        client_.Post("/api/login", json{{"user", user}, {"password", password}}.dump(), "application/json");
    if (!res || res->status != 200) throw std::runtime_error("login failed");
    const auto cookie = res->get_header_value("Set-Cookie");
    cookie_ = cookie.substr(0, cookie.find(';'));
    csrf_ = json::parse(res->body)["csrf"].get<std::string>();
  }
  int act(const json& body) {
    const auto res =
        client_.Post("/api/action", {{"Cookie", cookie_}, {"X-CSRF-Token", csrf_}}, body.dump(), "application/json");
    return res ? res->status : -1;
  }
  json state() {
    const auto res = client_.Get("/api/state");
    return res ? json::parse(res->body, nullptr, false) : json{{"error", httplib::to_string(res.error())}};
  }
  // The tile of `fixture` as the page gets it.
  json tile(const std::string& fixture) {
    const auto page = state();
    for (const auto& tile : page.value("fixtures", json::array())) {
      if (tile.value("fixture", "") == fixture) return tile;
    }
    return json::object();
  }

 private:
  httplib::Client client_;
  std::string cookie_;
  std::string csrf_;
};

// The devices the station's DB knows, by MAC (`espfab report --json`).
std::map<std::string, std::string> devices_in_db(const fs::path& profile) {
  const auto report = run_espfab({"report", "--profile", profile.string(), "--json"});
  std::map<std::string, std::string> status;
  if (report.exit_code != 0) return status;
  for (const auto& device : json::parse(report.out)) status[device.value("mac", "")] = device.value("status", "");
  return status;
}

TEST(StationPauseE2e, APausedFixtureFinishesItsDeviceTakesNoNewOneAndTakesItAfterTheResume) {
  TempDir dir;
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  const auto profile = dir / "station.toml";
  const auto users = dir / "ui-users";
  const auto added = run_command("sh", {"-c", fmt::format("echo operator-pass | '{}' ui-adduser --users '{}' "
                                                          "--name otto --role operator",
                                                          espfab_binary().string(), users.string())});
  ASSERT_EQ(added.exit_code, 0) << added.err;

  EmulatorProcess emulator(EmulatorOptions{2, "rfc2217", dir / "devices", {}, 0, false});
  FixtureSwitch fixture(emulator.urls().at(0));  // the first module is in the fixture
  Subprocess station(SpawnOptions{{espfab_binary().string(), "--log-level", "error", "run", "--profile",
                                   profile.string(), "--json", "--no-rehearsal", "--idle-timeout", "30", "--count", "2",
                                   "--port", fixture.url(), "--ui", "127.0.0.1:0", "--ui-users", users.string()},
                                  {},
                                  {},
                                  Redirect::pipe(),
                                  Redirect::pipe()});
  int port = 0;
  const Deadline started(20s);
  while (port == 0) {
    const auto line = station.read_line(started, Subprocess::Stream::Err);
    ASSERT_TRUE(line) << "the station ended before serving its dashboard";
    std::smatch match;
    if (std::regex_search(*line, match, std::regex(R"(dashboard: http://127\.0\.0\.1:(\d+)/)"))) {
      port = std::stoi(match[1]);
    }
  }
  Dashboard otto(port, "otto", "operator-pass");

  // The pause comes while the first device is in the fixture.
  const Deadline taken(20s);
  while (otto.tile("fixture 1").value("mac", "") != kFirst) {
    ASSERT_FALSE(taken.expired()) << otto.state().dump();
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(otto.act({{"action", "pause"}, {"fixture", "fixture 1"}}), 200);
  const Deadline finished(30s);
  while (otto.tile("fixture 1").value("state", "") != "paused") {
    ASSERT_FALSE(finished.expired()) << otto.tile("fixture 1").dump();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(devices_in_db(profile), (std::map<std::string, std::string>{{kFirst, "provisioned"}}))
      << "the paused fixture finished the device it had";

  // The next module goes in: not taken for three seconds while the fixture is paused.
  fixture.insert(emulator.urls().at(1));
  const Deadline paused_for(3s);
  while (!paused_for.expired()) {
    const auto tile = otto.tile("fixture 1");
    ASSERT_EQ(tile.value("state", ""), "paused") << tile.dump();
    ASSERT_NE(tile.value("mac", ""), kSecond) << tile.dump();
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_FALSE(devices_in_db(profile).contains(kSecond)) << "a paused fixture took a device";

  // Resumed, the fixture takes it and provisions it (the second device ends the run: --count 2).
  ASSERT_EQ(otto.act({{"action", "resume_fixture"}, {"fixture", "fixture 1"}}), 200);
  const auto output = station.read_to_end(Deadline(30s));
  const auto code = station.wait(Deadline(10s));
  ASSERT_TRUE(code);
  ASSERT_EQ(*code, 0) << output.err;
  const auto summary = json::parse(output.out);
  ASSERT_EQ(summary["devices"].size(), 2u) << output.out;
  EXPECT_EQ(devices_in_db(profile),
            (std::map<std::string, std::string>{{kFirst, "provisioned"}, {kSecond, "provisioned"}}));

  // The audit log names the operator for both actions, the pause first.
  std::vector<json> actions;
  std::istringstream audit(read_text_file(dir / "station-data" / "audit.jsonl"));
  for (std::string line; std::getline(audit, line);) {
    const auto entry = json::parse(line);
    if (entry.value("action", "").starts_with("fixture.")) actions.push_back(entry);
  }
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0]["action"], "fixture.pause");
  EXPECT_EQ(actions[1]["action"], "fixture.resume");
  for (const auto& entry : actions) {
    EXPECT_EQ(entry.dump().find("operator-pass"), std::string::npos);
    EXPECT_NE(entry.dump().find(R"("operator":"otto")"), std::string::npos) << entry.dump();
    EXPECT_NE(entry.dump().find(R"("fixture":"fixture 1")"), std::string::npos) << entry.dump();
  }
}

}  // namespace
}  // namespace espfab::test
