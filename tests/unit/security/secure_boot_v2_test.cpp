// Secure Boot V2 against espsecure's vectors: key digests byte-identical, the key part of our
// blocks equal to espsecure's, the vectors' signed/tampered images accepted/rejected as logged,
// our signatures (single, multiple, appended, padded) accepted by our verifier and by the ROM check.
#include "security/secure_boot_v2.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "support/test_paths.hpp"
#include "util/error.hpp"

namespace espfab::security {
namespace {

std::string vec(const std::string& name) { return test::vector_path("secure_boot_v2/" + name).string(); }
Bytes read(const std::string& name) { return test::read_vector("secure_boot_v2/" + name); }

Sbv2RsaPublicKey public_key(const std::string& name) {
  const auto key = load_sbv2_key_file(vec(name), false);
  return sbv2_public_key(key.get());
}

KeyDigest as_digest(const Bytes& bytes) {
  KeyDigest digest{};
  EXPECT_EQ(bytes.size(), digest.size());
  std::copy_n(bytes.begin(), std::min(bytes.size(), digest.size()), digest.begin());
  return digest;
}

TEST(SecureBootV2, KeyDigestsByteIdenticalFromPrivateAndPublicPem) {
  for (const char* key : {"sbv2_rsa3072_key1", "sbv2_rsa3072_key2"}) {
    SCOPED_TRACE(key);
    const KeyDigest expected = as_digest(read(std::string(key) + "_pubkey_digest.bin"));
    EXPECT_EQ(public_key(std::string(key) + ".pem").digest(), expected);
    EXPECT_EQ(public_key(std::string(key) + "_pub.pem").digest(), expected);
  }
}

TEST(SecureBootV2, KeyPartEqualsEspsecureBlock) {
  const Bytes signed_image = read("signed_key1.bin");
  const ByteView block = ByteView(signed_image).subspan(signed_image.size() - 4096, 1216);
  const Bytes ours = public_key("sbv2_rsa3072_key1_pub.pem").key_part();
  EXPECT_TRUE(std::equal(ours.begin(), ours.end(), block.begin() + 36));
  EXPECT_EQ(public_key("sbv2_rsa3072_key1.pem").e, 65537u);
}

struct VerifyCase {
  const char* image;
  const char* key;
  bool accepted;
};

TEST(SecureBootV2, VectorImagesAcceptedAndRejectedAsLogged) {
  const VerifyCase cases[] = {
      {"signed_key1.bin", "sbv2_rsa3072_key1_pub.pem", true},
      {"signed_key1.bin", "sbv2_rsa3072_key1.pem", true},
      {"signed_key1.bin", "sbv2_rsa3072_key2_pub.pem", false},
      {"signed_key1_key2.bin", "sbv2_rsa3072_key1_pub.pem", true},
      {"signed_key1_key2.bin", "sbv2_rsa3072_key2_pub.pem", true},
      {"signed_key1_append_key2.bin", "sbv2_rsa3072_key2_pub.pem", true},
      {"signed_unaligned_key1.bin", "sbv2_rsa3072_key1_pub.pem", true},
      {"tampered_data_key1.bin", "sbv2_rsa3072_key1_pub.pem", false},
      {"tampered_sig_key1.bin", "sbv2_rsa3072_key1_pub.pem", false},
      {"tampered_sig_crcfixed_key1.bin", "sbv2_rsa3072_key1_pub.pem", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.image) + " with " + c.key);
    const auto result = verify_with_key(read(c.image), public_key(c.key));
    EXPECT_EQ(result.verified, c.accepted) << result.reason;
  }
  const auto tampered = verify_with_key(read("tampered_data_key1.bin"), public_key("sbv2_rsa3072_key1_pub.pem"));
  ASSERT_FALSE(tampered.blocks.empty());
  EXPECT_EQ(tampered.blocks.back().status, BlockStatus::DigestMismatch);
  const auto bad_crc = verify_with_key(read("tampered_sig_key1.bin"), public_key("sbv2_rsa3072_key1_pub.pem"));
  EXPECT_EQ(bad_crc.blocks.at(0).status, BlockStatus::Invalid);
  const auto bad_sig = verify_with_key(read("tampered_sig_crcfixed_key1.bin"), public_key("sbv2_rsa3072_key1_pub.pem"));
  EXPECT_EQ(bad_sig.blocks.at(0).status, BlockStatus::BadSignature);
}

TEST(SecureBootV2, RomCheckUsesEfuseDigests) {
  const KeyDigest digest1 = as_digest(read("sbv2_rsa3072_key1_pubkey_digest.bin"));
  const KeyDigest digest2 = as_digest(read("sbv2_rsa3072_key2_pubkey_digest.bin"));
  const std::vector<KeyDigest> only1{digest1};
  const std::vector<KeyDigest> only2{digest2};
  EXPECT_TRUE(verify_with_digests(read("signed_key1.bin"), only1).verified);
  const auto untrusted = verify_with_digests(read("signed_key1.bin"), only2);
  EXPECT_FALSE(untrusted.verified);
  EXPECT_EQ(untrusted.blocks.at(0).status, BlockStatus::UntrustedKey);
  const auto second = verify_with_digests(read("signed_key1_key2.bin"), only2);
  EXPECT_TRUE(second.verified);
  EXPECT_EQ(second.verified_block, 1u);
  EXPECT_FALSE(verify_with_digests(read("tampered_data_key1.bin"), only1).verified);
  EXPECT_FALSE(verify_with_digests(read("tampered_sig_crcfixed_key1.bin"), only1).verified);
  EXPECT_FALSE(verify_with_digests(Bytes(100), only1).verified);
}

TEST(SecureBootV2, SignatureInfoListsValidBlocks) {
  const auto info = signature_info(read("signed_key1_key2.bin"));
  ASSERT_EQ(info.size(), 2u);
  EXPECT_EQ(info[0].key_digest, as_digest(read("sbv2_rsa3072_key1_pubkey_digest.bin")));
  EXPECT_EQ(info[1].key_digest, as_digest(read("sbv2_rsa3072_key2_pubkey_digest.bin")));
  EXPECT_THROW(signature_info(read("tampered_data_key1.bin")), BadInputError);
  EXPECT_THROW(signature_info(read("payload_unaligned.bin")), BadInputError);
}

TEST(SecureBootV2, OurSignaturesVerifyAndPadLikeEspsecure) {
  const auto key1 = PemSigningKey::from_file(vec("sbv2_rsa3072_key1.pem"));
  const auto key2 = PemSigningKey::from_file(vec("sbv2_rsa3072_key2.pem"));
  const Bytes payload = read("payload_unaligned.bin");
  const SigningKey* keys[] = {key1.get(), key2.get()};
  const auto signed_both = sign_image(payload, keys);
  EXPECT_EQ(signed_both.image.size(), read("signed_unaligned_key1.bin").size());
  EXPECT_EQ(signed_both.padded_by, 3728u);
  EXPECT_EQ(signed_both.total_blocks, 2u);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), signed_both.image.begin()));
  EXPECT_TRUE(std::all_of(signed_both.image.begin() + 70000, signed_both.image.begin() + 73728,
                          [](std::uint8_t b) { return b == 0xFF; }));
  // Data up to the signature sector equals espsecure's signed file (padding included).
  const Bytes theirs = read("signed_unaligned_key1.bin");
  EXPECT_TRUE(std::equal(theirs.begin(), theirs.end() - 4096, signed_both.image.begin()));
  EXPECT_TRUE(std::all_of(signed_both.image.end() - 4096 + 2 * 1216, signed_both.image.end(),
                          [](std::uint8_t b) { return b == 0xFF; }));
  EXPECT_TRUE(verify_with_key(signed_both.image, key1->public_key()).verified);
  const auto by_key2 = verify_with_key(signed_both.image, key2->public_key());
  EXPECT_TRUE(by_key2.verified);
  EXPECT_EQ(by_key2.verified_block, 1u);
}

