// nvs_keys partitions: layout, CRC, raw key files, refusals.
#include "image/nvs_keys.hpp"

#include <gtest/gtest.h>

#include "util/crc32.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

std::string code_of(ByteView file) {
  try {
    read_nvs_keys_partition(file);
  } catch (const Error& e) {
    return e.code();
  }
  return "none";
}

TEST(NvsKeys, PartitionLayout) {
  const NvsKeys keys = NvsKeys::generate();
  const SecretBytes image = build_nvs_keys_partition(keys);
  ASSERT_EQ(image.size(), 4096u);
  EXPECT_TRUE(std::equal(keys.material().view().begin(), keys.material().view().end(), image.view().begin()));
  EXPECT_EQ(load_le32(image.view(), 64), crc32_esp(keys.material().view()));
  EXPECT_TRUE(std::all_of(image.view().begin() + 68, image.view().end(), [](std::uint8_t b) { return b == 0xFF; }));
  EXPECT_EQ(read_nvs_keys_partition(image.view()).material(), keys.material());
  EXPECT_NE(NvsKeys::generate().material(), keys.material());
}

TEST(NvsKeys, RawKeyFileAndRefusals) {
  Bytes raw(64);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(read_nvs_keys_partition(raw).encryption_key()[1], 1);
  EXPECT_EQ(read_nvs_keys_partition(raw).tweak_key()[0], 32);
  EXPECT_EQ(code_of(Bytes(10)), "nvs.keys_too_short");
  EXPECT_EQ(code_of(Bytes(4096, 0xFF)), "nvs.keys_erased");
  Bytes bad(4096, 0xFF);
  std::copy(raw.begin(), raw.end(), bad.begin());
  store_le32(bad, 64, 0x12345678);
  EXPECT_EQ(code_of(bad), "nvs.keys_bad_crc");
  EXPECT_EQ(code_of(Bytes(64, 0x11)), "nvs.equal_key_halves");
  EXPECT_THROW(NvsKeys::from_hmac_key(Bytes(16)), BadInputError);
}

}  // namespace
}  // namespace espfab::image
