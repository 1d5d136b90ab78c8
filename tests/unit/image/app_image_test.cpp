// Parsing the esptool-made vectors: every fact image_info prints, and every way an image can be
// structurally broken.
#include "image/app_image.hpp"

#include <gtest/gtest.h>

#include "support/test_paths.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

using test::read_vector;

std::string hex_digest(const crypto::Sha256Digest& digest) { return to_hex(digest); }

TEST(AppImage, ParsesAppVectorHeaders) {
  const Bytes file = read_vector("app_image/app.bin");
  const AppImage image = parse_app_image(file);
  EXPECT_EQ(image.file_size, 66128u);
  EXPECT_EQ(image.header.segment_count, 5);
  EXPECT_EQ(image.header.flash_mode, 2);  // dio
  EXPECT_EQ(image.header.flash_size_code(), 0x20);
  EXPECT_EQ(image.header.flash_frequency_code(), 0xF);
  EXPECT_EQ(image.header.entry_point, 0x40370000u);
  EXPECT_EQ(image.extended.wp_pin, kWpPinDisabled);
  EXPECT_EQ(image.extended.chip_id, 9);
  EXPECT_EQ(image.extended.min_rev, 0);
  EXPECT_EQ(image.extended.min_chip_rev_full, 0);
  EXPECT_EQ(image.extended.max_chip_rev_full, 0xFFFF);
  EXPECT_TRUE(image.extended.hash_appended);
}

TEST(AppImage, ParsesAppVectorSegments) {
  const AppImage image = parse_app_image(read_vector("app_image/app.bin"));
  struct Expected {
    std::size_t length;
    std::uint32_t address;
    std::size_t offset;
    std::vector<std::string_view> types;
  };
  const std::vector<Expected> expected{
      {0x12c, 0x3c000020, 0x18, {"DROM"}},
      {0x40, 0x3fc88000, 0x14c, {"BYTE_ACCESSIBLE", "MEM_INTERNAL", "DRAM"}},
      {0x100, 0x40370000, 0x194, {"MEM_INTERNAL", "IRAM"}},
      {0xfd74, 0x0, 0x29c, {"PADDING"}},
      {0x200, 0x42000020, 0x10018, {"IROM"}},
  };
  ASSERT_EQ(image.segments.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(image.segments[i].data.size(), expected[i].length) << i;
    EXPECT_EQ(image.segments[i].load_address, expected[i].address) << i;
    EXPECT_EQ(image.segments[i].header_offset, expected[i].offset) << i;
    EXPECT_EQ(image.segments[i].memory_types, expected[i].types) << i;
  }
}

TEST(AppImage, AppVectorChecksumAndHashAreValid) {
  const AppImage image = parse_app_image(read_vector("app_image/app.bin"));
  EXPECT_EQ(image.checksum_offset, 66095u);  // manifest.json
  EXPECT_EQ(image.checksum.stored, 0xfc);
  EXPECT_TRUE(image.checksum.valid());
  ASSERT_TRUE(image.hash.has_value());
  EXPECT_TRUE(image.hash->valid());
  EXPECT_EQ(hex_digest(image.hash->calculated), "de58e69251675d07685bd3372f6c66c420f2dd0b42a4728976a13c2f48d54ce6");
  EXPECT_EQ(image.image_size, 66128u);
  EXPECT_TRUE(image.valid());
  EXPECT_FALSE(image.app_descriptor.has_value());  // random DROM bytes, no magic
  EXPECT_FALSE(image.signature_sector.has_value());
}

TEST(AppImage, BootVectorFacts) {
  const AppImage image = parse_app_image(read_vector("app_image/boot.bin"));
  EXPECT_EQ(image.header.entry_point, 0x403ca000u);
  ASSERT_EQ(image.segments.size(), 3u);
  EXPECT_EQ(image.segments[0].load_address, 0x3fce3000u);
  EXPECT_EQ(image.segments[1].header_offset, 0x80u);
  EXPECT_EQ(image.segments[2].data.size(), 0x190u);
  EXPECT_EQ(image.checksum.stored, 0x26);
  EXPECT_TRUE(image.valid());
  EXPECT_EQ(hex_digest(image.hash->calculated), "fd656d677d772eb83f8bfd5eb355b9e3958a074e685e52484651f25f7018533d");
  EXPECT_FALSE(image.bootloader_descriptor.has_value());
}

TEST(AppImage, MergedVectorsParseTheBootloaderAtTheStart) {
  const AppImage merged = parse_app_image(read_vector("app_image/merged.bin"));
  EXPECT_EQ(merged.file_size, 131664u);
  EXPECT_EQ(merged.image_size, 784u);
  EXPECT_TRUE(merged.valid());
  const AppImage patched = parse_app_image(read_vector("app_image/merged_hdr_patched.bin"));
  EXPECT_EQ(patched.header.flash_mode, 0);  // qio
  EXPECT_EQ(patched.header.flash_size_freq, 0x30);
  EXPECT_TRUE(patched.valid());
  EXPECT_EQ(hex_digest(patched.hash->calculated), "a6159f95c8b49843444494e98b54d2cc471442dc3bf2a70f92e3cf8258b9c1d3");
}

