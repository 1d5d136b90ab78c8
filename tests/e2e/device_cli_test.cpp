// The device commands as a user runs them: espfab against a built espfab-emu over socket://
// (no link delays), in ROM mode and with a stub, including their errors and exit codes.
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <random>

#include "support/emulator_process.hpp"
#include "support/esptool_js_stub.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

namespace espfab::test {
namespace {

std::filesystem::path write_bytes(const TempDir& dir, const std::string& name, const std::string& data) {
  std::ofstream(dir / name, std::ios::binary) << data;
  return dir / name;
}

std::string random_text(std::size_t size) {
  std::mt19937 rng(42);
  std::string data(size, '\0');
  for (auto& c : data) c = static_cast<char>(rng() % 5 == 0 ? rng() : 'A' + rng() % 3);
  return data;
}

// esptool-js 0.7.0's ESP32-S3 stub JSON (espfab-emu runs published stubs only).
std::string known_stub() { return esptool_js_stub().path.string(); }

TEST(DeviceCli, IdentifiesTheChip) {
  EmulatorProcess emu;
  auto result = run_espfab({"chip-id", "--port", emu.url()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Chip: ESP32-S3"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("MAC: 7c:df:a1:00:00:00"), std::string::npos) << result.out;
  result = run_espfab({"read-mac", "--port", emu.url(), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out).at("mac"), "7c:df:a1:00:00:00");
  result = run_espfab({"flash-id", "--port", emu.url(), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out).at("size_bytes"), 8 * 1024 * 1024);
  result = run_espfab({"security-info", "--port", emu.url(), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out).at("chip_id"), 9);
}

TEST(DeviceCli, ConnectionOptionsBeforeTheCommandAsWithEsptool) {
  EmulatorProcess emu;
  auto result = run_espfab({"--port", emu.url(), "--baud", "115200", "chip-id"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Chip: ESP32-S3"), std::string::npos) << result.out;
  result = run_espfab({"--log-level", "warn", "--port=" + emu.url(), "read-mac", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out).at("mac"), "7c:df:a1:00:00:00");
  // The subcommand's own --port wins over nothing else being given before it.
  result = run_espfab({"--baud", "115200", "chip-id", "--port", emu.url()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST(DeviceCli, PortFromEnvironment) {
  EmulatorProcess emu;
  ::setenv("ESPFAB_PORT", emu.url().c_str(), 1);
  const auto result = run_espfab({"chip-id"});
  ::unsetenv("ESPFAB_PORT");
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST(DeviceCli, WriteThenReadBackInRomAndStubMode) {
  EmulatorProcess emu;
  TempDir dir;
  const std::string app = random_text(70'000);
  const auto app_path = write_bytes(dir, "app.bin", app);
  auto result = run_espfab({"write-flash", "--port", emu.url(), "--no-stub", "--json", "0x10000", app_path.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto written = nlohmann::json::parse(result.out);
  EXPECT_EQ(written.at("loader"), "rom");
  EXPECT_TRUE(written.at("regions").at(0).at("verified").get<bool>());

  result = run_espfab(
      {"read-flash", "--port", emu.url(), "--stub", known_stub(), "0x10000", "70000", (dir / "back.bin").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::ifstream back(dir / "back.bin", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(back), {}), app);

  result = run_espfab(
      {"write-flash", "--port", emu.url(), "--stub", known_stub(), "--skip-unchanged", "0x10000", app_path.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("unchanged, skipped"), std::string::npos) << result.out;

  result = run_espfab({"erase-region", "--port", emu.url(), "--stub", known_stub(), "0x10000", "4K"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST(DeviceCli, EraseWithoutStubIsRefusedWithHint) {
  EmulatorProcess emu;
  auto result = run_espfab({"erase-flash", "--port", emu.url(), "--no-stub", "--after", "no_reset"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("error[flash.erase_needs_stub]"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("hint: use the flasher stub"), std::string::npos) << result.err;
  result = run_espfab({"--no-stub", "erase-region", "--port", emu.url(), "--json", "0x1000", "0x1000"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(nlohmann::json::parse(result.out).at("error").at("code"), "flash.erase_needs_stub");
}

TEST(DeviceCli, InputErrorsBeforeTouchingTheDevice) {
  auto result = run_espfab({"chip-id"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("ESPFAB_PORT"), std::string::npos) << result.err;
  result = run_espfab({"write-flash", "--port", "socket://127.0.0.1:1", "0x1000"});
  EXPECT_NE(result.exit_code, 0);
  result = run_espfab({"write-flash", "--port", "socket://127.0.0.1:1", "0x1001", "/nonexistent"});
  EXPECT_EQ(result.exit_code, 7) << result.err;  // the file is read before connecting
  result = run_espfab({"chip-id", "--port", "ftp://x:1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("transport.bad_url"), std::string::npos);
}

TEST(DeviceCli, EndlessInputFileIsRefusedAtTheLimit) {
  const auto result = run_espfab({"write-flash", "--port", "socket://127.0.0.1:1", "0x0", "/dev/zero"});
  EXPECT_EQ(result.exit_code, 2) << result.err;  // refused before connecting
  EXPECT_NE(result.err.find("error[io.too_large]"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("'/dev/zero'"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("64 MiB"), std::string::npos) << result.err;
}

TEST(DeviceCli, NobodyListeningIsIoError) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"chip-id", "--port", "socket://127.0.0.1:1"},
                                                                {"--port", "socket://127.0.0.1:1", "chip-id"}}) {
    const auto result = run_espfab(args);
    EXPECT_EQ(result.exit_code, 7) << result.err;
    EXPECT_NE(result.err.find("transport.connect_failed"), std::string::npos) << result.err;
  }
}

TEST(DeviceCli, TheStubIsUsedWithoutBeingAskedFor) {
  EmulatorProcess emu;
  TempDir dir;
  const std::vector<std::string> env{"ESPFAB_STUB=" + known_stub()};
  const auto version = run_espfab({"--version"}, env);
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_NE(version.out.find("loader: flasher stub " + known_stub() + " (ESPFAB_STUB)"), std::string::npos)
      << version.out;
  const auto app_path = write_bytes(dir, "app.bin", random_text(20'000));
  auto result = run_espfab({"write-flash", "--port", emu.url(), "--json", "0x10000", app_path.string()}, env);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out).at("loader"), "stub");
  result = run_espfab({"erase-region", "--port", emu.url(), "0x10000", "4K"}, env);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  // A stub named but not there is an error, not a quiet fall-back to the ROM loader.
  result = run_espfab({"chip-id", "--port", emu.url()}, {"ESPFAB_STUB=" + (dir / "typo.json").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("error[loader.stub_missing]"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace espfab::test
