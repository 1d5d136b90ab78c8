// Auto baud end to end (issue 22, point 4): `espfab run` with `[fixtures] baud = "auto"` on two
// fixtures whose USB-UART adapters stop at different rates (espfab-emu's adapter knobs), each
// device's recorded rate read back from its record and the audit log; and `--baud auto` on a
// device command.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "support/emulator_process.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

using nlohmann::json;

std::filesystem::path emulator_binary() { return build_dir() / "apps" / "espfab-emu" / "espfab-emu"; }

// The demo's assets and profile, with the rate moved to [fixtures] as "auto".
std::filesystem::path auto_baud_profile(const TempDir& dir) {
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  EXPECT_EQ(demo.exit_code, 0) << demo.err;
  const auto file = dir / "station.toml";
  std::string text = read_text_file(file);
  const auto at = text.find("baud = 921600\n");
  EXPECT_NE(at, std::string::npos);
  text.erase(at, std::string("baud = 921600\n").size());
  text += "\n[fixtures]\nbaud = \"auto\"\n";
  std::ofstream(file) << text;
  return file;
}

TEST(StationAutoBaudE2e, TwoFixturesWithDifferentAdaptersEachRecordTheirFastestRate) {
  TempDir dir;
  const auto profile = auto_baud_profile(dir);
  // Every adapter stops at 2 Mbaud (the option), fixture 2's at 921600 (its own knob).
  EmulatorProcess emulator(EmulatorOptions{
      2, "rfc2217", dir / "devices", {"--adapter-max-baud", "2000000", "--fault", "1:adapter_max_baud=921600"}});
  const auto run = run_espfab(station_run_args(profile, emulator, 2));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto summary = json::parse(run.out);
  ASSERT_EQ(summary["devices"].size(), 2u);
  const std::map<std::string, unsigned> expected{{"7c:df:a1:00:00:00", 2000000}, {"7c:df:a1:00:00:01", 921600}};
  const std::filesystem::path records = summary["records_dir"].get<std::string>();
  for (const auto& device : summary["devices"]) {
    EXPECT_EQ(device["result"], "provisioned") << device.dump();
    const std::string mac = device["mac"];
    const auto record = json::parse(read_text_file(records / (device["serial"].get<std::string>() + ".json")));
    bool seen = false;
    for (const auto& step : record["steps"]) {
      if (step["name"] != "connect") continue;
      seen = true;
      const auto& baud = step["details"]["baud"];
      EXPECT_EQ(baud["mode"], "auto") << step.dump();
      EXPECT_EQ(baud["rate"].get<unsigned>(), expected.at(mac)) << mac << " " << step.dump();
      // The rungs above the adapter's maximum were tried and failed, the kept one passed.
      const auto& attempts = baud["attempts"];
      ASSERT_FALSE(attempts.empty());
      EXPECT_EQ(attempts.back()["baud"].get<unsigned>(), expected.at(mac));
      EXPECT_TRUE(attempts.back()["passed"].get<bool>());
    }
    EXPECT_TRUE(seen) << record.dump();
  }
  // The audit log names the rate each device's session ran at.
  std::map<std::string, unsigned> audited;
  std::istringstream audit(read_text_file(dir / "station-data" / "audit.jsonl"));
  for (std::string line; std::getline(audit, line);) {
    const auto entry = json::parse(line);
    if (entry.value("action", "") == "link.baud") {
      audited[entry["mac"].get<std::string>()] = entry["details"]["baud"]["rate"].get<unsigned>();
    }
  }
  EXPECT_EQ(audited, expected);
  const auto verify = run_espfab({"audit", "verify", "--profile", profile.string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST(StationAutoBaudE2e, DeviceCommandsTakeBaudAutoAndRefuseABadRateWithTheFix) {
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", {}, {"--adapter-max-baud", "1500000"}});
  const auto ok = run_espfab({"--port", emulator.url(), "--baud", "auto", "read-mac", "--json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  const auto bad = run_espfab({"--port", emulator.url(), "--baud", "fast", "read-mac"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("auto"), std::string::npos) << bad.err;
  // A fixed rate above the adapter's maximum is refused with the rate it runs at.
  const auto fast = run_espfab({"--port", emulator.url(), "--baud", "3000000", "read-mac"});
  EXPECT_NE(fast.exit_code, 0);
  EXPECT_NE(fast.err.find("1500000"), std::string::npos) << fast.err;
}

}  // namespace
}  // namespace espfab::test