TEST(AppImage, BadChecksumIsReportedWithCalculatedValue) {
  const AppImage image = parse_app_image(read_vector("app_image/app_bad_checksum.bin"));
  EXPECT_EQ(image.checksum.stored, 0xfc);
  EXPECT_EQ(image.checksum.calculated, 0xa9);
  EXPECT_FALSE(image.checksum.valid());
  EXPECT_TRUE(image.hash->valid());
  EXPECT_EQ(hex_digest(image.hash->calculated), "d42d4f1a420549d39b9f60955579f9d8b6fc71b11a4bd1ffe0b9271bd7ca4e05");
  EXPECT_FALSE(image.valid());
}

TEST(AppImage, BadShaIsReportedWithCalculatedValue) {
  const AppImage image = parse_app_image(read_vector("app_image/app_bad_sha256.bin"));
  EXPECT_TRUE(image.checksum.valid());
  EXPECT_FALSE(image.hash->valid());
  EXPECT_EQ(hex_digest(image.hash->calculated), "de58e69251675d07685bd3372f6c66c420f2dd0b42a4728976a13c2f48d54ce6");
  EXPECT_EQ(image.hash->stored.back(), image.hash->calculated.back() ^ 0x01);
  EXPECT_FALSE(image.valid());
}

std::string error_code_of(ByteView bytes) {
  try {
    parse_app_image(bytes);
  } catch (const BadInputError& e) {
    return e.code();
  }
  return "no error";
}

TEST(AppImage, TruncatedAtEveryStructuralCutPointThrows) {
  const Bytes app = read_vector("app_image/app.bin");
  // Every cut inside the headers, each segment header, the segment data, the checksum and the hash.
  std::vector<std::size_t> cuts{0,     1,     7,     8,     23,      24,      25,    31,    32,    0x14b, 0x14c,
                                0x150, 0x194, 0x29c, 0x2a3, 0x10017, 0x10020, 66094, 66095, 66096, 66100, 66127};
  for (std::size_t cut = 0; cut < app.size(); cut += 997) cuts.push_back(cut);
  for (const std::size_t cut : cuts) {
    const std::string code = error_code_of(ByteView(app).first(cut));
    EXPECT_EQ(code, "image.truncated") << "cut at " << cut;
  }
}

TEST(AppImage, TruncatedMessageNamesOffsetAndPart) {
  const Bytes app = read_vector("app_image/app.bin");
  try {
    parse_app_image(ByteView(app).first(0x2a0));
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_NE(e.message().find("segment 3"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("0x29c"), std::string::npos) << e.message();
    EXPECT_FALSE(e.hint().empty());
  }
}

TEST(AppImage, WrongMagicThrows) {
  Bytes app = read_vector("app_image/app.bin");
  app[0] = 0xE8;
  try {
    parse_app_image(app);
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "image.bad_magic");
    EXPECT_NE(e.message().find("0xe8"), std::string::npos) << e.message();
  }
  EXPECT_EQ(error_code_of(read_vector("app_image/pt.bin")), "image.bad_magic");
}

TEST(AppImage, TooManySegmentsThrows) {
  Bytes app = read_vector("app_image/app.bin");
  app[1] = 17;
  EXPECT_EQ(error_code_of(app), "image.bad_segment_count");
}

TEST(AppImage, WrongChipThrowsNamingTheChip) {
  Bytes app = read_vector("app_image/app.bin");
  app[12] = 5;  // ESP32-C3
  try {
    parse_app_image(app);
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "image.wrong_chip");
    EXPECT_NE(e.message().find("ESP32-C3"), std::string::npos) << e.message();
  }
}

TEST(AppImage, BadHashFlagThrows) {
  Bytes app = read_vector("app_image/app.bin");
  app[23] = 2;
  EXPECT_EQ(error_code_of(app), "image.bad_hash_flag");
}

TEST(AppImage, WithoutHashFlagNoHashIsRead) {
  Bytes boot = read_vector("app_image/boot.bin");
  boot[23] = 0;
  boot.resize(boot.size() - 32);
  const AppImage image = parse_app_image(boot);
  EXPECT_FALSE(image.hash.has_value());
  EXPECT_TRUE(image.valid());
  EXPECT_EQ(image.image_size, boot.size());
}

TEST(AppImage, MemoryTypesFollowTheChipTable) {
  EXPECT_EQ(memory_types(chip::kEsp32s3, 0x3FC88000),
            (std::vector<std::string_view>{"BYTE_ACCESSIBLE", "MEM_INTERNAL", "DRAM"}));
  EXPECT_EQ(memory_types(chip::kEsp32s3, 0x42000020), (std::vector<std::string_view>{"IROM"}));
  EXPECT_TRUE(memory_types(chip::kEsp32s3, 0x20000000).empty());
}

}  // namespace
}  // namespace espfab::image
