// secure-boot's services with PEM keys (the HSM key is tested against SoftHSM in
// tests/integration/pki): the digest file is espsecure's; an image signed by sign_image_file
// verifies with the key and fails with a flipped data byte or another key; --append adds a block;
// too many keys write nothing; the signature info lists the blocks.
#include "service/secure_boot_operations.hpp"

#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

std::filesystem::path vec(const std::string& name) { return test::vector_path("secure_boot_v2/" + name); }

security::KeyDigest digest_of(const std::string& name) {
  const Bytes bytes = test::read_vector("secure_boot_v2/" + name);
  security::KeyDigest digest{};
  EXPECT_EQ(bytes.size(), digest.size());
  std::copy_n(bytes.begin(), std::min(bytes.size(), digest.size()), digest.begin());
  return digest;
}

SecureBootSignRequest sign_request(std::vector<std::filesystem::path> keys, const std::filesystem::path& input,
                                   const std::filesystem::path& output) {
  SecureBootSignRequest request;
  request.key_files = std::move(keys);
  request.input = input;
  request.output = output;
  return request;
}

TEST(SecureBootOperations, DigestFileIsEspsecures) {
  test::TempDir dir;
  SecureBootDigestRequest request;
  request.key_file = vec("sbv2_rsa3072_key1.pem");
  request.output = dir / "digest.bin";
  bool hsm_reported = false;
  request.hsm_key_opened = [&](const std::string&) { hsm_reported = true; };
  const security::KeyDigest digest = write_public_key_digest(request);
  EXPECT_EQ(digest, digest_of("sbv2_rsa3072_key1_pubkey_digest.bin"));
  EXPECT_EQ(read_file(request.output), test::read_vector("secure_boot_v2/sbv2_rsa3072_key1_pubkey_digest.bin"));
  EXPECT_FALSE(hsm_reported) << "a PEM key is no HSM key";

  request.key_file = vec("payload_aligned.bin");
  request.output = dir / "other.bin";
  EXPECT_THROW(write_public_key_digest(request), BadInputError);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"digest.bin"});
}

TEST(SecureBootOperations, SignThenVerifyAndAFlippedByteFails) {
  test::TempDir dir;
  SecureBootSignRequest request =
      sign_request({vec("sbv2_rsa3072_key1.pem")}, vec("payload_unaligned.bin"), dir / "signed.bin");
  bool output_absent_when_signed = false;
  request.signed_image = [&](const SecureBootSignature&) {
    output_absent_when_signed = !std::filesystem::exists(request.output);
  };
  const SecureBootSignature signature = sign_image_file(request);
  EXPECT_TRUE(output_absent_when_signed) << "the event comes before the output is written";
  EXPECT_EQ(signature.keys, 1u);
  EXPECT_EQ(signature.total_blocks, 1u);
  EXPECT_EQ(signature.data_size % 4096, 0u);
  ASSERT_EQ(signature.notes.size(), 1u);
  EXPECT_NE(signature.notes[0].find("Padding data contents"), std::string::npos) << signature.notes[0];
  EXPECT_EQ(read_file(request.output).size(), signature.data_size + 4096);

  const SecureBootVerification good = verify_image_file(vec("sbv2_rsa3072_key1_pub.pem"), request.output);
  EXPECT_TRUE(good.result.verified) << good.result.reason;
  EXPECT_EQ(good.result.verified_block, 0u);
  EXPECT_EQ(good.key_digest, digest_of("sbv2_rsa3072_key1_pubkey_digest.bin"));

  const SecureBootVerification other = verify_image_file(vec("sbv2_rsa3072_key2_pub.pem"), request.output);
  EXPECT_FALSE(other.result.verified);

  Bytes tampered = read_file(request.output);
  tampered[100] ^= 0x01;
  write_file_atomic(dir / "tampered.bin", tampered);
  const SecureBootVerification bad = verify_image_file(vec("sbv2_rsa3072_key1_pub.pem"), dir / "tampered.bin");
  EXPECT_FALSE(bad.result.verified);
  EXPECT_FALSE(bad.result.reason.empty());
}

TEST(SecureBootOperations, AppendAddsABlockAndInfoListsBoth) {
  test::TempDir dir;
  sign_image_file(sign_request({vec("sbv2_rsa3072_key1.pem")}, vec("payload_aligned.bin"), dir / "one.bin"));
  SecureBootSignRequest append = sign_request({vec("sbv2_rsa3072_key2.pem")}, dir / "one.bin", dir / "two.bin");
  append.append = true;
  const SecureBootSignature signature = sign_image_file(append);
  EXPECT_EQ(signature.total_blocks, 2u);

  const std::vector<security::SignatureInfo> info = read_signature_info(dir / "two.bin");
  ASSERT_EQ(info.size(), 2u);
  EXPECT_EQ(info[0].key_digest, digest_of("sbv2_rsa3072_key1_pubkey_digest.bin"));
  EXPECT_EQ(info[1].key_digest, digest_of("sbv2_rsa3072_key2_pubkey_digest.bin"));
  for (const char* key : {"sbv2_rsa3072_key1_pub.pem", "sbv2_rsa3072_key2_pub.pem"}) {
    EXPECT_TRUE(verify_image_file(vec(key), dir / "two.bin").result.verified) << key;
  }
}

TEST(SecureBootOperations, RefusalsWriteNothingAndNameTheInput) {
  test::TempDir dir;
  SecureBootSignRequest request =
      sign_request({vec("sbv2_rsa3072_key1.pem"), vec("sbv2_rsa3072_key2.pem"), vec("sbv2_rsa3072_key1.pem")},
                   vec("signed_key1.bin"), dir / "out.bin");
  request.append = true;  // one block is taken: three more do not fit
  const auto error =
      test::expect_error<BadInputError>([&] { sign_image_file(request); }, "security.sbv2_too_many_keys");
  ASSERT_FALSE(error.context().empty());
  EXPECT_EQ(error.context()[0], "signing " + vec("signed_key1.bin").string());
  EXPECT_TRUE(dir.entries().empty());

  EXPECT_THROW(verify_image_file(vec("sbv2_rsa3072_key1_pub.pem"), vec("payload_unaligned.bin")), BadInputError);
  EXPECT_THROW(read_signature_info(vec("tampered_data_key1.bin")), BadInputError);
}

}  // namespace
}  // namespace espfab::service
