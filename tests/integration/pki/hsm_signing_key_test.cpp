// The Secure Boot V2 signing key in a SoftHSM2 token: an RSA-3072 key generated inside the token
// (sensitive, never extractable) signs an image through the same SigningKey interface as a PEM
// file; the result verifies like espsecure (with the key), like the ROM (with the digest of the
// public key read out of the token by pkcs11-tool) and with the openssl CLI over the raw bytes of
// the signature block. Keys that are not RSA-3072 are refused naming the key and the fix.
#include "service/hsm_signing_key.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <functional>
#include <span>
#include <sstream>

#include "security/secure_boot_v2.hpp"
#include "softhsm_token.hpp"
#include "support/expect_error.hpp"
#include "support/run_command.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

using test::expect_error;
using test::SoftHsmToken;

constexpr const char* kKeyLabel = "sbv2-key";

// Block layout (esp32s3-efuse-and-security.md §9): magic, version, 2 pad, image digest (32), key
// part (776), signature (384, little-endian), CRC32, 16 pad.
constexpr std::size_t kBlockImageDigest = 4;
constexpr std::size_t kBlockSignature = 4 + 32 + 776;

Bytes test_image(std::size_t size) {
  Bytes image(size);
  for (std::size_t i = 0; i < size; ++i) image[i] = static_cast<std::uint8_t>((i * 131u + 7u) >> 3);
  return image;
}

// `openssl pkeyutl -verify` with RSA-PSS (SHA-256, MGF1-SHA-256, salt 32) as a separate program.
test::CommandResult openssl_pss_verify(const std::filesystem::path& public_pem, const std::filesystem::path& digest,
                                       const std::filesystem::path& signature) {
  return test::run_command(
      test::find_tool("openssl", "openssl"),
      {"pkeyutl", "-verify", "-pubin", "-inkey", public_pem.string(), "-in", digest.string(), "-sigfile",
       signature.string(), "-pkeyopt", "digest:sha256", "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt",
       "rsa_pss_saltlen:32", "-pkeyopt", "rsa_mgf1_md:sha256"});
}

// The ROM's view of a public key: SHA-256 of its key part, from a PEM file espfab did not write.
security::KeyDigest digest_of_pem(const std::filesystem::path& public_pem) {
  const crypto::EvpPkeyPtr key = crypto::load_public_key_pem(read_text_file(public_pem));
  return security::sbv2_public_key(key.get()).digest();
}

class HsmSigningKeyTest : public ::testing::Test {
 protected:
  void SetUp() override { hsm.generate_key("rsa:3072", kKeyLabel, "10"); }

  SoftHsmToken hsm;
};

TEST_F(HsmSigningKeyTest, SignsAnImageThatVerifiesWithTheKeyAndWithItsDigest) {
  const Bytes input = test_image(10000);
  security::SignResult signed_image;
  security::Sbv2RsaPublicKey public_key;
  {
    const std::unique_ptr<HsmSigningKey> key = HsmSigningKey::open(hsm.key_config(kKeyLabel));
    EXPECT_EQ(key->describe(), fmt::format("key '{}' id 10 (RSA 3072) on PKCS#11 token 'espfab-ca', module {}",
                                           kKeyLabel, SoftHsmToken::kModule));
    public_key = key->public_key();
    const std::array<const security::SigningKey*, 1> keys{key.get()};
    signed_image = security::sign_image(input, keys);
  }
  EXPECT_EQ(signed_image.data_size, 12288u);
  EXPECT_EQ(signed_image.total_blocks, 1u);
  ASSERT_EQ(signed_image.image.size(), 12288u + security::kSbv2SectorSize);

  const security::VerifyResult with_key = security::verify_with_key(signed_image.image, public_key);
  EXPECT_TRUE(with_key.verified) << with_key.reason;

  // The digest of the public key as pkcs11-tool reads it out of the token: what goes into eFuse.
  const security::KeyDigest trusted = digest_of_pem(hsm.export_public_key_pem(kKeyLabel));
  EXPECT_EQ(trusted, public_key.digest());
  const security::VerifyResult rom = security::verify_with_digests(signed_image.image, std::span(&trusted, 1));
  EXPECT_TRUE(rom.verified) << rom.reason;
  security::KeyDigest other = trusted;
  other[0] ^= 1;
  EXPECT_FALSE(security::verify_with_digests(signed_image.image, std::span(&other, 1)).verified);

  // A changed byte of data is caught.
  Bytes tampered = signed_image.image;
  tampered[100] ^= 0x20;
  EXPECT_FALSE(security::verify_with_key(tampered, public_key).verified);
}

