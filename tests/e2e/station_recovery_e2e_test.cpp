// Issue 16 acceptance, with the built binaries: faults an operator can recover from. A device whose
// link dies after something irreversible is a fault that resumes by itself (auto_resume) or by
// `espfab device resume`, and can be scrapped; a full disk interrupts the station without a crash
// and without blaming the device; a fixture that cannot be opened and a run where every device was
// rejected exit non-zero with every fixture's state in --json; the audit log misses nothing.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

#include "support/emulator_process.hpp"
#include "support/run_command.hpp"
#include "support/tcp_line.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path emulator_binary() { return build_dir() / "apps" / "espfab-emu" / "espfab-emu"; }
fs::path espfab_binary() { return build_dir() / "apps" / "espfab" / "espfab"; }

fs::path assets(const TempDir& dir) {
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  EXPECT_EQ(demo.exit_code, 0) << demo.err;
  return dir / "station.toml";
}

std::vector<std::string> run_args(const fs::path& profile, const std::vector<std::string>& ports) {
  std::vector<std::string> args{"--log-level",    "error",          "run", "--profile",
                                profile.string(), "--count",        "1",   "--json",
                                "--no-rehearsal", "--idle-timeout", "15"};
  for (const auto& port : ports) args.insert(args.end(), {"--port", port});
  return args;
}

json parsed(const CommandResult& result) {
  auto out = json::parse(result.out, nullptr, false);
  EXPECT_FALSE(out.is_discarded()) << result.out << result.err;
  return out;
}

void control(const EmulatorProcess& emulator, const std::string& command) {
  TcpLine line(emulator.control());
  line.send(command + "\n");
  EXPECT_NE(line.read_until("\n").find("ok"), std::string::npos) << command;
}

void set_auto_resume(const fs::path& profile, bool on) {
  std::string text = read_text_file(profile);
  text.replace(text.find("[station]\n"), 10, fmt::format("[station]\nauto_resume = {}\n", on ? "true" : "false"));
  write_text_file_atomic(profile, text);
}

// Runs one device into a fault with emulator `knobs` and checks it ended as a fault in `step`, its
// fixture stopped, exit 1; then clears the knobs.
json run_into_a_fault_at(const fs::path& profile, const EmulatorProcess& emulator, const std::string& knobs,
                         const std::string& step) {
  control(emulator, "fault 0 " + knobs);
  const auto run = run_espfab(run_args(profile, {emulator.url()}));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const auto summary = parsed(run);
  EXPECT_EQ(summary["devices"][0]["result"], "fault") << summary.dump(2);
  EXPECT_NE(summary["devices"][0]["reason"].get<std::string>().find(step), std::string::npos)
      << summary["devices"][0]["reason"];
  EXPECT_EQ(summary["fixtures"][0]["state"], "fault");
  control(emulator, "fault 0 clear");
  return summary;
}

// The link dies 200 kB into every connection: flash-production (after the flash-encryption key is
// burned) can never finish. The device ends as a fault; the fixture stops; exit 1.
json run_into_a_fault(const fs::path& profile, const EmulatorProcess& emulator) {
  return run_into_a_fault_at(profile, emulator, "drop_after=200000", "flash-production");
}

