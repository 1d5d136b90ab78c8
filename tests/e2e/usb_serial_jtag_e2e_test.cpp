// espfab over USB-Serial/JTAG ports (espfab-emu --protocol usb): DTR/RTS reach the chip through the
// emulator's preload library (the CDC-ACM driver's part) as core resets that keep the port; a chip
// reset takes the port away and it comes back under its by-id name. The station provisions four
// devices end to end, the CLI follows a port through a chip reset, and a chip whose
// USB-Serial/JTAG is burned off never comes back: the USB-only guard refuses that burn.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

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

// The by-id link itself (a new one at every enumeration; the pty number may be reused).
ino_t link_inode(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

std::vector<std::string> with_preload(const EmulatorProcess& emulator) {
  EXPECT_FALSE(emulator.preload().empty());
  return {"LD_PRELOAD=" + emulator.preload()};
}

TEST(UsbSerialJtagE2e, TheStationProvisionsFourDevicesOverUsbSerialJtag) {
  TempDir dir;
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  EmulatorProcess emulator(EmulatorOptions{4, "usb", dir / "devices", {}});
  std::vector<std::string> args{"--log-level", "error", "run",    "--profile",      (dir / "station.toml").string(),
                                "--count",     "4",     "--json", "--no-rehearsal", "--idle-timeout",
                                "15"};
  for (const auto& url : emulator.urls()) {
    EXPECT_NE(url.find("usb-Espressif_USB_JTAG_serial_debug_unit_"), std::string::npos) << url;
    args.insert(args.end(), {"--port", url});
  }
  const auto run = run_espfab(args, with_preload(emulator));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto summary = json::parse(run.out);
  ASSERT_EQ(summary["devices"].size(), 4u);
  std::set<std::string> macs;
  for (const auto& device : summary["devices"]) {
    EXPECT_EQ(device["result"], "provisioned") << device.dump();
    macs.insert(device["mac"].get<std::string>());
  }
  EXPECT_EQ(macs.size(), 4u);
  EXPECT_EQ(run_espfab({"audit", "verify", "--profile", (dir / "station.toml").string()}).exit_code, 0);
  // Every port re-enumerated many times (each reset) and is present again under its name.
  for (const auto& url : emulator.urls()) EXPECT_TRUE(fs::is_symlink(url)) << url;
}

TEST(UsbSerialJtagE2e, TheCliResetsThroughTheLinesAndFollowsThePortThroughAChipReset) {
  TempDir dir;
  EmulatorProcess emulator(EmulatorOptions{1, "usb", dir / "devices", {}});
  const auto env = with_preload(emulator);
  Bytes blob(70000);
  std::mt19937 rng(7);
  for (auto& byte : blob) byte = static_cast<std::uint8_t>(rng());
  write_file_atomic(dir / "blob.bin", blob);
  // --before usb_reset explicitly, then the default (the port is recognised by its by-id name).
  // Both are core resets: the USB-Serial/JTAG controller is not reset, the port stays.
  const auto before = link_inode(emulator.url());
  const auto write = run_espfab(
      {"write-flash", "--port", emulator.url(), "--before", "usb_reset", "0x100000", (dir / "blob.bin").string()}, env);
  ASSERT_EQ(write.exit_code, 0) << write.out << write.err;
  const auto read = run_espfab(
      {"read-flash", "--port", emulator.url(), "0x100000", std::to_string(blob.size()), (dir / "back.bin").string()},
      env);
  ASSERT_EQ(read.exit_code, 0) << read.out << read.err;
  EXPECT_EQ(read_file(dir / "back.bin"), blob);
  EXPECT_EQ(link_inode(emulator.url()), before);

  // A chip reset (the fixture's power, the EN pin) takes the device off the bus; the next command
  // waits for its port to come back under the same name and goes on.
  TcpLine control(emulator.control());
  control.send("reset boot 0\n");
  ASSERT_NE(control.read_until("\n").find("ok"), std::string::npos);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = !fs::exists(emulator.url());
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(gone) << "the chip reset did not take the port away";
  const auto mac = run_espfab({"read-mac", "--port", emulator.url()}, env);  // while it is still away
  ASSERT_EQ(mac.exit_code, 0) << mac.out << mac.err;
  EXPECT_NE(mac.out.find("7c:df:a1:00:00:00"), std::string::npos);

  // Without the CDC-ACM part the lines do not reach the chip, which runs its firmware: no sync.
  const auto no_lines = run_espfab({"read-mac", "--port", emulator.url(), "--connect-attempts", "2"});
  EXPECT_NE(no_lines.exit_code, 0);
  EXPECT_NE(no_lines.err.find("DTR/RTS cannot be set"), std::string::npos) << no_lines.err;
}

TEST(UsbSerialJtagE2e, BurningUsbSerialJtagOffLocksTheOnlyPortOutAndTheUsbOnlyGuardRefusesIt) {
  TempDir dir;
  EmulatorProcess emulator(EmulatorOptions{1, "usb", dir / "devices", {}});
  const auto env = with_preload(emulator);
  const auto guarded = run_espfab(
      {"efuse", "burn", "DIS_USB_SERIAL_JTAG", "1", "--usb-only", "--confirm", "--port", emulator.url()}, env);
  EXPECT_NE(guarded.exit_code, 0);
  EXPECT_NE(guarded.err.find("security.plan.usb_only_port"), std::string::npos) << guarded.err;
  ASSERT_EQ(run_espfab({"read-mac", "--port", emulator.url()}, env).exit_code, 0) << "the guard burned nothing";

  // Without the guard the burn goes through over the USB port itself, and at the next reset the
  // chip leaves the bus for good: a product whose only port is USB is bricked.
  const auto burned =
      run_espfab({"efuse", "burn", "DIS_USB_SERIAL_JTAG", "1", "--confirm", "--port", emulator.url()}, env);
  ASSERT_EQ(burned.exit_code, 0) << burned.out << burned.err;
  // The port leaves when the chip resets after the burn; a loaded machine may see it a moment later.
  for (int i = 0; i < 100 && fs::exists(emulator.url()); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto gone = run_espfab({"read-mac", "--port", emulator.url()}, env);
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_NE(gone.err.find("transport.port_not_found"), std::string::npos) << gone.err;
  EXPECT_FALSE(fs::exists(emulator.url()));
  const auto summary =
      run_espfab({"efuse", "summary", "--file", (dir / "devices" / "dev0" / "efuse.bin").string(), "--json"});
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  EXPECT_EQ(json::parse(summary.out)["DIS_USB_SERIAL_JTAG"]["value"], true);
}

TEST(UsbSerialJtagE2e, AStationProfileThatWouldLockOutTheOnlyPortIsRefusedBeforeAnyFixture) {
  TempDir dir;
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  std::string profile = read_text_file(dir / "station.toml");
  profile.replace(profile.find("[security]\n"), 11, "[security]\nusb_only = true\ndis_usb_serial_jtag = true\n");
  profile.replace(profile.find("jtag = \"off\""), 12, "jtag = \"keep\"");  // USB JTAG stays: no other refusal
  write_text_file_atomic(dir / "station.toml", profile);
  EmulatorProcess emulator(EmulatorOptions{1, "usb", dir / "devices", {}});
  const auto check = run_espfab({"check", "--profile", (dir / "station.toml").string(), "--offline"});
  EXPECT_EQ(check.exit_code, 2) << check.out << check.err;
  EXPECT_NE((check.out + check.err).find("USB is the product's only port"), std::string::npos)
      << check.out << check.err;
  const auto run = run_espfab({"run", "--profile", (dir / "station.toml").string(), "--port", emulator.url(), "--count",
                               "1", "--no-rehearsal", "--json"},
                              with_preload(emulator));
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_TRUE(fs::exists(emulator.url()));
  const auto summary =
      run_espfab({"efuse", "summary", "--file", (dir / "devices" / "dev0" / "efuse.bin").string(), "--json"});
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  EXPECT_EQ(json::parse(summary.out)["DIS_USB_SERIAL_JTAG"]["value"], false) << "nothing was burned";
}

}  // namespace
}  // namespace espfab::test
