// `espfab efuse summary|check|burn --port` against a built espfab-emu: the live summary equals the
// summary of the device's own espefuse-layout state file, a burn is a dry run until --confirm, the
// confirmed lock-down shows the boot spec's §5 flags, a second run burns nothing, the final lock
// waits for --include-final-lock, and a refused plan burns nothing (exit 6).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "support/emulator_process.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

namespace espfab::test {
namespace {

std::string vector_path(const std::string& name) { return (vectors_dir() / "secure_boot_v2" / name).string(); }

std::vector<std::string> lockdown_args(const std::string& url) {
  return {"efuse",
          "burn",
          "--port",
          url,
          "--flash-encryption",
          "xts-128",
          "--secure-boot-key",
          vector_path("sbv2_rsa3072_key1_pub.pem"),
          "--bootloader",
          vector_path("signed_key1.bin"),
          "--app",
          vector_path("signed_unaligned_key1.bin")};
}

nlohmann::json summary(const std::string& url) {
  const auto result = run_espfab({"efuse", "summary", "--port", url, "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

nlohmann::json security_info(const std::string& url) {
  const auto result = run_espfab({"security-info", "--port", url, "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

TEST(EfuseDeviceCli, LiveSummaryEqualsTheStateFileSummary) {
  TempDir state;
  EmulatorOptions options;
  options.state_dir = state.path();
  EmulatorProcess emu(options);
  const auto live = run_espfab({"efuse", "summary", "--port", emu.url(), "--json"});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  const auto file =
      run_espfab({"efuse", "summary", "--file", (state.path() / "dev0" / "efuse.bin").string(), "--json"});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_EQ(live.out, file.out);
  EXPECT_EQ(nlohmann::json::parse(live.out).at("MAC").at("value"), "7c:df:a1:00:00:00 (OK)");
  const auto check = run_espfab({"efuse", "check", "--port", emu.url()});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  const auto none = run_espfab({"efuse", "summary"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("--port"), std::string::npos) << none.err;
}

TEST(EfuseDeviceCli, BurnIsADryRunUntilConfirmedThenIdempotent) {
  EmulatorProcess emu;
  const auto virgin = summary(emu.url());
  auto dry = run_espfab(lockdown_args(emu.url()));
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("Dry run: nothing burned"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("never shown"), std::string::npos) << dry.out;
  EXPECT_EQ(summary(emu.url()), virgin);

  auto args = lockdown_args(emu.url());
  args.push_back("--confirm");
  args.push_back("--json");
  const auto burned = run_espfab(args);
  ASSERT_EQ(burned.exit_code, 0) << burned.err;
  const auto report = nlohmann::json::parse(burned.out);
  EXPECT_TRUE(report.at("burned").get<bool>());
  EXPECT_TRUE(report.at("final_lock_held_back").get<bool>());
  // Boot spec §5: SB digest + SECURE_BOOT_EN + extras, FE on, JTAG off; no secure download yet.
  const auto info = security_info(emu.url());
  EXPECT_EQ(info.at("flash_crypt_cnt"), 7);
  EXPECT_EQ(info.at("key_purposes").at(0), 4);
  EXPECT_EQ(info.at("key_purposes").at(1), 9);
  EXPECT_EQ(info.at("flags"), "0x000006f1");  // bits 0, 4-7, 9, 10
  const auto after = summary(emu.url());
  EXPECT_EQ(after.at("BLOCK_KEY0").at("readable"), false);

  const auto again = run_espfab(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_FALSE(nlohmann::json::parse(again.out).at("burned").get<bool>()) << again.out;
  EXPECT_EQ(summary(emu.url()), after);

  args.push_back("--include-final-lock");
  const auto locked = run_espfab(args);
  ASSERT_EQ(locked.exit_code, 0) << locked.err;
  EXPECT_TRUE(nlohmann::json::parse(locked.out).at("burned").get<bool>()) << locked.out;
  const auto flags = std::stoul(security_info(emu.url()).at("flags").get<std::string>(), nullptr, 16);
  EXPECT_NE(flags & 0x4u, 0u) << "SECURE_DOWNLOAD_ENABLE";
}

TEST(EfuseDeviceCli, ARefusedPlanBurnsNothing) {
  EmulatorProcess emu;
  const auto virgin = summary(emu.url());
  // Secure Boot without the images it must accept: the planner refuses (exit 6), names the rule.
  const auto refused = run_espfab({"efuse", "burn", "--port", emu.url(), "--flash-encryption", "xts-128",
                                   "--secure-boot-key", vector_path("sbv2_rsa3072_key1_pub.pem"), "--confirm"});
  EXPECT_EQ(refused.exit_code, 6) << refused.err;
  EXPECT_NE(refused.err.find("unsigned_images"), std::string::npos) << refused.err;
  EXPECT_EQ(summary(emu.url()), virgin);
  // A key file of the wrong size: bad input before the device is touched.
  TempDir dir;
  const auto key = dir.path() / "key.bin";
  { std::ofstream(key, std::ios::binary) << std::string(20, 'k'); }
  const auto bad = run_espfab(
      {"efuse", "burn", "--port", emu.url(), "--flash-encryption", "xts-128", "--fe-key", key.string(), "--confirm"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_EQ(summary(emu.url()), virgin);
}

}  // namespace
}  // namespace espfab::test
