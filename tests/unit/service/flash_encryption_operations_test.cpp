// flash-encryption's services: encrypting a file gives espsecure's ciphertext and decrypting it
// gives the plaintext back, for both key lengths; bad keys and unaligned data write nothing; a
// generated key file is 0600, the right size, and works as a key.
#include "service/flash_encryption_operations.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

std::filesystem::path vec(const std::string& name) { return test::vector_path("flash_encryption/" + name); }

FlashCryptRequest crypt(FlashCryptDirection direction, const std::filesystem::path& key, std::uint32_t address,
                        const std::filesystem::path& input, const std::filesystem::path& output) {
  return {.direction = direction, .key_file = key, .address = address, .input = input, .output = output};
}

TEST(FlashEncryptionOperations, EncryptThenDecryptRoundTrips) {
  struct Case {
    const char* key;
    const char* ciphertext;
    security::XtsKeyLength length;
  };
  const Case cases[] = {
      {"xts_aes_128_key.bin", "enc_xts_aes_128_0x10000_65536.bin", security::XtsKeyLength::Aes128},
      {"xts_aes_256_key.bin", "enc_xts_aes_256_0x10000_65536.bin", security::XtsKeyLength::Aes256},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    test::TempDir dir;
    const auto plain = vec("plain_0x10000_65536.bin");
    const FlashCryptResult encrypted =
        crypt_flash_file(crypt(FlashCryptDirection::Encrypt, vec(c.key), 0x10000, plain, dir / "enc.bin"));
    EXPECT_EQ(encrypted.size, 65536u);
    EXPECT_EQ(encrypted.key_length, c.length);
    EXPECT_EQ(read_file(dir / "enc.bin"), test::read_vector(std::string("flash_encryption/") + c.ciphertext));

    const FlashCryptResult decrypted =
        crypt_flash_file(crypt(FlashCryptDirection::Decrypt, vec(c.key), 0x10000, dir / "enc.bin", dir / "dec.bin"));
    EXPECT_EQ(decrypted.size, 65536u);
    EXPECT_EQ(read_file(dir / "dec.bin"), read_file(plain));

    // The ciphertext belongs to its address: decrypted elsewhere it is not the plaintext.
    crypt_flash_file(crypt(FlashCryptDirection::Decrypt, vec(c.key), 0x20000, dir / "enc.bin", dir / "wrong.bin"));
    EXPECT_NE(read_file(dir / "wrong.bin"), read_file(plain));
  }
}

TEST(FlashEncryptionOperations, BadInputWritesNothing) {
  test::TempDir dir;
  const auto out = dir / "out.bin";
  auto error = test::expect_error<BadInputError>(
      [&] {
        crypt_flash_file(
            crypt(FlashCryptDirection::Encrypt, vec("xts_aes_128_key.bin"), 0x8008, vec("plain_0x8010_48.bin"), out));
      },
      "security.fe_unaligned_address");
  ASSERT_FALSE(error.context().empty());
  EXPECT_EQ(error.context()[0], "encrypting " + vec("plain_0x8010_48.bin").string());

  error = test::expect_error<BadInputError>(
      [&] {
        crypt_flash_file(
            crypt(FlashCryptDirection::Decrypt, vec("plain_len_20.bin"), 0, vec("plain_0x0_4096.bin"), out));
      },
      "security.fe_key_size");
  ASSERT_FALSE(error.context().empty());
  EXPECT_EQ(error.context()[0], "reading key file " + vec("plain_len_20.bin").string());
  EXPECT_TRUE(dir.entries().empty());
}

TEST(FlashEncryptionOperations, GeneratedKeyFileIsPrivateAndWorks) {
  test::TempDir dir;
  for (const auto& [length, size] :
       {std::pair{security::XtsKeyLength::Aes128, 32u}, std::pair{security::XtsKeyLength::Aes256, 64u}}) {
    SCOPED_TRACE(size);
    const auto key = dir / "key.bin";
    generate_flash_encryption_key_file(length, key);
    EXPECT_EQ(read_file(key).size(), size);
    struct stat info {};
    ASSERT_EQ(::stat(key.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);

    const FlashCryptResult result =
        crypt_flash_file(crypt(FlashCryptDirection::Encrypt, key, 0x0, vec("plain_0x0_4096.bin"), dir / "enc.bin"));
    EXPECT_EQ(result.key_length, length);
    crypt_flash_file(crypt(FlashCryptDirection::Decrypt, key, 0x0, dir / "enc.bin", dir / "dec.bin"));
    EXPECT_EQ(read_file(dir / "dec.bin"), test::read_vector("flash_encryption/plain_0x0_4096.bin"));
  }
  // Two keys are never the same.
  generate_flash_encryption_key_file(security::XtsKeyLength::Aes128, dir / "a.bin");
  generate_flash_encryption_key_file(security::XtsKeyLength::Aes128, dir / "b.bin");
  EXPECT_NE(read_file(dir / "a.bin"), read_file(dir / "b.bin"));
}

}  // namespace
}  // namespace espfab::service