TEST_F(HsmSigningKeyTest, OpensslVerifiesTheSignatureBlockAndSignDigest) {
  const Bytes input = test_image(4096 * 3);
  Bytes image;
  Bytes direct;
  const crypto::Sha256Digest message = crypto::sha256(input);
  {
    const std::unique_ptr<HsmSigningKey> key = HsmSigningKey::open(hsm.key_config(kKeyLabel));
    const std::array<const security::SigningKey*, 1> keys{key.get()};
    image = security::sign_image(input, keys).image;
    direct = key->sign_digest(message);
  }
  const std::filesystem::path public_pem = hsm.export_public_key_pem(kKeyLabel);
  write_file_atomic(hsm.dir() / "data.bin", ByteView(image.data(), input.size()));
  // The digest the openssl CLI computes itself must be the block's image digest.
  const test::CommandResult dgst = test::run_command(
      test::find_tool("openssl", "openssl"),
      {"dgst", "-sha256", "-binary", "-out", (hsm.dir() / "digest.bin").string(), (hsm.dir() / "data.bin").string()});
  ASSERT_EQ(dgst.exit_code, 0) << dgst.err;
  const Bytes digest = read_file(hsm.dir() / "digest.bin");
  ASSERT_EQ(digest, Bytes(message.begin(), message.end()));
  const ByteView block = ByteView(image).subspan(input.size(), security::kSbv2BlockSize);
  const ByteView block_digest = block.subspan(kBlockImageDigest, digest.size());
  EXPECT_EQ(Bytes(block_digest.begin(), block_digest.end()), digest);

  // The block stores the signature little-endian: reversed, it is the usual big-endian one.
  const ByteView stored = block.subspan(kBlockSignature, security::kSbv2RsaBytes);
  Bytes from_block(stored.begin(), stored.end());
  std::reverse(from_block.begin(), from_block.end());
  write_file_atomic(hsm.dir() / "block.sig", from_block);
  const test::CommandResult block_ok =
      openssl_pss_verify(public_pem, hsm.dir() / "digest.bin", hsm.dir() / "block.sig");
  EXPECT_EQ(block_ok.exit_code, 0) << block_ok.out << block_ok.err;
  EXPECT_NE(block_ok.out.find("Signature Verified Successfully"), std::string::npos) << block_ok.out;

  ASSERT_EQ(direct.size(), security::kSbv2RsaBytes);
  EXPECT_NE(direct, from_block);  // a fresh random salt each time
  write_file_atomic(hsm.dir() / "direct.sig", direct);
  const test::CommandResult direct_ok =
      openssl_pss_verify(public_pem, hsm.dir() / "digest.bin", hsm.dir() / "direct.sig");
  EXPECT_EQ(direct_ok.exit_code, 0) << direct_ok.out << direct_ok.err;

  // The same check fails for a signature that is not right (the check can fail).
  direct[10] ^= 1;
  write_file_atomic(hsm.dir() / "bad.sig", direct);
  EXPECT_NE(openssl_pss_verify(public_pem, hsm.dir() / "digest.bin", hsm.dir() / "bad.sig").exit_code, 0);
}

TEST_F(HsmSigningKeyTest, KeysThatAreNotRsa3072AreRefusedNamingTheKeyAndTheFix) {
  hsm.generate_key("EC:prime256v1", "ec-key", "11");
  const auto ec =
      expect_error<BadInputError>([&] { HsmSigningKey::open(hsm.key_config("ec-key")); }, "security.sbv2_key_type");
  EXPECT_NE(ec.message().find("key 'ec-key' id 11 on PKCS#11 token 'espfab-ca' is EC P-256"), std::string::npos)
      << ec.message();
  EXPECT_NE(ec.message().find("needs an RSA-3072 key"), std::string::npos) << ec.message();
  EXPECT_NE(ec.hint().find("--key-type rsa:3072"), std::string::npos) << ec.hint();
  EXPECT_NE(ec.hint().find("--key-label/--key-id"), std::string::npos) << ec.hint();

  hsm.generate_key("rsa:2048", "rsa2048-key", "12");
  const auto rsa = expect_error<BadInputError>([&] { HsmSigningKey::open(hsm.key_config("rsa2048-key")); },
                                               "security.sbv2_key_type");
  EXPECT_NE(rsa.message().find("is RSA 2048"), std::string::npos) << rsa.message();

  // The module was released each time: the right key opens.
  EXPECT_NO_THROW(HsmSigningKey::open(hsm.key_config(kKeyLabel)));
}

