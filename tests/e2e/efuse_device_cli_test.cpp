// `espfab efuse summary|check|burn --port` against a built espfab-emu: the live summary equals the
// summary of the device's own espefuse-layout state file, a burn is a dry run until --confirm, the
// confirmed lock-down shows the §5 table of docs/boot-behaviour.md flags, a second run burns nothing, the final lock
// waits for --include-final-lock, and a refused plan burns nothing (exit 6).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/emulator_process.hpp"
#include "support/run_command.hpp"
#include "support/secret_scan.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

namespace espfab::test {
namespace {

std::string fmt_hex(unsigned char byte) {
  static const char* digits = "0123456789abcdef";
  return {digits[byte >> 4], digits[byte & 0xF]};
}

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
  // docs/boot-behaviour.md §5: SB digest + SECURE_BOOT_EN + extras, FE on, JTAG off; no secure download yet.
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

TEST(EfuseDeviceCli, PlanFileIsBurnedLaterAndRefusedWhenStale) {
  EmulatorProcess emu;
  TempDir dir;
  const auto plan_path = (dir.path() / "plan.json").string();
  auto plan_args = lockdown_args(emu.url());
  plan_args[1] = "plan";
  plan_args.insert(plan_args.end(), {"--out", plan_path});
  const auto planned = run_espfab(plan_args);
  ASSERT_EQ(planned.exit_code, 0) << planned.err;
  std::ifstream in(plan_path);
  const auto plan = nlohmann::json::parse(in);
  EXPECT_EQ(plan.at("format"), "espfab-efuse-plan/1");
  EXPECT_EQ(plan.at("batches").at(0).at("key_blocks").at(0).at("source"), "device_flash_encryption_key");
  EXPECT_EQ(plan.at("batches").at(0).at("key_blocks").at(0).at("digest"), "") << "no key bytes in a plan file";

  // A stale plan: someone burns another field after the plan was made.
  EmulatorProcess other;
  const auto other_plan = (dir.path() / "other.json").string();
  auto other_args = lockdown_args(other.url());
  other_args[1] = "plan";
  other_args.insert(other_args.end(), {"--out", other_plan});
  ASSERT_EQ(run_espfab(other_args).exit_code, 0);
  ASSERT_EQ(run_espfab({"efuse", "burn", "--port", other.url(), "DIS_USB_OTG", "1", "--confirm"}).exit_code, 0);
  const auto before_stale = summary(other.url());
  const auto stale = run_espfab({"efuse", "burn", "--port", other.url(), "--plan", other_plan, "--confirm"});
  EXPECT_EQ(stale.exit_code, 6) << stale.err;
  EXPECT_NE(stale.err.find("security.burn.stale_plan"), std::string::npos) << stale.err;
  EXPECT_EQ(summary(other.url()), before_stale);

  const auto burned = run_espfab({"efuse", "burn", "--port", emu.url(), "--plan", plan_path, "--confirm", "--json"});
  ASSERT_EQ(burned.exit_code, 0) << burned.err;
  EXPECT_EQ(security_info(emu.url()).at("flags"), "0x000006f1");
}

TEST(EfuseDeviceCli, DamagedPlanFileIsBadInputNamingTheFile) {
  EmulatorProcess emu;
  TempDir dir;
  const auto plan_path = (dir.path() / "plan.json").string();
  auto plan_args = lockdown_args(emu.url());
  plan_args[1] = "plan";
  plan_args.insert(plan_args.end(), {"--out", plan_path});
  ASSERT_EQ(run_espfab(plan_args).exit_code, 0);
  std::ifstream in(plan_path);
  const auto plan = nlohmann::json::parse(in);
  const std::vector<std::pair<std::string, std::string>> damages{
      {"/batches/0/key_blocks/0/digest", "zz"},
      {"/batches/0/key_blocks/0/source", "somewhere"},
      {"/batches/0/key_blocks/0/purpose", "NO_SUCH_PURPOSE"},
  };
  for (const auto& [pointer, value] : damages) {
    auto damaged = plan;
    damaged[nlohmann::json::json_pointer(pointer)] = value;
    const auto damaged_path = (dir.path() / "damaged.json").string();
    std::ofstream(damaged_path) << damaged.dump();
    const auto result = run_espfab({"efuse", "burn", "--port", emu.url(), "--plan", damaged_path, "--confirm"});
    EXPECT_EQ(result.exit_code, 2) << pointer << ": " << result.err;
    EXPECT_NE(result.err.find("error[cli.plan_format]: " + damaged_path), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(value), std::string::npos) << result.err;
  }
}

TEST(EfuseDeviceCli, DirectKeyAndProtectCommands) {
  EmulatorProcess emu;
  TempDir dir;
  // burn-key-digest: dry run, then burned; the block holds the digest, purpose SECURE_BOOT_DIGEST1.
  const std::vector<std::string> digest_args{"efuse",
                                             "burn-key-digest",
                                             "--port",
                                             emu.url(),
                                             "BLOCK_KEY2",
                                             vector_path("sbv2_rsa3072_key2_pub.pem"),
                                             "SECURE_BOOT_DIGEST1"};
  const auto virgin = summary(emu.url());
  ASSERT_EQ(run_espfab(digest_args).exit_code, 0);
  EXPECT_EQ(summary(emu.url()), virgin);
  auto confirmed = digest_args;
  confirmed.push_back("--confirm");
  const auto digest = run_espfab(confirmed);
  ASSERT_EQ(digest.exit_code, 0) << digest.err;
  auto after = summary(emu.url());
  EXPECT_EQ(after.at("KEY_PURPOSE_2").at("value"), "SECURE_BOOT_DIGEST1");
  std::string expected_digest;
  {
    std::ifstream file(vector_path("sbv2_rsa3072_key2_pubkey_digest.bin"), std::ios::binary);
    for (char c = 0; file.get(c);) {
      if (!expected_digest.empty()) expected_digest += ' ';
      expected_digest += fmt_hex(static_cast<unsigned char>(c));
    }
  }
  EXPECT_EQ(after.at("BLOCK_KEY2").at("value"), expected_digest);

  // burn-key: an XTS key into BLOCK_KEY5 is refused; into BLOCK_KEY0 it is burned, hidden, never printed.
  const auto key_path = dir.path() / "fe.bin";
  std::string key_hex;
  {
    std::ofstream key(key_path, std::ios::binary);
    for (int i = 0; i < 32; ++i) {
      key.put(static_cast<char>(0x40 + i));
      key_hex += fmt_hex(static_cast<unsigned char>(0x40 + i));
    }
  }
  const auto refused = run_espfab(
      {"efuse", "burn-key", "--port", emu.url(), "BLOCK_KEY5", key_path.string(), "XTS_AES_128_KEY", "--confirm"});
  EXPECT_EQ(refused.exit_code, 6) << refused.err;
  EXPECT_NE(refused.err.find("xts_key5"), std::string::npos) << refused.err;
  const auto key = run_espfab(
      {"efuse", "burn-key", "--port", emu.url(), "BLOCK_KEY0", key_path.string(), "XTS_AES_128_KEY", "--confirm"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_EQ(key.out.find(key_hex), std::string::npos);
  EXPECT_EQ(key.err.find(key_hex), std::string::npos);
  after = summary(emu.url());
  EXPECT_EQ(after.at("KEY_PURPOSE_0").at("value"), "XTS_AES_128_KEY");
  EXPECT_EQ(after.at("BLOCK_KEY0").at("readable"), false);
  // A second key into the same block: refused by the planner, nothing burned.
  const auto again = run_espfab(
      {"efuse", "burn-key", "--port", emu.url(), "BLOCK_KEY0", key_path.string(), "XTS_AES_128_KEY", "--confirm"});
  EXPECT_EQ(again.exit_code, 6) << again.err;
  EXPECT_EQ(summary(emu.url()), after);

  // An HMAC key: burned as it is (not reversed), read-protected by default; readable with
  // --no-read-protect, so the bytes can be checked.
  const auto hmac_path = dir.path() / "hmac.bin";
  std::string hmac_spaced;
  {
    std::ofstream hmac(hmac_path, std::ios::binary);
    for (int i = 0; i < 32; ++i) {
      hmac.put(static_cast<char>(0x90 + i));
      if (!hmac_spaced.empty()) hmac_spaced += ' ';
      hmac_spaced += fmt_hex(static_cast<unsigned char>(0x90 + i));
    }
  }
  const auto hmac = run_espfab({"efuse", "burn-key", "--port", emu.url(), "BLOCK_KEY4", hmac_path.string(),
                                "HMAC_DOWN_DIGITAL_SIGNATURE", "--no-read-protect", "--confirm"});
  ASSERT_EQ(hmac.exit_code, 0) << hmac.err;
  after = summary(emu.url());
  EXPECT_EQ(after.at("KEY_PURPOSE_4").at("value"), "HMAC_DOWN_DIGITAL_SIGNATURE");
  EXPECT_EQ(after.at("BLOCK_KEY4").at("value"), hmac_spaced);
  EXPECT_EQ(run_espfab({"efuse", "burn-key", "--port", emu.url(), "BLOCK_KEY3", hmac_path.string(),
                        "SECURE_BOOT_DIGEST2", "--confirm"})
                .exit_code,
            2);

  // write-protect / read-protect.
  ASSERT_EQ(run_espfab({"efuse", "write-protect", "--port", emu.url(), "DIS_USB_OTG", "--confirm"}).exit_code, 0);
  EXPECT_EQ(summary(emu.url()).at("DIS_USB_OTG").at("writeable"), false);
  ASSERT_EQ(run_espfab({"efuse", "read-protect", "--port", emu.url(), "BLOCK_KEY3", "--confirm"}).exit_code, 0);
  EXPECT_EQ(summary(emu.url()).at("BLOCK_KEY3").at("readable"), false);
}

TEST(EfuseDeviceCli, RomEncryptedWriteEqualsHostEncryption) {
  EmulatorProcess emu;
  TempDir dir;
  const auto key = dir.path() / "key.bin";
  const auto data = dir.path() / "data.bin";
  {
    std::ofstream k(key, std::ios::binary);
    for (int i = 0; i < 32; ++i) k.put(static_cast<char>(i * 7 + 1));
    std::ofstream d(data, std::ios::binary);
    for (int i = 0; i < 8192; ++i) d.put(static_cast<char>((i * 31) ^ (i >> 5)));
  }
  ASSERT_EQ(
      run_espfab({"efuse", "burn-key", "--port", emu.url(), "BLOCK_KEY0", key.string(), "XTS_AES_128_KEY", "--confirm"})
          .exit_code,
      0);
  const auto written = run_espfab({"write-flash", "--port", emu.url(), "--encrypt", "0x10000", data.string()});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  const auto back = dir.path() / "back.bin";
  ASSERT_EQ(run_espfab({"read-flash", "--port", emu.url(), "0x10000", "8192", back.string()}).exit_code, 0);
  const auto expected = dir.path() / "expected.bin";
  ASSERT_EQ(run_espfab({"flash-encryption", "encrypt", "--key", key.string(), "--address", "0x10000", "-o",
                        expected.string(), data.string()})
                .exit_code,
            0);
  std::ifstream a(back, std::ios::binary);
  std::ifstream b(expected, std::ios::binary);
  const std::string got((std::istreambuf_iterator<char>(a)), std::istreambuf_iterator<char>());
  const std::string want((std::istreambuf_iterator<char>(b)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got.size(), 8192u);
  EXPECT_TRUE(got == want) << "the ROM's XTS encryption differs from espfab flash-encryption encrypt";
}

TEST(EfuseDeviceCli, PlanAndBurnFromAStationProfile) {
  EmulatorProcess emu;
  TempDir dir;
  const auto profile = dir.path() / "station.toml";
  {
    std::ofstream out(profile);
    out << "[security]\n"
           "flash_encryption = \"xts-128\"\n"
           "secure_boot_keys = [\""
        << vector_path("sbv2_rsa3072_key1_pub.pem")
        << "\"]\n"
           "final_lock = \"secure-download\"\n"
           "[images]\n"
           "bootloader = \""
        << vector_path("signed_key1.bin")
        << "\"\n"
           "production_app = \""
        << vector_path("signed_unaligned_key1.bin") << "\"\n";
  }
  const auto plan = run_espfab({"efuse", "plan", "--port", emu.url(), "--profile", profile.string(), "--json"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto batches = nlohmann::json::parse(plan.out).at("plan").at("batches");
  EXPECT_EQ(batches.at(0).at("name"), "flash-encryption key");
  EXPECT_TRUE(batches.back().at("after_boot_verified").get<bool>());
  const auto burned = run_espfab({"efuse", "burn", "--port", emu.url(), "--profile", profile.string(), "--confirm"});
  ASSERT_EQ(burned.exit_code, 0) << burned.err;
  EXPECT_EQ(security_info(emu.url()).at("flags"), "0x000006f1");
  // Options and a profile together are ambiguous.
  EXPECT_EQ(
      run_espfab({"efuse", "plan", "--port", emu.url(), "--profile", profile.string(), "--flash-encryption", "xts-256"})
          .exit_code,
      2);
}

TEST(EfuseDeviceCli, ABadProfileListsEveryProblemWithItsLine) {
  EmulatorProcess emu;
  TempDir dir;
  const auto profile = dir.path() / "bad.toml";
  {
    std::ofstream out(profile);
    out << "[security]\n"
           "flash_encryptoin = \"xts-128\"\n"        // line 2: typo
           "final_lock = \"maybe\"\n"                // line 3: bad value
           "secure_boot_keys = [\"missing.pem\"]\n"  // line 4: no such file
           "[images]\n"
           "bootloader = \"nowhere.bin\"\n";  // line 6
  }
  const auto virgin = summary(emu.url());
  const auto result = run_espfab({"efuse", "burn", "--port", emu.url(), "--profile", profile.string(), "--confirm"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  for (const char* expected : {"bad.toml:2:", "flash_encryptoin", "bad.toml:3:", "maybe", "bad.toml:4:", "missing.pem",
                               "bad.toml:6:", "nowhere.bin", "says nothing about flash encryption", "5 problem(s)"}) {
    EXPECT_NE(result.err.find(expected), std::string::npos) << expected << "\n" << result.err;
  }
  EXPECT_EQ(summary(emu.url()), virgin);
}

TEST(EfuseDeviceCli, NoKeyBytesInLogsOrFiles) {
  EmulatorProcess emu;
  TempDir dir;
  const auto key_path = dir.path() / "fe.bin";
  Bytes key(32);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0xC0 ^ (i * 11));
  {
    std::ofstream out(key_path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(key.data()), static_cast<std::streamsize>(key.size()));
  }
  const auto log = dir.path() / "trace.log";
  const auto plan = dir.path() / "plan.json";
  const auto burned = run_espfab({"--log-level", "trace", "--log-file", log.string(), "efuse", "burn", "--port",
                                  emu.url(), "--flash-encryption", "xts-128", "--fe-key", key_path.string(),
                                  "--keep-jtag", "--final-lock", "none", "--confirm"});
  ASSERT_EQ(burned.exit_code, 0) << burned.err;
  ASSERT_EQ(run_espfab({"efuse", "plan", "--port", emu.url(), "--flash-encryption", "xts-128", "--out", plan.string()})
                .exit_code,
            0);
  Bytes reversed(key.rbegin(), key.rend());
  std::string hex;
  for (auto b : key) hex += fmt_hex(b);
  std::string reversed_hex;
  for (auto b : reversed) reversed_hex += fmt_hex(b);
  std::vector<Bytes> needles{key, reversed, Bytes(hex.begin(), hex.end()),
                             Bytes(reversed_hex.begin(), reversed_hex.end())};
  // The block words as a register trace would print them (PGM_DATA writes, key block reads).
  for (std::size_t w = 0; w < 8; ++w) {
    std::uint32_t word = 0;
    for (std::size_t b = 0; b < 4; ++b) word |= std::uint32_t{reversed[4 * w + b]} << (8 * b);
    char text[9];
    std::snprintf(text, sizeof text, "%08x", word);
    needles.emplace_back(text, text + 8);
    std::string bytes_hex;  // the same word as little-endian frame bytes in a hex dump
    for (std::size_t b = 0; b < 4; ++b) bytes_hex += fmt_hex(reversed[4 * w + b]);
    needles.emplace_back(bytes_hex.begin(), bytes_hex.end());
  }
  EXPECT_TRUE(std::filesystem::exists(log));
  EXPECT_EQ(files_containing(dir.path(), needles, {"fe.bin"}), std::vector<std::string>{});
  for (const auto& needle : needles) {
    EXPECT_FALSE(contains_bytes(burned.out, needle));
    EXPECT_FALSE(contains_bytes(burned.err, needle));
  }
}

}  // namespace
}  // namespace espfab::test
