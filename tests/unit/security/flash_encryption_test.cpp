// Flash encryption against espsecure's encrypt_flash_data --aes_xts vectors: every ciphertext byte
// for byte, decryption back to the plaintext, key byte order in eFuse, espsecure's alignment rules.
#include "security/flash_encryption.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "support/test_paths.hpp"
#include "util/error.hpp"

namespace espfab::security {
namespace {

FlashEncryptionKey vector_key(const std::string& name) {
  return FlashEncryptionKey(SecretBytes(test::read_vector("flash_encryption/" + name)));
}

TEST(FlashEncryption, EveryVectorCiphertextByteIdentical) {
  const auto manifest = nlohmann::json::parse(test::read_vector_text("flash_encryption/manifest.json"));
  int cases = 0;
  for (const auto& item : manifest.at("cases")) {
    const std::string plain_name = item.at("plaintext");
    const std::string cipher_name = item.at("ciphertext");
    SCOPED_TRACE(cipher_name);
    const auto key = vector_key(item.at("key"));
    const auto address = static_cast<std::uint32_t>(std::stoul(item.at("address").get<std::string>(), nullptr, 16));
    const Bytes plain = test::read_vector("flash_encryption/" + plain_name);
    const Bytes cipher = test::read_vector("flash_encryption/" + cipher_name);
    EXPECT_EQ(encrypt_flash_data(key, address, plain), cipher);
    EXPECT_EQ(decrypt_flash_data(key, address, cipher), plain);
    ++cases;
  }
  EXPECT_EQ(cases, 12);
}

TEST(FlashEncryption, SubRangeOfAUnitEqualsSliceOfWholeUnit) {
  const auto key = vector_key("xts_aes_128_key.bin");
  Bytes unit(128);
  for (std::size_t i = 0; i < unit.size(); ++i) unit[i] = static_cast<std::uint8_t>(i * 7);
  const Bytes whole = encrypt_flash_data(key, 0x8000, unit);
  const Bytes part = encrypt_flash_data(key, 0x8010, ByteView(unit).subspan(16, 48));
  EXPECT_TRUE(std::equal(part.begin(), part.end(), whole.begin() + 16));
}

TEST(FlashEncryption, EfuseBlockBytesAreReversedHalves) {
  const Bytes file128 = test::read_vector("flash_encryption/xts_aes_128_key.bin");
  const auto key128 = FlashEncryptionKey(SecretBytes(ByteView(file128)));
  EXPECT_EQ(key128.length(), XtsKeyLength::Aes128);
  ASSERT_EQ(key128.block_count(), 1u);
  const SecretBytes block = key128.efuse_block_bytes(0);
  EXPECT_EQ(block.data()[0], file128[31]);
  EXPECT_EQ(block.data()[31], file128[0]);

  const Bytes file256 = test::read_vector("flash_encryption/xts_aes_256_key.bin");
  const auto key256 = FlashEncryptionKey(SecretBytes(ByteView(file256)));
  ASSERT_EQ(key256.block_count(), 2u);
  EXPECT_EQ(key256.efuse_block_bytes(1).data()[0], file256[63]);
  EXPECT_EQ(key256.efuse_block_bytes(1).data()[31], file256[32]);

  std::vector<SecretBytes> blocks;
  blocks.push_back(key256.efuse_block_bytes(0));
  blocks.push_back(key256.efuse_block_bytes(1));
  EXPECT_TRUE(FlashEncryptionKey::from_efuse_blocks(blocks).key_file_bytes() == key256.key_file_bytes());
}

TEST(FlashEncryption, AlignmentErrorsLikeEspsecure) {
  const auto key = vector_key("xts_aes_128_key.bin");
  const Bytes plain(32);
  try {
    (void)encrypt_flash_data(key, 0x8008, plain);
    FAIL() << "unaligned address accepted";
  } catch (const BadInputError& error) {
    EXPECT_EQ(error.code(), "security.fe_unaligned_address");
    EXPECT_EQ(error.message(), "Starting flash address 0x8008 must be a multiple of 16");
  }
  try {
    (void)encrypt_flash_data(key, 0, test::read_vector("flash_encryption/plain_len_20.bin"));
    FAIL() << "unaligned length accepted";
  } catch (const BadInputError& error) {
    EXPECT_EQ(error.code(), "security.fe_unaligned_length");
    EXPECT_EQ(error.message(), "Input data length (20) must be a multiple of 16");
  }
  EXPECT_THROW((void)encrypt_flash_data(key, 0, Bytes{}), BadInputError);
  EXPECT_THROW((void)encrypt_flash_data(key, 0xFFFFFFF0u, Bytes(32)), BadInputError);
}

TEST(FlashEncryption, KeySizeAndEqualHalvesRefused) {
  EXPECT_THROW(FlashEncryptionKey(SecretBytes(16)), BadInputError);
  EXPECT_THROW(FlashEncryptionKey(SecretBytes(48)), BadInputError);
  EXPECT_THROW(FlashEncryptionKey(SecretBytes(32)), BadInputError);  // all zero: equal halves
  EXPECT_EQ(FlashEncryptionKey::generate(XtsKeyLength::Aes256).block_count(), 2u);
}

TEST(FlashEncryption, PlanEncryptsOnlyFlaggedRegionsAndPadsTo16) {
  const auto key = vector_key("xts_aes_128_key.bin");
  const Bytes plain = test::read_vector("flash_encryption/plain_0x8000_3072.bin");
  std::vector<FlashRegion> regions{{"partition-table", 0x8000, plain, true},
                                   {"factory", 0x10000, Bytes(20, 0x11), false},
                                   {"odd", 0x20000, Bytes(20, 0x22), true}};
  encrypt_flash_plan(key, regions);
  EXPECT_EQ(regions[0].data, test::read_vector("flash_encryption/enc_xts_aes_128_0x8000_3072.bin"));
  EXPECT_EQ(regions[1].data, Bytes(20, 0x11));
  ASSERT_EQ(regions[2].data.size(), 32u);
  Bytes padded(20, 0x22);
  padded.resize(32, 0xFF);
  EXPECT_EQ(decrypt_flash_data(key, 0x20000, regions[2].data), padded);
}

TEST(FlashEncryption, BadPlanChangesNothingAndNamesTheRegion) {
  const auto key = vector_key("xts_aes_128_key.bin");
  std::vector<FlashRegion> regions{{"bootloader", 0x0, Bytes(32, 1), true}, {"app", 0x10008, Bytes(32, 2), true}};
  try {
    encrypt_flash_plan(key, regions);
    FAIL() << "unaligned region accepted";
  } catch (const BadInputError& error) {
    EXPECT_NE(error.describe().find("app at 0x10008"), std::string::npos) << error.describe();
  }
  EXPECT_EQ(regions[0].data, Bytes(32, 1));
}

}  // namespace
}  // namespace espfab::security
