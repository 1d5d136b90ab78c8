// Issue 15 acceptance, with the built binaries: nothing irreversible until the profile is proven.
// `espfab check` refuses every case a new user could lock a batch of chips with (no Secure Boot by
// omission, a CA that is not one or not valid, names that break MQTT/file/X.509 rules, images not
// signed by the profile's keys, images without the firmware contract), and `espfab run` refuses the
// same before it opens a fixture: the emulated chip's eFuse file is unchanged. A good profile passes
// check and its rehearsal on a virtual chip; run refuses what was not rehearsed. A device rejected
// after its identity was issued leaves without it.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>

#include "image/app_descriptor.hpp"
#include "image/image_builder.hpp"
#include "security/sbv2_key.hpp"
#include "security/secure_boot_v2.hpp"
#include "support/emulator_process.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path emulator_binary() { return build_dir() / "apps" / "espfab-emu" / "espfab-emu"; }

// The demo's assets (CA, Secure Boot key, signed images, station.toml), made once per process and
// copied for each test: the RSA-3072 key and the CA cost more than the checks.
fs::path fresh_assets(const TempDir& dir) {
  static TempDir master;
  static bool made = false;
  if (!made) {
    const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", master.path().string(), "--assets-only",
                                  "--emulator", emulator_binary().string()});
    EXPECT_EQ(demo.exit_code, 0) << demo.err;
    made = true;
  }
  fs::copy(master.path(), dir.path(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  return dir / "station.toml";
}

void edit(const fs::path& file, const std::string& from, const std::string& to) {
  std::string text = read_text_file(file);
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  write_text_file_atomic(file, text);
}

json check(const fs::path& profile, int expected_exit, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--log-level", "error", "check", "--profile", profile.string(), "--json", "--offline"};
  args.insert(args.end(), extra.begin(), extra.end());
  if (std::find(extra.begin(), extra.end(), "--rehearse") != extra.end()) {
    args.insert(args.end(), {"--emulator", emulator_binary().string()});
  }
  const auto result = run_espfab(args);
  EXPECT_EQ(result.exit_code, expected_exit) << result.out << result.err;
  const auto parsed = json::parse(result.out, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << result.out << result.err;
  return parsed;
}

// The finding of `check` whose message contains `text`, or null.
json finding(const json& report, const std::string& text) {
  for (const auto& f : report.value("findings", json::array())) {
    if (f.value("message", "").find(text) != std::string::npos) return f;
  }
  return nullptr;
}

CommandResult run_station(const fs::path& profile, const EmulatorProcess& emulator, bool rehearsal_waived) {
  std::vector<std::string> args{"--log-level", "error",          "run", "--profile", profile.string(), "--count", "1",
                                "--json",      "--idle-timeout", "20",  "--port",    emulator.url()};
  if (rehearsal_waived) args.push_back("--no-rehearsal");
  return run_espfab(args);
}

Bytes device_efuses(const fs::path& state) { return read_file(state / "dev0" / "efuse.bin"); }

// A self-made CA in `dir` in the local CA's layout, with the validity and extensions a case needs.
struct CaShape {
  long not_before_days = -1;
  long not_after_days = 7300;
  bool is_ca = true;
  bool key_cert_sign = true;
};

void write_ca(const fs::path& dir, const CaShape& shape) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto key = crypto::generate_ec_p256();
  X509* cert = X509_new();
  ASSERT_NE(cert, nullptr);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_time_adj_ex(X509_getm_notBefore(cert), static_cast<int>(shape.not_before_days), 0, nullptr);
  X509_time_adj_ex(X509_getm_notAfter(cert), static_cast<int>(shape.not_after_days), 0, nullptr);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Test CA"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  const auto add = [&](int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    ASSERT_NE(ext, nullptr);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  };
  add(NID_basic_constraints, shape.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add(NID_key_usage, shape.key_cert_sign ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  ASSERT_GT(X509_sign(cert, key.get(), EVP_sha256()), 0);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  write_text_file_atomic(dir / "ca.crt", std::string(data, static_cast<std::size_t>(size)));
  BIO_free(bio);
  X509_free(cert);
  write_file_atomic(dir / "ca.key", crypto::private_key_pem(key.get()).view(), 0600);
  write_text_file_atomic(dir / "serial", "1000\n");
}

// An app like the demo's, with (or without) the firmware contract's strings, signed with `key`.
Bytes app_image(const std::string& project, const std::string& strings, const fs::path* key) {
  image::AppDescriptor desc;
  desc.version = "1.0.0";
  desc.project_name = project;
  desc.idf_version = "v5.5.1";
  Bytes rodata = image::serialize_app_descriptor(desc);
  rodata.insert(rodata.end(), strings.begin(), strings.end());
  std::vector<image::SegmentInput> segments;
  segments.push_back({0x3C000020, std::move(rodata), ".flash.appdesc", 0});
  segments.push_back({0x42000020, Bytes(0x4000, 0x5A), ".flash.text", image::kSegmentExecutable});
  image::ImageBuildOptions options;
  options.entry_point = 0x42000020;
  options.flash_mode = 2;          // dio, as the demo's bootloader
  options.flash_size_freq = 0x3F;  // 8MB, 80m
  Bytes built = image::build_image(std::move(segments), options);
  if (key == nullptr) return built;
  const auto signer = security::PemSigningKey::from_file(*key);
  const security::SigningKey* keys[] = {signer.get()};
  return security::sign_image(built, keys).image;
}

// Every case that must never reach a chip: the profile edit, and a piece of the message.
struct BadCase {
  std::string name;
  std::function<void(const fs::path& dir)> spoil;
  std::string expected;
};

std::vector<BadCase> bad_cases() {
  const auto profile_edit = [](std::string from, std::string to) {
    return [from, to](const fs::path& dir) { edit(dir / "station.toml", from, to); };
  };
  const std::string keys_line = "secure_boot_keys = [\"keys/secure_boot_signing.pem\"]";
  std::vector<BadCase> cases{
      {"secure boot keys empty", profile_edit(keys_line, "secure_boot_keys = []"), "'secure_boot_keys' is empty"},
      {"secure boot keys left out", profile_edit(keys_line, ""), "has no 'secure_boot_keys'"},
      {"flash encryption left out", profile_edit("flash_encryption = \"xts-128\"", ""),
       "says nothing about flash encryption"},
      {"serial prefix with a space", profile_edit("prefix = \"DEMO-\"", "prefix = \"DEMO \""), "contains a space"},
      {"serial prefix with a newline", profile_edit("prefix = \"DEMO-\"", "prefix = \"DEMO\\n\""),
       "contains control character 0x0a"},
      {"serial prefix with a dot", profile_edit("prefix = \"DEMO-\"", "prefix = \"DE.MO\""), "contains '.'"},
      {"serial prefix with a plus", profile_edit("prefix = \"DEMO-\"", "prefix = \"DE+MO\""), "contains '+'"},
      {"serial prefix with a hash", profile_edit("prefix = \"DEMO-\"", "prefix = \"DE#MO\""), "contains '#'"},
      {"serial prefix with a path", profile_edit("prefix = \"DEMO-\"", "prefix = \"../DEMO\""), "contains '.'"},
      {"common name with a slash", profile_edit("common_name = \"{serial}\"", "common_name = \"{serial}/x\""),
       "contains '/'"},
      {"common name with a placeholder that does not exist",
       profile_edit("common_name = \"{serial}\"", "common_name = \"{serial}-{batch}\""), "uses '{batch}'"},
      {"CA expired", [](const fs::path& dir) { write_ca(dir / "ca", {.not_before_days = -400, .not_after_days = -1}); },
       "the CA certificate expired"},
      {"CA not yet valid",
       [](const fs::path& dir) { write_ca(dir / "ca", {.not_before_days = 30, .not_after_days = 7300}); },
       "not valid yet"},
      {"CA that is not a CA", [](const fs::path& dir) { write_ca(dir / "ca", {.is_ca = false}); },
       "no basicConstraints CA:TRUE"},
      {"CA without keyCertSign", [](const fs::path& dir) { write_ca(dir / "ca", {.key_cert_sign = false}); },
       "lacks keyCertSign"},
      {"CMP CA whose certificate expired",
       [](const fs::path& dir) {
         write_ca(dir / "cmp-ca", {.not_before_days = -400, .not_after_days = -1});
         edit(dir / "station.toml", "backend = \"local\"\ndir = \"ca\"",
              "backend = \"cmp\"\nserver = \"http://127.0.0.1:9/pkix/\"\nreference = \"line-1\"\n"
              "secret_env = \"ESPFAB_CMP_SECRET\"\nca_certificate = \"cmp-ca/ca.crt\"");
       },
       "the CA certificate expired"},
      {"device certificates outliving the CA", profile_edit("validity_days = 3650", "validity_days = 9000"),
       "would outlive their issuer"},
      {"images signed with another key",
       [keys_line](const fs::path& dir) {
         const SecretBytes pem = crypto::private_key_pem(crypto::generate_rsa(3072).get());
         write_file_atomic(dir / "keys" / "other.pem", pem.view(), 0600);
         edit(dir / "station.toml", keys_line, "secure_boot_keys = [\"keys/other.pem\"]");
       },
       "is not in [security] secure_boot_keys"},
      {"production app without the identity component",
       [](const fs::path& dir) {
         const auto key = dir / "keys" / "secure_boot_signing.pem";
         write_file_atomic(dir / "images" / "production-app-signed.bin", app_image("espfab-demo-app", "", &key));
       },
       "does not carry the identity log tag"},
      {"factory-test app without the test protocol",
       [](const fs::path& dir) {
         write_file_atomic(dir / "images" / "factory-test.bin", app_image("factory-test", "hello", nullptr));
       },
       "does not carry the test protocol's ready line"},
  };
  return cases;
}

TEST(StationCheckE2e, AGoodProfilePassesCheckAndRehearsalAndThenRuns) {
  TempDir dir;
  const auto profile = fresh_assets(dir);
  const auto report = check(profile, 0);
  EXPECT_TRUE(report["passed"].get<bool>());
  EXPECT_EQ(report["errors"], 0);
  EXPECT_EQ(report["content_hash"].get<std::string>().size(), 64u);
  for (const char* name :
       {"profile", "names.serial", "names.common_name", "ca.is_ca", "ca.validity", "images.signature", "security.plan",
        "images.flash_size", "images.contract", "security.intent", "targets.label"}) {
    EXPECT_NE(std::find(report["checks"].begin(), report["checks"].end(), name), report["checks"].end()) << name;
  }

  const auto rehearsal = check(profile, 0, {"--rehearse"});
  EXPECT_TRUE(rehearsal["passed"].get<bool>()) << rehearsal.dump(2);
  EXPECT_EQ(rehearsal["content_hash"], report["content_hash"]);
  EXPECT_EQ(rehearsal["device"]["result"], "provisioned");
  EXPECT_FALSE(rehearsal["real"].empty());
  EXPECT_FALSE(rehearsal["modelled"].empty());
  // The rehearsed chip booted locked with the identity the rehearsal's throw-away CA issued.
  const auto record = json::parse(read_text_file(rehearsal["device"]["record"].get<std::string>()));
  bool verified_boot = false;
  for (const auto& step : record["steps"]) verified_boot |= step["name"] == "verify-boot" && step["outcome"] == "pass";
  EXPECT_TRUE(verified_boot) << record.dump(2);
  // Nothing of it was issued by the company CA; the virtual chip's state and the throw-away key are gone.
  EXPECT_FALSE(fs::exists(dir / "ca" / "index.txt") && !read_text_file(dir / "ca" / "index.txt").empty());
  EXPECT_FALSE(fs::exists(dir / "station-data" / "rehearsal" / "devices"));
  EXPECT_FALSE(fs::exists(dir / "station-data" / "rehearsal" / "ca" / "ca.key"));

  // Rehearsed: run accepts it without --no-rehearsal.
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  const auto run = run_station(profile, emulator, false);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(json::parse(run.out)["devices"][0]["result"], "provisioned") << run.out;
}

TEST(StationCheckE2e, RunRefusesAnUnrehearsedProfileAndTouchesNoDevice) {
  TempDir dir;
  const auto profile = fresh_assets(dir);
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  const auto before = device_efuses(dir / "devices");
  const auto refused = run_station(profile, emulator, false);
  EXPECT_EQ(refused.exit_code, 6) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("has not passed a rehearsal"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("espfab check --profile"), std::string::npos) << refused.err;
  EXPECT_EQ(device_efuses(dir / "devices"), before);
  EXPECT_FALSE(fs::exists(dir / "station-data" / "station.db"));

  // Waived: it runs, and the audit log says so.
  const auto waived = run_station(profile, emulator, true);
  ASSERT_EQ(waived.exit_code, 0) << waived.out << waived.err;
  EXPECT_NE(read_text_file(dir / "station-data" / "audit.jsonl").find("\"station.no_rehearsal\""), std::string::npos);
}

TEST(StationCheckE2e, EveryUnsafeProfileIsRefusedByCheckAndByRunWithNoDeviceTouched) {
  TempDir state;
  EmulatorProcess device(EmulatorOptions{1, "rfc2217", state.path(), {}});
  const auto virgin = device_efuses(state.path());
  for (const auto& bad : bad_cases()) {
    SCOPED_TRACE(bad.name);
    TempDir dir;
    const auto profile = fresh_assets(dir);
    bad.spoil(dir.path());
    const auto report = check(profile, 2);
    EXPECT_FALSE(report.value("passed", true));
    const auto found = finding(report, bad.expected);
    ASSERT_FALSE(found.is_null()) << report.dump(2);
    EXPECT_NE(found["where"].get<std::string>().find("station.toml"), std::string::npos) << found.dump();
    EXPECT_FALSE(found["hint"].get<std::string>().empty());
    // run refuses the same before it opens the fixture (even with the rehearsal waived).
    const auto run = run_station(profile, device, true);
    EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
    EXPECT_NE(run.err.find("no fixture was touched"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(bad.expected), std::string::npos) << run.err;
    EXPECT_EQ(device_efuses(state.path()), virgin);
    EXPECT_FALSE(fs::exists(dir / "station-data" / "station.db"));
  }
}

TEST(StationCheckE2e, AnExplicitOptOutIsAWarningOnCheckRunAndRecord) {
  TempDir dir;
  const auto profile = fresh_assets(dir);
  edit(profile, "secure_boot_keys = [\"keys/secure_boot_signing.pem\"]", "secure_boot = false");
  const auto report = check(profile, 0);
  const auto warning = finding(report, "secure_boot = false");
  ASSERT_FALSE(warning.is_null()) << report.dump(2);
  EXPECT_EQ(warning["severity"], "warning");
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  const auto run = run_station(profile, emulator, true);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto summary = json::parse(run.out);
  ASSERT_FALSE(summary["warnings"].empty());
  EXPECT_NE(summary["warnings"][0].get<std::string>().find("secure_boot = false"), std::string::npos);
  const auto record = json::parse(read_text_file(summary["devices"][0]["record"].get<std::string>()));
  EXPECT_EQ(record["security_opt_outs"], json::array({"secure_boot = false"}));
}

// A key whose digest the plan burns but that signs neither image: a spare for rotation, said as a
// warning with its place (the profile still passes).
TEST(StationCheckE2e, AKeyThatSignsNeitherImageIsAWarning) {
  TempDir dir;
  const auto profile = fresh_assets(dir);
  const SecretBytes pem = crypto::private_key_pem(crypto::generate_rsa(3072).get());
  write_file_atomic(dir / "keys" / "spare.pem", pem.view(), 0600);
  edit(profile, "secure_boot_keys = [\"keys/secure_boot_signing.pem\"]",
       "secure_boot_keys = [\"keys/secure_boot_signing.pem\", \"keys/spare.pem\"]");
  const auto report = check(profile, 0);
  const auto spare = finding(report, "signs neither image");
  ASSERT_FALSE(spare.is_null()) << report.dump(2);
  EXPECT_EQ(spare["severity"], "warning");
  EXPECT_NE(spare["where"].get<std::string>().find("station.toml:"), std::string::npos) << spare.dump();
}

// The identity partition is too small for the RSA-3072 identity the profile asks for: nothing
// static says so, the rehearsal finds it (inject-identity), and run then refuses the profile.
TEST(StationCheckE2e, TheRehearsalCatchesWhatOnlyAProvisioningRunShows) {
  TempDir dir;
  const auto profile = fresh_assets(dir);
  edit(dir / "images" / "partitions.csv", "0xD000,   0x2000", "0xD000,   0x1000");
  edit(profile, "key_type = \"p256\"", "key_type = \"rsa3072\"");
  EXPECT_TRUE(check(profile, 0)["passed"].get<bool>());
  const auto rehearsal = check(profile, 1, {"--rehearse"});
  EXPECT_FALSE(rehearsal["passed"].get<bool>());
  EXPECT_NE(rehearsal["reason"].get<std::string>().find("esp_secure_cert partition has 4096"), std::string::npos)
      << rehearsal.dump(2);
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  const auto before = device_efuses(dir / "devices");
  EXPECT_EQ(run_station(profile, emulator, false).exit_code, 6);
  EXPECT_EQ(device_efuses(dir / "devices"), before);
}

// A device rejected after issue-identity: its certificate is revoked and its identity partition
// erased and read back erased before the fixture lets it go; the audit log says both. (The
// identity does not fit the partition: inject-identity rejects the device after the CA signed.
// The partition held other bytes before, so the erase is seen.)
TEST(StationCheckE2e, ADeviceRejectedAfterItsIdentityLeavesWithoutIt) {
  TempDir dir;
  const auto profile = fresh_assets(dir);
  edit(dir / "images" / "partitions.csv", "0xD000,   0x2000", "0xD000,   0x1000");
  edit(profile, "key_type = \"p256\"", "key_type = \"rsa3072\"");
  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  write_file_atomic(dir / "old-identity.bin", Bytes(0x1000, 0x5A));
  const auto old = run_espfab({"write-flash", "--port", emulator.url(), "0xD000", (dir / "old-identity.bin").string()});
  ASSERT_EQ(old.exit_code, 0) << old.out << old.err;
  const auto run = run_station(profile, emulator, true);
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.err.find("every device (1) was rejected"), std::string::npos) << run.err;
  const auto device = json::parse(run.out)["devices"][0];
  ASSERT_EQ(device["result"], "rejected") << device.dump(2);
  EXPECT_NE(device["reason"].get<std::string>().find("inject-identity"), std::string::npos) << device.dump(2);
  const auto record = json::parse(read_text_file(device["record"].get<std::string>()));
  EXPECT_FALSE(record.contains("certificate"));
  ASSERT_EQ(record["revoked_certificates"].size(), 1u) << record.dump(2);
  EXPECT_NE(record["revoked_certificates"][0]["reason"].get<std::string>().find("inject-identity"), std::string::npos);
  bool retired = false;
  for (const auto& step : record["steps"]) retired |= step["name"] == "retire-identity" && step["outcome"] == "pass";
  EXPECT_TRUE(retired) << record.dump(2);
  // The device's flash: the esp_secure_cert partition (0xD000, 4 KiB) reads erased.
  const auto flash = read_file(dir / "devices" / "dev0" / "flash.bin");
  ASSERT_GE(flash.size(), 0xE000u);
  EXPECT_TRUE(std::all_of(flash.begin() + 0xD000, flash.begin() + 0xE000, [](std::uint8_t b) { return b == 0xFF; }));
  const std::string audit = read_text_file(dir / "station-data" / "audit.jsonl");
  EXPECT_NE(audit.find("\"identity.revoked\""), std::string::npos);
  EXPECT_NE(audit.find("\"identity.erased\""), std::string::npos);
  EXPECT_LT(audit.find("\"identity.issued\""), audit.find("\"identity.revoked\""));
  EXPECT_EQ(run_espfab({"audit", "verify", "--profile", profile.string()}).exit_code, 0);
}

}  // namespace
}  // namespace espfab::test