TEST(StationRecoveryE2e, AFaultResumesByItselfWhenItsEfusesAreConsistent) {
  TempDir dir;
  const auto profile = assets(dir);
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  const auto faulted = run_into_a_fault(profile, emulator);
  const std::string mac = faulted["devices"][0]["mac"];
  const auto status = run_espfab({"device", "status", mac, "--profile", profile.string(), "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(parsed(status)["status"], "fault");
  EXPECT_TRUE(parsed(status)["resumable"].get<bool>());

  const auto again = run_espfab(run_args(profile, {emulator.url()}));
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(parsed(again)["devices"][0]["result"], "provisioned") << again.out;
  const std::string audit = read_text_file(dir / "station-data" / "audit.jsonl");
  EXPECT_NE(audit.find("\"device.auto_resume\""), std::string::npos);
  const auto verify = run_espfab({"audit", "verify", "--profile", profile.string(), "--json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

TEST(StationRecoveryE2e, WithoutAutoResumeTheOperatorResumesIt) {
  TempDir dir;
  const auto profile = assets(dir);
  set_auto_resume(profile, false);
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  const auto faulted = run_into_a_fault(profile, emulator);
  const std::string mac = faulted["devices"][0]["mac"];

  // Not resumed by itself: skipped with what to do.
  const auto skipped = run_espfab(run_args(profile, {emulator.url()}));
  EXPECT_EQ(parsed(skipped)["devices"][0]["result"], "skipped") << skipped.out;
  EXPECT_NE(parsed(skipped)["devices"][0]["reason"].get<std::string>().find("espfab device"), std::string::npos);

  EXPECT_EQ(run_espfab({"device", "resume", mac, "--profile", profile.string()}).exit_code, 64) << "needs --reason";
  const auto resume =
      run_espfab({"device", "resume", mac, "--profile", profile.string(), "--reason", "cable replaced", "--json"});
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_EQ(parsed(resume)["status"], "in_progress");
  const auto again = run_espfab(run_args(profile, {emulator.url()}));
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(parsed(again)["devices"][0]["result"], "provisioned");
  const std::string audit = read_text_file(dir / "station-data" / "audit.jsonl");
  EXPECT_NE(audit.find("\"device.resume\""), std::string::npos);
  EXPECT_NE(audit.find("cable replaced"), std::string::npos);
  // A provisioned device cannot be resumed.
  EXPECT_EQ(run_espfab({"device", "resume", mac, "--profile", profile.string(), "--reason", "x"}).exit_code, 6);
}

// The cable is cut right after the final lock has burned (the demo plan's 8th program cycle): the
// station never hears the reply, the device is a fault, and from then on the ROM is in Secure
// Download Mode and cannot tell its MAC. With the cable back, the chip on that fixture is taken for
// the device the fixture saw last, as its boot was verified, and finished: by itself (auto_resume)
// or after `espfab device resume`.
json run_into_a_fault_after_the_final_lock(const fs::path& profile, const EmulatorProcess& emulator) {
  return run_into_a_fault_at(profile, emulator, "drop_after_burn=8", "final-lock");
}

TEST(StationRecoveryE2e, ALockedChipWhoseFinalLockWasNotHeardResumesByItsFixture) {
  TempDir dir;
  const auto profile = assets(dir);
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  const auto faulted = run_into_a_fault_after_the_final_lock(profile, emulator);
  const auto again = run_espfab(run_args(profile, {emulator.url()}));
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  const auto summary = parsed(again);
  EXPECT_EQ(summary["devices"][0]["result"], "provisioned") << again.out;
  EXPECT_EQ(summary["devices"][0]["mac"], faulted["devices"][0]["mac"]);
  EXPECT_EQ(summary["devices"][0]["serial"], faulted["devices"][0]["serial"]);
  const std::string audit = read_text_file(dir / "station-data" / "audit.jsonl");
  EXPECT_NE(audit.find("\"identified_by\":\"fixture (Secure Download Mode)\""), std::string::npos) << audit;
  EXPECT_EQ(run_espfab({"audit", "verify", "--profile", profile.string()}).exit_code, 0);
}

TEST(StationRecoveryE2e, ALockedChipIsNotTakenForAnOlderDeviceOfItsFixture) {
  TempDir dir;
  const auto profile = assets(dir);
  set_auto_resume(profile, false);
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  const auto faulted = run_into_a_fault_after_the_final_lock(profile, emulator);
  const std::string mac = faulted["devices"][0]["mac"];
  const auto skipped = run_espfab(run_args(profile, {emulator.url()}));
  EXPECT_EQ(parsed(skipped)["devices"][0]["result"], "skipped") << skipped.out;
  EXPECT_NE(parsed(skipped)["devices"][0]["reason"].get<std::string>().find("auto_resume is off"), std::string::npos)
      << skipped.out;
  ASSERT_EQ(
      run_espfab({"device", "resume", mac, "--profile", profile.string(), "--reason", "cable replaced"}).exit_code, 0);
  const auto again = run_espfab(run_args(profile, {emulator.url()}));
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(parsed(again)["devices"][0]["result"], "provisioned") << again.out;
  EXPECT_EQ(parsed(again)["devices"][0]["mac"], mac);
  // Now the provisioned device is the last this fixture saw: the locked chip there is skipped, never
  // taken for the device again (nor for any older one).
  const auto once_more = run_espfab(run_args(profile, {emulator.url()}));
  EXPECT_EQ(parsed(once_more)["devices"][0]["result"], "skipped") << once_more.out;
  EXPECT_EQ(run_espfab({"audit", "verify", "--profile", profile.string()}).exit_code, 0);
}

TEST(StationRecoveryE2e, ScrapRetiresTheDeviceAndRevokesItsCertificate) {
  TempDir dir;
  const auto profile = assets(dir);
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  const auto faulted = run_into_a_fault(profile, emulator);
  const std::string mac = faulted["devices"][0]["mac"];
  const auto scrap =
      run_espfab({"device", "scrap", mac, "--profile", profile.string(), "--reason", "cracked module", "--json"});
  ASSERT_EQ(scrap.exit_code, 0) << scrap.err;
  EXPECT_EQ(parsed(scrap)["status"], "scrapped");
  EXPECT_FALSE(parsed(scrap)["certificate_revoked"].get<std::string>().empty());
  const auto record = parsed(run_espfab({"report", "--profile", profile.string(), "--device", mac}));
  EXPECT_FALSE(record.contains("certificate"));
  EXPECT_EQ(record["revoked_certificates"].size(), 1u);
  const auto again = run_espfab(run_args(profile, {emulator.url()}));
  EXPECT_EQ(parsed(again)["devices"][0]["result"], "skipped");
  EXPECT_NE(parsed(again)["devices"][0]["reason"].get<std::string>().find("scrapped"), std::string::npos);
  const std::string audit = read_text_file(dir / "station-data" / "audit.jsonl");
  EXPECT_NE(audit.find("\"device.scrapped\""), std::string::npos);
  EXPECT_NE(audit.find("\"identity.revoked\""), std::string::npos);
  EXPECT_EQ(run_espfab({"audit", "verify", "--profile", profile.string()}).exit_code, 0);
}

TEST(StationRecoveryE2e, AFixtureThatCannotBeOpenedAndAllRejectedExitNonZero) {
  TempDir dir;
  const auto profile = assets(dir);
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {"--fault", "0:gpio_stuck=5:low"}});
  const auto run = run_espfab(run_args(profile, {emulator.url(), "/dev/espfab-no-such-port"}));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const auto summary = parsed(run);
  ASSERT_EQ(summary["fixtures"].size(), 2u);
  EXPECT_EQ(summary["fixtures"][1]["state"], "stopped");
  EXPECT_NE(summary["fixtures"][1]["reason"].get<std::string>().find("cannot open"), std::string::npos);
  EXPECT_EQ(summary["devices"][0]["result"], "rejected");
  EXPECT_NE(run.err.find("every device (1) was rejected"), std::string::npos) << run.err;
}

// A disk that fills up mid-run (each file limited to 160 KiB: SQLite and the records then get
// EFBIG as on a full disk): the station stops cleanly, no crash, the device is not rejected and
// finishes when the disk has room again.
TEST(StationRecoveryE2e, AFullDiskInterruptsTheStationAndTheDeviceResumes) {
  TempDir dir;
  const auto profile = assets(dir);
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  std::string command = "trap '' XFSZ; exec prlimit --fsize=163840 " + espfab_binary().string();
  for (const auto& arg : run_args(profile, {emulator.url()})) command += " '" + arg + "'";
  const auto full = run_command("/bin/bash", {"-c", command});
  EXPECT_EQ(full.exit_code, 1) << full.out << full.err;
  EXPECT_EQ(full.err.find("terminate called"), std::string::npos) << full.err;
  const auto summary = parsed(full);
  ASSERT_EQ(summary["devices"].size(), 1u) << summary.dump(2);
  EXPECT_EQ(summary["devices"][0]["result"], "interrupted") << summary.dump(2);
  EXPECT_FALSE(summary["station_stopped"].get<std::string>().empty());
  const auto again = run_espfab(run_args(profile, {emulator.url()}));
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(parsed(again)["devices"][0]["result"], "provisioned") << again.out;
  EXPECT_EQ(run_espfab({"audit", "verify", "--profile", profile.string()}).exit_code, 0);
}

// Power fails in the middle of one of the station's own eFuse program cycles (the Nth): the block
// is half written. A half-written key block (RS-coded: it reads with errors) is recorded as this
// station's interrupted burn, never as "eFuse errors before anything is burned", and the intent
// stays open in the audit log; a half-written BLOCK0 (no RS) is finished by the retry, and the
// audit log reconciles the intent. Either way audit verify passes.
TEST(StationRecoveryE2e, APowerLossDuringABurnIsRecordedAsTheStationsOwnInterruptedBurn) {
  std::map<std::string, int> outcomes;
  for (const int cycle : {1, 2, 3, 4}) {
    SCOPED_TRACE(cycle);
    TempDir dir;
    const auto profile = assets(dir);
    EmulatorProcess emulator(
        EmulatorOptions{1, "rfc2217", dir / "devices", {"--fault", fmt::format("0:efuse_power_loss={}", cycle)}});
    const auto run = run_espfab(run_args(profile, {emulator.url()}));
    const auto device = parsed(run)["devices"][0];
    const std::string result = device["result"];
    const std::string reason = device["reason"];
    ++outcomes[result];
    EXPECT_EQ(reason.find("before anything is burned"), std::string::npos) << reason;
    const std::string audit = read_text_file(dir / "station-data" / "audit.jsonl");
    EXPECT_NE(audit.find("\"efuse.burn.begin\""), std::string::npos);
    const auto verify = run_espfab({"audit", "verify", "--profile", profile.string(), "--json"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
    if (result == "provisioned") {
      EXPECT_EQ(run.exit_code, 0) << run.err;
      EXPECT_NE(audit.find("\"efuse.burn.reconciled\""), std::string::npos) << "the cut cycle is accounted for";
      EXPECT_TRUE(parsed(verify)["open_intents"].empty()) << verify.out;
      continue;
    }
    ASSERT_EQ(result, "fault") << device.dump(2);
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(reason.find("this station's burn of"), std::string::npos) << reason;
    EXPECT_FALSE(parsed(verify)["open_intents"].empty()) << verify.out;
    // Back in the fixture, it is not resumed by itself: its eFuses read with errors.
    control(emulator, "fault 0 clear");
    const auto again = run_espfab(run_args(profile, {emulator.url()}));
    EXPECT_EQ(parsed(again)["devices"][0]["result"], "skipped") << again.out;
    EXPECT_NE(parsed(again)["devices"][0]["reason"].get<std::string>().find("read with errors"), std::string::npos);
  }
  EXPECT_GT(outcomes["fault"], 0) << "a half-written key block";
  EXPECT_GT(outcomes["provisioned"], 0) << "a half-written BLOCK0, finished";
}

}  // namespace
}  // namespace espfab::test
