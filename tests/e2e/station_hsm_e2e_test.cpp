// Issue 6, end to end: the station issues device certificates with its CA key in a PKCS#11 token
// (SoftHSM, created by the test). `espfab ca init --pkcs11` makes the CA certificate inside the
// token; `espfab run` provisions an emulated device with [ca] backend = "pkcs11"; the device's own
// production app then reports the certificate it holds, and that certificate is the one the HSM
// CA recorded in its index (the local demo CA issued nothing). The key stays in the token.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "../integration/pki/softhsm_token.hpp"
#include "support/emulator_process.hpp"
#include "support/run_command.hpp"
#include "support/tcp_line.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

using nlohmann::json;

std::filesystem::path emulator_binary() { return build_dir() / "apps" / "espfab-emu" / "espfab-emu"; }

std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

// The production app's "espfab_identity: ... cert_sha256=<hex>" after a normal boot of device 0.
std::string booted_certificate_sha256(const EmulatorProcess& emulator) {
  TcpLine device(emulator.urls().at(0));
  TcpLine control(emulator.control());
  control.send("reset boot 0\n");
  EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
  const std::string console = device.read_until("Returned from app_main()");
  const auto at = console.find("cert_sha256=");
  if (at == std::string::npos) return {};
  const auto begin = at + std::string("cert_sha256=").size();
  return console.substr(begin, console.find_first_of(" \r\n", begin) - begin);
}

TEST(StationHsmE2e, TheStationSignsDeviceCertificatesWithTheTokenKey) {
  SoftHsmToken token;  // SOFTHSM2_CONF and the PIN variable are set for espfab too
  token.generate_key("EC:prime256v1", "ca-key", "01");
  TempDir dir;
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;

  const auto certificate = dir / "hsm-ca.crt";
  const auto state = dir / "hsm-ca-state";
  const auto init =
      run_espfab({"ca", "init", "--pkcs11", "--pkcs11-module", SoftHsmToken::kModule, "--token", SoftHsmToken::kToken,
                  "--key-label", "ca-key", "--pin-env", SoftHsmToken::kPinEnv, "--certificate", certificate.string(),
                  "--state-dir", state.string(), "--cn", "espfab e2e HSM CA"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  EXPECT_EQ(init.out.find(SoftHsmToken::kUserPin), std::string::npos) << "the PIN must never be printed";

  std::string profile = read_text_file(dir / "station.toml");
  const std::string local = "[ca]\nbackend = \"local\"\ndir = \"ca\"\n";
  const auto at = profile.find(local);
  ASSERT_NE(at, std::string::npos) << profile;
  profile.replace(at, local.size(),
                  fmt::format("[ca]\nbackend = \"pkcs11\"\nmodule = \"{}\"\ntoken = \"{}\"\nkey_label = \"ca-key\"\n"
                              "pin_env = \"{}\"\ncertificate = \"{}\"\nstate_dir = \"{}\"\n",
                              SoftHsmToken::kModule, SoftHsmToken::kToken, SoftHsmToken::kPinEnv, certificate.string(),
                              state.string()));
  write_text_file_atomic(dir / "station.toml", profile);

  EmulatorProcess emulator(EmulatorOptions{1, "rfc2217", dir / "devices", {}});
  const auto run =
      run_espfab({"--log-level", "error", "run", "--profile", (dir / "station.toml").string(), "--count", "1",
                  "--idle-timeout", "20", "--json", "--no-rehearsal", "--port", emulator.urls().at(0)});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto summary = json::parse(run.out);
  ASSERT_EQ(summary["devices"].size(), 1u);
  EXPECT_EQ(summary["devices"][0]["result"], "provisioned") << summary.dump(2);

  // The HSM CA issued exactly one certificate; the local demo CA none.
  const auto issued = lines_of(state / "index.txt");
  ASSERT_EQ(issued.size(), 1u);
  EXPECT_TRUE(lines_of(dir / "ca" / "index.txt").empty());
  // The device boots locked down and its app holds that very certificate.
  const std::string held = booted_certificate_sha256(emulator);
  ASSERT_FALSE(held.empty());
  EXPECT_NE(issued[0].find(held), std::string::npos) << issued[0] << " vs " << held;
  // The CA key is still sensitive and never extractable.
  const auto objects = token.pkcs11_tool({"--list-objects", "--type", "privkey"});
  EXPECT_NE(objects.out.find("sensitive"), std::string::npos) << objects.out;
  EXPECT_NE(objects.out.find("never extractable"), std::string::npos) << objects.out;
}

}  // namespace
}  // namespace espfab::test
