// The signature sectors espsecure made, appended to an app image: presence, block count, CRC
// validity and key digests equal to the digest files espsecure wrote.
#include "image/signature_sector.hpp"

#include <gtest/gtest.h>

#include "image/app_image.hpp"
#include "support/test_paths.hpp"

namespace espfab::image {
namespace {

using test::read_vector;

// app.bin, 0xFF-padded to 4 KiB, followed by the signature sector of an espsecure output.
Bytes app_with_sector_of(const std::string& signed_vector) {
  Bytes file = read_vector("app_image/app.bin");
  file.resize(static_cast<std::size_t>(align_up(file.size(), 4096)), 0xFF);
  const Bytes sig = read_vector(signed_vector);
  file.insert(file.end(), sig.end() - 4096, sig.end());
  return file;
}

crypto::Sha256Digest digest_file(const std::string& name) {
  const Bytes bytes = read_vector(name);
  crypto::Sha256Digest digest{};
  std::copy(bytes.begin(), bytes.end(), digest.begin());
  return digest;
}

TEST(SignatureSector, OneBlockWithKeyDigest) {
  const Bytes file = app_with_sector_of("app_image/sbv2/signed_key1.bin");
  const AppImage image = parse_app_image(file);
  ASSERT_TRUE(image.signature_sector.has_value());
  const auto& sector = *image.signature_sector;
  EXPECT_EQ(sector.offset, 0x11000u);
  ASSERT_EQ(sector.blocks.size(), 1u);
  EXPECT_EQ(sector.valid_block_count(), 1u);
  EXPECT_EQ(sector.blocks[0].version, kSignatureVersionRsa);
  EXPECT_TRUE(sector.blocks[0].crc_valid());
  EXPECT_EQ(sector.blocks[0].key_digest, digest_file("app_image/sbv2/sbv2_rsa3072_key1_pubkey_digest.bin"));
  // Signed over a different payload, so the stored digest does not match this image.
  EXPECT_FALSE(sector.blocks[0].image_digest_matches);
  EXPECT_EQ(sector.signed_digest, crypto::sha256(ByteView(file).first(0x11000)));
}

TEST(SignatureSector, ImageDigestMatchesOnTheOriginalSignedData) {
  const Bytes file = read_vector("app_image/sbv2/signed_key1.bin");
  const auto sector = find_signature_sector(file, file.size() - 4096);
  ASSERT_TRUE(sector.has_value());
  EXPECT_TRUE(sector->blocks.at(0).image_digest_matches);
}

TEST(SignatureSector, TwoBlocks) {
  const AppImage image = parse_app_image(app_with_sector_of("app_image/sbv2/signed_key1_key2.bin"));
  ASSERT_TRUE(image.signature_sector.has_value());
  ASSERT_EQ(image.signature_sector->blocks.size(), 2u);
  EXPECT_EQ(image.signature_sector->valid_block_count(), 2u);
  EXPECT_EQ(image.signature_sector->blocks[1].key_digest,
            digest_file("app_image/sbv2/sbv2_rsa3072_key2_pubkey_digest.bin"));
}

TEST(SignatureSector, TamperedSignatureFailsCrc) {
  const AppImage image = parse_app_image(app_with_sector_of("app_image/sbv2/tampered_sig_key1.bin"));
  ASSERT_TRUE(image.signature_sector.has_value());
  ASSERT_EQ(image.signature_sector->blocks.size(), 1u);
  EXPECT_FALSE(image.signature_sector->blocks[0].crc_valid());
  EXPECT_NE(image.signature_sector->blocks[0].stored_crc, image.signature_sector->blocks[0].calculated_crc);
  EXPECT_EQ(image.signature_sector->valid_block_count(), 0u);
}

TEST(SignatureSector, AbsentWhenNoMagicOrShort) {
  const Bytes app = read_vector("app_image/app.bin");
  EXPECT_FALSE(find_signature_sector(app, app.size()).has_value());
  Bytes file = app_with_sector_of("app_image/sbv2/signed_key1.bin");
  file.pop_back();
  EXPECT_FALSE(find_signature_sector(file, app.size()).has_value());
}

}  // namespace
}  // namespace espfab::image
