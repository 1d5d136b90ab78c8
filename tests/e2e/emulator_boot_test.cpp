// espfab-emu as a fixture: images flashed with the espfab CLI, a normal boot through the control
// channel, the console read from the device's TCP port, the factory-test app answering on the
// same link, and a fault given on the command line changing its answers.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <string>

#include "support/emulator_process.hpp"
#include "support/run_command.hpp"
#include "support/tcp_line.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

namespace espfab::test {
namespace {

using Line = TcpLine;

// Bootloader + partition table + a factory-test app (project name patched by `image build`).
void flash_factory_firmware(const std::string& url, const TempDir& dir) {
  const auto boot = (dir.path() / "boot.bin").string();
  const auto app = (dir.path() / "app.bin").string();
  const auto table = (dir.path() / "pt.bin").string();
  ASSERT_EQ(run_espfab({"image", "build", "--elf", (vectors_dir() / "app_image" / "boot_elf.bin").string(), "-o", boot,
                        "--flash-mode", "dio", "--flash-size", "8MB"})
                .exit_code,
            0);
  ASSERT_EQ(run_espfab({"image", "build", "--elf", (vectors_dir() / "app_image" / "app_elf.bin").string(), "-o", app,
                        "--flash-mode", "dio", "--flash-size", "8MB"})
                .exit_code,
            0);
  const auto csv = dir.path() / "partitions.csv";
  {
    std::ofstream out(csv);
    out << "esp_secure_cert, 0x3F, , 0xD000, 0x2000, encrypted\n"
           "otadata, data, ota, 0x17000, 0x2000,\n"
           "factory, app, factory, 0x20000, 0x100000,\n"
           "ota_0, app, ota_0, 0x120000, 0x100000,\n";
  }
  ASSERT_EQ(run_espfab({"partition-table", csv.string(), "-o", table}).exit_code, 0);
  const auto written =
      run_espfab({"write-flash", "--port", url, "--after", "no_reset", "0x0", boot, "0x8000", table, "0x20000", app});
  ASSERT_EQ(written.exit_code, 0) << written.err;
}

TEST(EmulatorBoot, ControlResetBootsTheFlashedFirmware) {
  EmulatorProcess emu;
  TempDir dir;
  flash_factory_firmware(emu.url(), dir);
  Line control(emu.control());
  std::string console;
  {
    Line device(emu.url());  // one host at a time on a device port, like a serial port
    control.send("reset boot 0\n");
    EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
    console = device.read_until("main_task");
  }
  EXPECT_NE(console.find("rst:0x"), std::string::npos) << console;
  EXPECT_NE(console.find("boot: Loaded app from partition at offset 0x20000"), std::string::npos) << console;
  EXPECT_EQ(console.find("E ("), std::string::npos) << console;
  // No esp_secure_cert contents yet: the production app says so.
  EXPECT_NE(console.find("espfab_identity: no device certificate"), std::string::npos) << console;
  // Back to the ROM loader: the device answers espfab again.
  control.send("reset download 0\n");
  EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
  EXPECT_EQ(run_espfab({"chip-id", "--port", emu.url(), "--before", "no_reset"}).exit_code, 0);
}

TEST(EmulatorBoot, FaultOptionsAreCheckedAtStart) {
  const auto emu = build_dir() / "apps" / "espfab-emu" / "espfab-emu";
  auto result = run_command(emu, {"--devices", "2", "--fault", "5:no_psram"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("device index"), std::string::npos) << result.err;
  result = run_command(emu, {"--devices", "2", "--fault", "1:teleport=1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("teleport"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace espfab::test
