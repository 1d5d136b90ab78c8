// `espfab flash-encryption` and `espfab secure-boot` as a user runs them: outputs equal espsecure's
// vectors; bad input exits 2 naming the problem and leaves no output file; no key bytes appear in
// any output or log except the files the user asked for.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "support/run_command.hpp"
#include "support/secret_scan.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

std::string fe(const std::string& name) { return vector_path("flash_encryption/" + name).string(); }
std::string sb(const std::string& name) { return vector_path("secure_boot_v2/" + name).string(); }

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

TEST(SecurityCli, FlashEncryptionMatchesEspsecure) {
  TempDir dir;
  const std::pair<const char*, const char*> cases[] = {{"128", "0x0_4096"},    {"128", "0x1F0_32"},
                                                       {"128", "0x8010_48"},   {"256", "0x10000_65536"},
                                                       {"256", "0x8000_3072"}, {"256", "0x20000_1024"}};
  for (const auto& [bits, name] : cases) {
    SCOPED_TRACE(std::string(bits) + " " + name);
    const std::string key = fe(std::string("xts_aes_") + bits + "_key.bin");
    const std::string address = std::string(name).substr(0, std::string(name).find('_'));
    const auto enc = dir / "enc.bin";
    auto result = run_espfab({"flash-encryption", "encrypt", "--key", key, "--address", address, "-o", enc.string(),
                              fe(std::string("plain_") + name + ".bin")});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(read_file(enc), read_vector(std::string("flash_encryption/enc_xts_aes_") + bits + "_" + name + ".bin"));
    const auto dec = dir / "dec.bin";
    result = run_espfab(
        {"flash-encryption", "decrypt", "--key", key, "--address", address, "-o", dec.string(), enc.string()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(read_file(dec), read_vector(std::string("flash_encryption/plain_") + name + ".bin"));
  }
}

TEST(SecurityCli, FlashEncryptionBadInputExits2AndWritesNothing) {
  TempDir dir;
  const auto out = dir / "out.bin";
  auto result = run_espfab({"flash-encryption", "encrypt", "--key", fe("xts_aes_128_key.bin"), "--address", "0x8008",
                            "-o", out.string(), fe("plain_0x0_4096.bin")});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "Starting flash address 0x8008 must be a multiple of 16");
  result = run_espfab({"flash-encryption", "encrypt", "--key", fe("xts_aes_128_key.bin"), "--address", "0x0", "-o",
                       out.string(), fe("plain_len_20.bin")});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "Input data length (20) must be a multiple of 16");
  result = run_espfab({"flash-encryption", "encrypt", "--key", fe("plain_len_20.bin"), "--address", "0x0", "-o",
                       out.string(), fe("plain_0x0_4096.bin")});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "32 bytes (XTS-AES-128) or 64 bytes");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(SecurityCli, SecureBootDigestMatchesEspsecure) {
  TempDir dir;
  for (const char* key : {"sbv2_rsa3072_key1.pem", "sbv2_rsa3072_key2_pub.pem"}) {
    SCOPED_TRACE(key);
    const auto out = dir / "digest.bin";
    const auto result = run_espfab({"secure-boot", "digest", sb(key), "-o", out.string()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const std::string stem = std::string(key).substr(0, std::string("sbv2_rsa3072_keyN").size());
    EXPECT_EQ(read_file(out), read_vector("secure_boot_v2/" + stem + "_pubkey_digest.bin"));
  }
}

TEST(SecurityCli, SecureBootVerifyVectorsAsLogged) {
  const std::tuple<const char*, const char*, int> cases[] = {
      {"signed_key1.bin", "sbv2_rsa3072_key1_pub.pem", 0},
      {"signed_key1.bin", "sbv2_rsa3072_key2_pub.pem", 1},
      {"signed_key1_append_key2.bin", "sbv2_rsa3072_key2_pub.pem", 0},
      {"tampered_data_key1.bin", "sbv2_rsa3072_key1_pub.pem", 1},
      {"tampered_sig_key1.bin", "sbv2_rsa3072_key1_pub.pem", 1},
      {"tampered_sig_crcfixed_key1.bin", "sbv2_rsa3072_key1_pub.pem", 1},
  };
  for (const auto& [image, key, code] : cases) {
    SCOPED_TRACE(std::string(image) + " " + key);
    const auto result = run_espfab({"secure-boot", "verify", "--key", sb(key), sb(image)});
    EXPECT_EQ(result.exit_code, code) << result.out << result.err;
  }
  const auto json = run_espfab(
      {"secure-boot", "verify", "--json", "--key", sb("sbv2_rsa3072_key2_pub.pem"), sb("signed_key1_key2.bin")});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed.at("verified_block"), 1);
  const auto not_signed =
      run_espfab({"secure-boot", "verify", "--key", sb("sbv2_rsa3072_key1_pub.pem"), sb("payload_unaligned.bin")});
  EXPECT_EQ(not_signed.exit_code, 2);
  expect_contains(not_signed.err, "multiple of 4096");
}

TEST(SecurityCli, SecureBootSignAppendInfoAndVerify) {
  TempDir dir;
  const auto one = dir / "one.bin";
  auto result = run_espfab(
      {"secure-boot", "sign", "--key", sb("sbv2_rsa3072_key1.pem"), "-o", one.string(), sb("payload_unaligned.bin")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  expect_contains(result.out, "Padding data contents by 3728 bytes");
  EXPECT_EQ(read_file(one).size(), 77824u);
  const auto two = dir / "two.bin";
  result = run_espfab(
      {"secure-boot", "sign", "--append", "--key", sb("sbv2_rsa3072_key2.pem"), "-o", two.string(), one.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  expect_contains(result.out, "Signature sector now has 2 signature blocks");
  for (const char* key : {"sbv2_rsa3072_key1_pub.pem", "sbv2_rsa3072_key2_pub.pem"}) {
    EXPECT_EQ(run_espfab({"secure-boot", "verify", "--key", sb(key), two.string()}).exit_code, 0) << key;
  }
  result = run_espfab({"secure-boot", "info", two.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  expect_contains(result.out, "Public key digest for block 0: 89 7d 27 e8");
  expect_contains(result.out, "Public key digest for block 1: 2a 0f e4 d0");
  const auto vectors_info = run_espfab({"secure-boot", "info", sb("signed_key1_key2.bin")});
  EXPECT_EQ(
      vectors_info.out.substr(vectors_info.out.find("Signature block 0")),
      read_vector_text("secure_boot_v2/signature_info_signed_key1_key2.txt")
          .substr(read_vector_text("secure_boot_v2/signature_info_signed_key1_key2.txt").find("Signature block 0"),
                  vectors_info.out.size() - vectors_info.out.find("Signature block 0")));
}

TEST(SecurityCli, GenerateKeyMakesAnRsa3072KeyOfMode0600AndNeverReplacesAFile) {
  TempDir dir;
  const auto key = dir / "signing.pem";
  const auto made = run_espfab({"secure-boot", "generate-key", "-o", key.string(), "--json"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto printed = nlohmann::json::parse(made.out);
  EXPECT_EQ(printed["bits"], 3072);
  EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // OpenSSL's own reading of the file: an RSA key of 3072 bits.
  const auto openssl = run_command("/usr/bin/openssl", {"pkey", "-in", key.string(), "-noout", "-text_pub"});
  ASSERT_EQ(openssl.exit_code, 0) << openssl.err;
  expect_contains(openssl.out, "3072 bit");
  // The digest it printed is the one `secure-boot digest` computes from the file.
  const auto digest = run_espfab({"secure-boot", "digest", key.string(), "-o", (dir / "digest.bin").string()});
  ASSERT_EQ(digest.exit_code, 0) << digest.err;
  EXPECT_EQ(printed["public_key_digest"], to_hex(read_file(dir / "digest.bin")));
  // The key signs an image that verifies with it.
  write_file_atomic(dir / "app.bin", Bytes(5000, 0x5A));
  ASSERT_EQ(run_espfab({"secure-boot", "sign", "--key", key.string(), "-o", (dir / "signed.bin").string(),
                        (dir / "app.bin").string()})
                .exit_code,
            0);
  EXPECT_EQ(run_espfab({"secure-boot", "verify", "--key", key.string(), (dir / "signed.bin").string()}).exit_code, 0);

  const Bytes before = read_file(key);
  const auto again = run_espfab({"secure-boot", "generate-key", "-o", key.string()});
  EXPECT_EQ(again.exit_code, 7) << again.err;
  expect_contains(again.err, "error[io.exists]");
  EXPECT_EQ(read_file(key), before) << "an existing key is never replaced";
  const auto esptool_name = run_espfab({"generate_signing_key", "-o", (dir / "second.pem").string()});
  EXPECT_EQ(esptool_name.exit_code, 0) << esptool_name.err;
}

TEST(SecurityCli, SecureBootBadInputExits2AndWritesNothing) {
  TempDir dir;
  const auto out = dir / "out.bin";
  auto result = run_espfab(
      {"secure-boot", "sign", "--key", sb("sbv2_rsa3072_key1_pub.pem"), "-o", out.string(), sb("payload_aligned.bin")});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "public key; signing needs the private key");
  result = run_espfab(
      {"secure-boot", "sign", "--key", sb("payload_aligned.bin"), "-o", out.string(), sb("payload_aligned.bin")});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "not a PEM RSA key");
  result = run_espfab({"secure-boot", "sign", "--append", "--key", sb("sbv2_rsa3072_key1.pem"), "--key",
                       sb("sbv2_rsa3072_key1.pem"), "-o", out.string(), sb("signed_key1_key2.bin")});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "more than the empty signature blocks");
  result = run_espfab({"secure-boot", "digest", sb("payload_aligned.bin"), "-o", out.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(SecurityCli, NoKeyBytesInOutputsOrLogs) {
  TempDir dir;
  const auto log = dir / "espfab.log";
  const Bytes fe_key = read_vector("flash_encryption/xts_aes_128_key.bin");
  const std::string sb_key = read_vector_text("secure_boot_v2/sbv2_rsa3072_key1.pem");
  std::vector<Bytes> needles{fe_key, Bytes(fe_key.rbegin(), fe_key.rend()), to_bytes(to_hex(fe_key))};
  for (auto& line : pem_body_lines(sb_key)) needles.push_back(std::move(line));

  std::vector<CommandResult> results;
  results.push_back(run_espfab({"--log-level", "trace", "--log-file", log.string(), "flash-encryption", "encrypt",
                                "--key", fe("xts_aes_128_key.bin"), "--address", "0x0", "-o", (dir / "e.bin").string(),
                                fe("plain_0x0_4096.bin")}));
  results.push_back(run_espfab({"--log-level", "trace", "--log-file", log.string(), "flash-encryption", "encrypt",
                                "--key", fe("xts_aes_128_key.bin"), "--address", "0x8", "-o", (dir / "x.bin").string(),
                                fe("plain_0x0_4096.bin")}));
  results.push_back(
      run_espfab({"--log-level", "trace", "--log-file", log.string(), "secure-boot", "sign", "--key",
                  sb("sbv2_rsa3072_key1.pem"), "-o", (dir / "s.bin").string(), sb("payload_aligned.bin")}));
  results.push_back(run_espfab({"--log-level", "trace", "--log-file", log.string(), "secure-boot", "digest",
                                sb("sbv2_rsa3072_key1.pem"), "-o", (dir / "d.bin").string()}));
  results.push_back(run_espfab({"--log-level", "trace", "flash-encryption", "generate-key", (dir / "k.bin").string()}));
  for (const auto& result : results) {
    for (const auto& needle : needles) {
      EXPECT_FALSE(contains_bytes(result.out, needle)) << result.out;
      EXPECT_FALSE(contains_bytes(result.err, needle)) << result.err;
    }
  }
  EXPECT_EQ(files_containing(dir.path(), needles, {"k.bin"}), std::vector<std::string>{});
  // The generated key file is the output the user asked for: 32 bytes, owner-only.
  EXPECT_EQ(read_file(dir / "k.bin").size(), 32u);
  EXPECT_EQ(std::filesystem::status(dir / "k.bin").permissions() & std::filesystem::perms::group_all,
            std::filesystem::perms::none);
  // Generated keys are not printed either.
  const Bytes generated = read_file(dir / "k.bin");
  EXPECT_FALSE(contains_bytes(results.back().out, to_bytes(to_hex(generated))));
}

std::string trim_trailing_newlines(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

TEST(SecurityCli, EfuseSummaryJsonAndTextMatchEspefuse) {
  for (const char* step : {"step01_virgin", "step03_burn_key_digest", "step08b_read_protect", "xts256"}) {
    SCOPED_TRACE(step);
    const std::string file = vector_path(std::string("efuse/") + step + ".efuse.bin").string();
    const auto json = run_espfab({"efuse", "summary", "--file", file, "--json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(nlohmann::json::parse(json.out),
              nlohmann::json::parse(read_vector_text(std::string("efuse/") + step + ".summary.json")));
  }
  for (const char* step : {"step01_virgin", "step08b_read_protect"}) {
    SCOPED_TRACE(step);
    const auto text =
        run_espfab({"efuse", "summary", "--file", vector_path(std::string("efuse/") + step + ".efuse.bin").string()});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    std::string expected = read_vector_text(std::string("efuse/") + step + ".summary.txt");
    expected = expected.substr(expected.find("EFUSE_NAME"));
    expected = expected.substr(0, expected.find("[exit code"));
    EXPECT_EQ(trim_trailing_newlines(text.out), trim_trailing_newlines(expected));
  }
  const auto check =
      run_espfab({"efuse", "check", "--file", vector_path("efuse/step08b_read_protect.efuse.bin").string()});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  const auto bad = run_espfab({"efuse", "summary", "--file", fe("plain_len_20.bin")});
  EXPECT_EQ(bad.exit_code, 2);
  expect_contains(bad.err, "a virtual eFuse file has 512 bytes");
}

}  // namespace
}  // namespace espfab::test