TEST(SecureBootV2, AppendKeepsExistingBlocksByteForByte) {
  const auto key2 = PemSigningKey::from_file(vec("sbv2_rsa3072_key2.pem"));
  const Bytes signed1 = read("signed_key1.bin");
  const SigningKey* keys[] = {key2.get()};
  const auto appended = sign_image(signed1, keys, {.append = true});
  ASSERT_EQ(appended.image.size(), signed1.size());
  EXPECT_EQ(appended.kept_blocks, 1u);
  EXPECT_EQ(appended.total_blocks, 2u);
  EXPECT_TRUE(std::equal(signed1.begin(), signed1.end() - 4096 + 1216, appended.image.begin()));
  EXPECT_TRUE(verify_with_key(appended.image, key2->public_key()).verified);
  EXPECT_TRUE(verify_with_key(appended.image, public_key("sbv2_rsa3072_key1_pub.pem")).verified);

  // Without --append an aligned signed file is data: its old sector becomes part of what is signed.
  const auto afresh = sign_image(signed1, keys);
  EXPECT_EQ(afresh.image.size(), signed1.size() + 4096);
}

TEST(SecureBootV2, TooManyKeysAndWrongKeysRefused) {
  const auto key1 = PemSigningKey::from_file(vec("sbv2_rsa3072_key1.pem"));
  const SigningKey* three[] = {key1.get(), key1.get(), key1.get()};
  const Bytes signed_both = read("signed_key1_key2.bin");
  try {
    (void)sign_image(signed_both, three, {.append = true});
    FAIL() << "accepted 5 blocks";
  } catch (const BadInputError& error) {
    EXPECT_EQ(error.code(), "security.sbv2_too_many_keys");
  }
  EXPECT_THROW((void)sign_image(Bytes(10), {}), BadInputError);
  EXPECT_THROW((void)PemSigningKey::from_file(vec("sbv2_rsa3072_key1_pub.pem")), BadInputError);
  EXPECT_THROW((void)load_sbv2_key_file(vec("payload_aligned.bin"), false), BadInputError);
  const auto ec = crypto::generate_ec_p256();
  EXPECT_THROW((void)sbv2_public_key(ec.get()), BadInputError);
}

}  // namespace
}  // namespace espfab::security
