// The built espfab CLI with keys in a SoftHSM2 token: `secure-boot sign|digest` with the HSM key
// options (the output verifies like espsecure and like the ROM), `ca init --pkcs11` (certificate
// and state once, never again), and the option mistakes an operator makes, each with its exit code.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "pki/pkcs11_ca.hpp"
#include "security/secure_boot_v2.hpp"
#include "softhsm_token.hpp"
#include "support/run_command.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

// --pkcs11-module, --token, --key-label, --pin-env for key `label` of the test token.
std::vector<std::string> hsm_options(const std::string& label) {
  return {"--pkcs11-module", SoftHsmToken::kModule, "--token", SoftHsmToken::kToken, "--key-label", label,
          "--pin-env",       SoftHsmToken::kPinEnv};
}

std::vector<std::string> join(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

security::Sbv2RsaPublicKey public_key_of(const std::filesystem::path& pem) {
  const crypto::EvpPkeyPtr key = crypto::load_public_key_pem(read_text_file(pem));
  return security::sbv2_public_key(key.get());
}

class HsmCliTest : public ::testing::Test {
 protected:
  SoftHsmToken hsm;
};

TEST_F(HsmCliTest, SecureBootSignAndDigestWithTheHsmKey) {
  hsm.generate_key("rsa:3072", "sbv2-key", "10");
  const std::filesystem::path input = hsm.dir() / "app.bin";
  const std::filesystem::path output = hsm.dir() / "app.signed.bin";
  Bytes data(5000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7u);
  write_file_atomic(input, data);

  const CommandResult sign =
      run_espfab(join(join({"secure-boot", "sign"}, hsm_options("sbv2-key")), {"-o", output.string(), input.string()}));
  ASSERT_EQ(sign.exit_code, 0) << sign.out << sign.err;
  expect_contains(sign.out, "Using key 'sbv2-key' id 10 (RSA 3072) on PKCS#11 token 'espfab-ca'");
  expect_contains(sign.out, "Signed 8192 bytes of data");
  for (const std::string& text : {sign.out, sign.err}) {
    EXPECT_EQ(text.find(SoftHsmToken::kUserPin), std::string::npos) << text;
  }

  // Checked with the public key pkcs11-tool reads out of the token, not with espfab's view of it.
  const std::filesystem::path public_pem = hsm.export_public_key_pem("sbv2-key");
  const security::Sbv2RsaPublicKey public_key = public_key_of(public_pem);
  const Bytes signed_image = read_file(output);
  const security::VerifyResult with_key = security::verify_with_key(signed_image, public_key);
  EXPECT_TRUE(with_key.verified) << with_key.reason;
  const security::KeyDigest trusted = public_key.digest();
  EXPECT_TRUE(security::verify_with_digests(signed_image, std::span(&trusted, 1)).verified);
  const CommandResult verify = run_espfab({"secure-boot", "verify", "--key", public_pem.string(), output.string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  // The digest for eFuse, by key id with the PIN from a 0600 file.
  const std::filesystem::path pin_file = hsm.dir() / "pin";
  write_text_file_atomic(pin_file, std::string(SoftHsmToken::kUserPin) + "\n", 0600);
  const std::filesystem::path digest_file = hsm.dir() / "digest.bin";
  const CommandResult digest =
      run_espfab({"secure-boot", "digest", "--pkcs11-module", SoftHsmToken::kModule, "--token", SoftHsmToken::kToken,
                  "--key-id", "10", "--pin-file", pin_file.string(), "-o", digest_file.string()});
  ASSERT_EQ(digest.exit_code, 0) << digest.out << digest.err;
  EXPECT_EQ(read_file(digest_file), Bytes(trusted.begin(), trusted.end()));
}

TEST_F(HsmCliTest, SecureBootKeyMistakesAreNamed) {
  hsm.generate_key("rsa:3072", "sbv2-key", "10");
  hsm.generate_key("EC:prime256v1", "ec-key", "11");
  const std::filesystem::path input = hsm.dir() / "app.bin";
  write_file_atomic(input, Bytes(4096, 0x5a));
  const std::string out = (hsm.dir() / "out.bin").string();
  const std::vector<std::string> tail{"-o", out, input.string()};

  CommandResult result = run_espfab(
      join(join({"secure-boot", "sign", "--key", (hsm.dir() / "k.pem").string()}, hsm_options("sbv2-key")), tail));
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "cli.key_and_hsm");

  result = run_espfab(join({"secure-boot", "sign"}, tail));
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "cli.no_key");

  result = run_espfab(join({"secure-boot", "sign", "--token", SoftHsmToken::kToken, "--key-label", "sbv2-key",
                            "--pin-env", SoftHsmToken::kPinEnv},
                           tail));
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "--pkcs11-module is missing");

  result = run_espfab(join(join({"secure-boot", "sign"}, hsm_options("ec-key")), tail));
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "error[security.sbv2_key_type]: key 'ec-key' id 11 on PKCS#11 token 'espfab-ca' is EC");
  expect_contains(result.err, "--key-type rsa:3072");

  std::vector<std::string> no_pin = hsm_options("sbv2-key");
  no_pin.resize(no_pin.size() - 2);
  result = run_espfab(join(join({"secure-boot", "sign"}, no_pin), tail));
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "exactly one of --pin-env and --pin-file");

  ::setenv(SoftHsmToken::kPinEnv, "975310", 1);
  result = run_espfab(join(join({"secure-boot", "sign"}, hsm_options("sbv2-key")), tail));
  ::setenv(SoftHsmToken::kPinEnv, SoftHsmToken::kUserPin, 1);
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "pki.hsm_pin_incorrect");
  EXPECT_EQ(result.err.find("975310"), std::string::npos) << result.err;

  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(HsmCliTest, CaInitPkcs11CreatesCertificateAndStateOnce) {
  hsm.generate_key("EC:prime256v1", "ca-key", "01");
  const pki::Pkcs11CaConfig config = hsm.config("ca-key");  // certificate and state under the temp dir
  const std::vector<std::string> init =
      join(join({"ca", "init", "--pkcs11"}, hsm_options("ca-key")),
           {"--certificate", config.certificate.string(), "--state-dir", config.state_dir.string(), "--cn",
            "espfab HSM CLI CA", "--org", "espfab test", "--days", "3650"});
  CommandResult result = run_espfab(init);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  expect_contains(result.out,
                  "created PKCS#11 CA CN=espfab HSM CLI CA,O=espfab test (token 'espfab-ca', key "
                  "'ca-key' id 01, EC P-256");
  expect_contains(result.out, "backend = \"pkcs11\"");
  expect_contains(result.out, fmt::format("state_dir = \"{}\"", config.state_dir.string()));
  EXPECT_EQ(read_text_file(config.state_dir / "serial"), "1\n");
  EXPECT_TRUE(std::filesystem::exists(config.state_dir / "index.txt"));

  // The openssl CLI sees a self-signed CA certificate with the subject asked for.
  const std::filesystem::path openssl = find_tool("openssl", "openssl");
  const CommandResult subject =
      run_command(openssl, {"x509", "-noout", "-subject", "-in", config.certificate.string()});
  EXPECT_EQ(subject.out, "subject=O = espfab test, CN = espfab HSM CLI CA\n") << subject.err;
  const CommandResult self_signed =
      run_command(openssl, {"verify", "-CAfile", config.certificate.string(), config.certificate.string()});
  EXPECT_EQ(self_signed.exit_code, 0) << self_signed.out << self_signed.err;

  // The CA the station opens on it issues.
  {
    pki::Pkcs11Ca ca = pki::Pkcs11Ca::open(config);
    const auto key = pki::generate_key(pki::KeyType::EcP256);
    const pki::X509ReqPtr csr = pki::make_csr(key.get(), {}, {"ESP-000001", "7c:df:a1:00:00:01"});
    EXPECT_EQ(ca.sign(csr.get(), {}).serial_hex, "1");
  }

  // Never twice: refused (exit 6), nothing changed.
  const std::string pem = read_text_file(config.certificate);
  result = run_espfab(init);
  EXPECT_EQ(result.exit_code, 6) << result.out << result.err;
  expect_contains(result.err, "pki.ca_exists");
  EXPECT_EQ(read_text_file(config.certificate), pem);
  EXPECT_EQ(read_text_file(config.state_dir / "serial"), "2\n");
}

TEST_F(HsmCliTest, CaInitOptionMistakesAreNamed) {
  const std::string dir = (hsm.dir() / "ca").string();
  CommandResult result = run_espfab(join(join({"ca", "init", "--pkcs11", dir}, hsm_options("ca-key")),
                                         {"--certificate", dir + "/ca.crt", "--state-dir", dir + "/state"}));
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "cli.ca_init_dir");

  result = run_espfab(join({"ca", "init", "--pkcs11"}, hsm_options("ca-key")));
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "--certificate is missing");

  result = run_espfab({"ca", "init", dir, "--token", SoftHsmToken::kToken});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "PKCS#11 options given without --pkcs11");

  result = run_espfab({"ca", "init"});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "no CA directory given");

  result = run_espfab(join(join({"ca", "init", "--pkcs11"}, hsm_options("no-such-key")),
                           {"--certificate", dir + "/ca.crt", "--state-dir", dir + "/state"}));
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "pki.hsm_key_not_found");
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace espfab::test
