#include "image/app_descriptor.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace espfab::image {
namespace {

AppDescriptor sample() {
  AppDescriptor desc;
  desc.secure_version = 3;
  desc.version = "v1.2.3";
  desc.project_name = "factory_test";
  desc.time = "12:34:56";
  desc.date = "Jan  2 2025";
  desc.idf_version = "v5.3.1";
  for (std::size_t i = 0; i < desc.app_elf_sha256.size(); ++i) desc.app_elf_sha256[i] = static_cast<std::uint8_t>(i);
  desc.min_efuse_blk_rev_full = 0;
  desc.max_efuse_blk_rev_full = 199;
  desc.mmu_page_size = 16;
  return desc;
}

TEST(AppDescriptor, LayoutMatchesEspIdfStruct) {
  const Bytes bytes = serialize_app_descriptor(sample());
  ASSERT_EQ(bytes.size(), 256u);
  EXPECT_EQ(load_le32(bytes, 0), 0xABCD5432u);
  EXPECT_EQ(load_le32(bytes, 4), 3u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&bytes[16])), "v1.2.3");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&bytes[48])), "factory_test");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&bytes[80])), "12:34:56");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&bytes[96])), "Jan  2 2025");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&bytes[112])), "v5.3.1");
  EXPECT_EQ(bytes[144], 0);
  EXPECT_EQ(bytes[175], 31);
  EXPECT_EQ(load_le16(bytes, 178), 199);
  EXPECT_EQ(bytes[180], 16);
}

TEST(AppDescriptor, RoundTrips) {
  const auto parsed = parse_app_descriptor(serialize_app_descriptor(sample()));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, sample());
}

TEST(AppDescriptor, NoMagicOrShortDataIsNotADescriptor) {
  Bytes bytes = serialize_app_descriptor(sample());
  EXPECT_FALSE(parse_app_descriptor(ByteView(bytes).first(255)).has_value());
  bytes[0] ^= 1;
  EXPECT_FALSE(parse_app_descriptor(bytes).has_value());
}

TEST(AppDescriptor, UnterminatedFieldStopsAtFieldEnd) {
  Bytes bytes = serialize_app_descriptor(sample());
  std::fill(bytes.begin() + 48, bytes.begin() + 80, static_cast<std::uint8_t>('x'));
  const auto parsed = parse_app_descriptor(bytes);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->project_name, std::string(32, 'x'));
  EXPECT_EQ(parsed->time, "12:34:56");
}

TEST(AppDescriptor, TooLongFieldIsRejected) {
  AppDescriptor desc = sample();
  desc.project_name = std::string(32, 'p');
  try {
    serialize_app_descriptor(desc);
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "image.desc_field_too_long");
    EXPECT_NE(e.message().find("project_name"), std::string::npos);
  }
}

TEST(BootloaderDescriptor, RoundTripsWithMagicByte) {
  const BootloaderDescriptor desc{.version = 2, .idf_version = "v5.3.1", .date_time = "Jan  2 2025 12:34:56"};
  const Bytes bytes = serialize_bootloader_descriptor(desc);
  ASSERT_EQ(bytes.size(), 80u);
  EXPECT_EQ(bytes[0], 0x50);
  EXPECT_EQ(load_le32(bytes, 4), 2u);
  EXPECT_EQ(parse_bootloader_descriptor(bytes), desc);
  Bytes wrong = bytes;
  wrong[0] = 0x51;
  EXPECT_FALSE(parse_bootloader_descriptor(wrong).has_value());
}

}  // namespace
}  // namespace espfab::image