TEST_F(HsmSigningKeyTest, TokenErrorsNameTheCliOptions) {
  pki::Pkcs11KeyConfig config = hsm.key_config("no-such-key");
  const auto missing = expect_error<BadInputError>([&] { HsmSigningKey::open(config); }, "pki.hsm_key_not_found");
  EXPECT_NE(missing.hint().find("fix --key-label/--key-id"), std::string::npos) << missing.hint();
  EXPECT_NE(missing.hint().find("--key-type rsa:3072"), std::string::npos) << missing.hint();

  config = hsm.key_config(kKeyLabel);
  config.token_label = "other";
  const auto token = expect_error<BadInputError>([&] { HsmSigningKey::open(config); }, "pki.hsm_token_not_found");
  EXPECT_NE(token.hint().find("fix --token"), std::string::npos) << token.hint();

  config = hsm.key_config(kKeyLabel);
  config.pin_file = hsm.dir() / "pin";
  const auto both = expect_error<BadInputError>([&] { HsmSigningKey::open(config); }, "pki.hsm_config");
  EXPECT_NE(both.message().find("exactly one of --pin-env and --pin-file"), std::string::npos) << both.message();
}

TEST_F(HsmSigningKeyTest, SigningKeyStaysInTheToken) {
  {
    const std::unique_ptr<HsmSigningKey> key = HsmSigningKey::open(hsm.key_config(kKeyLabel));
    const crypto::Sha256Digest digest{};
    EXPECT_EQ(key->sign_digest(digest).size(), security::kSbv2RsaBytes);
  }
  const test::CommandResult listing = hsm.pkcs11_tool({"--list-objects", "--type", "privkey"});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  std::istringstream lines(listing.out);
  std::string access;
  bool in_key = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("label:") != std::string::npos) in_key = line.find(kKeyLabel) != std::string::npos;
    if (in_key && line.find("Access:") != std::string::npos) access = line;
  }
  EXPECT_NE(access.find(" sensitive"), std::string::npos) << listing.out;
  EXPECT_NE(access.find("never extractable"), std::string::npos) << listing.out;
  EXPECT_EQ(access.find(", extractable"), std::string::npos) << listing.out;
}

// OpenSC's pkcs11-spy between libp11 and SoftHSM logs each PKCS#11 call: the token is asked for the
// raw RSA operation (CKM_RSA_X_509) on the block OpenSSL padded, as hsm_signing_key.hpp documents.
TEST_F(HsmSigningKeyTest, TheTokenDoesTheRawRsaOperationOnTheHostsPssEncoding) {
  const std::filesystem::path spy = "/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so";
  if (!std::filesystem::exists(spy)) GTEST_SKIP() << spy << " missing (apt-get install opensc-pkcs11)";
  const std::filesystem::path log = hsm.dir() / "spy.log";
  ::setenv("PKCS11SPY", SoftHsmToken::kModule, 1);
  ::setenv("PKCS11SPY_OUTPUT", log.c_str(), 1);
  pki::Pkcs11KeyConfig config = hsm.key_config(kKeyLabel);
  config.module = spy;
  {
    const std::unique_ptr<HsmSigningKey> key = HsmSigningKey::open(config);
    const crypto::Sha256Digest digest{};
    EXPECT_EQ(key->sign_digest(digest).size(), security::kSbv2RsaBytes);
  }
  ::unsetenv("PKCS11SPY");
  ::unsetenv("PKCS11SPY_OUTPUT");
  const std::string text = read_text_file(log);
  std::size_t sign_inits = 0;
  for (std::size_t at = text.find("C_SignInit"); at != std::string::npos; at = text.find("C_SignInit", at + 1)) {
    ++sign_inits;
    const std::size_t end = text.find("Returned:", at);
    const std::string call = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    EXPECT_NE(call.find("CKM_RSA_X_509"), std::string::npos) << call;
  }
  EXPECT_EQ(sign_inits, 2u) << text;  // the self-test at open, then the signature
  EXPECT_EQ(text.find("CKM_RSA_PKCS_PSS"), std::string::npos);
}

}  // namespace
}  // namespace espfab::service
