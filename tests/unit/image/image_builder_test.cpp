// The esptool layout rules on synthetic segments: merging, MMU-page alignment, padding, options.
#include "image/image_builder.hpp"

#include <gtest/gtest.h>

#include "image/app_image.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

Bytes pattern(std::size_t size, std::uint8_t seed) {
  Bytes data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(seed + i * 7);
  return data;
}

ImageBuildOptions options_with_entry(std::uint32_t entry) {
  ImageBuildOptions options;
  options.entry_point = entry;
  options.flash_mode = 2;
  options.flash_size_freq = 0x2F;
  return options;
}

TEST(ImageBuilder, MergesAdjacentSectionsOfTheSameKind) {
  const Bytes image = build_image({{0x40370000, pattern(0x20, 1), ".a", kSegmentExecutable},
                                   {0x40370020, pattern(0x10, 2), ".b", kSegmentExecutable},
                                   {0x3FC88000, pattern(0x10, 3), ".c", 0}},
                                  options_with_entry(0x40370000));
  const AppImage parsed = parse_app_image(image);
  ASSERT_EQ(parsed.segments.size(), 2u);
  EXPECT_EQ(parsed.segments[0].load_address, 0x3FC88000u);  // sorted by address
  EXPECT_EQ(parsed.segments[1].data.size(), 0x30u);
  EXPECT_TRUE(parsed.valid());
}

TEST(ImageBuilder, DoesNotMergeAcrossExecFlagOrGap) {
  const Bytes image = build_image({{0x40370000, pattern(0x20, 1), ".a", kSegmentExecutable},
                                   {0x40370020, pattern(0x10, 2), ".b", 0},
                                   {0x40370034, pattern(0x10, 3), ".c", 0}},
                                  options_with_entry(0x40370000));
  EXPECT_EQ(parse_app_image(image).segments.size(), 3u);
}

TEST(ImageBuilder, PadsSectionsToWords) {
  const Bytes image = build_image({{0x40370000, pattern(5, 1), ".a", 0}}, options_with_entry(0x40370000));
  const AppImage parsed = parse_app_image(image);
  ASSERT_EQ(parsed.segments.size(), 1u);
  EXPECT_EQ(parsed.segments[0].data.size(), 8u);
  EXPECT_EQ(parsed.segments[0].data[5], 0);
}

TEST(ImageBuilder, FlashSegmentsLandOnTheirMmuOffset) {
  const Bytes image = build_image({{0x3C000020, pattern(0x100, 1), ".flash.rodata", 0},
                                   {0x42010020, pattern(0x300, 2), ".flash.text", kSegmentExecutable},
                                   {0x40370000, pattern(0x20000, 3), ".iram0.text", kSegmentExecutable}},
                                  options_with_entry(0x40370000));
  const AppImage parsed = parse_app_image(image);
  EXPECT_TRUE(parsed.valid());
  std::size_t iram_bytes = 0;
  for (const auto& segment : parsed.segments) {
    if (segment.has_memory_type("IROM") || segment.has_memory_type("DROM")) {
      EXPECT_EQ(segment.data_offset() % 0x10000, segment.load_address % 0x10000) << hex32(segment.load_address);
    }
    if (segment.has_memory_type("IRAM")) iram_bytes += segment.data.size();
  }
  // The IRAM section was split to fill the gap before the IROM segment; no byte is lost.
  EXPECT_EQ(iram_bytes, 0x20000u);
}

TEST(ImageBuilder, FlashSegmentsInOnePageAreRejected) {
  try {
    build_image({{0x3C000020, pattern(0x10, 1), ".a", 0}, {0x3C000100, pattern(0x10, 2), ".b", 0}},
                options_with_entry(0));
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "image.flash_segments_share_page");
  }
}

TEST(ImageBuilder, TooManySegmentsAreRejected) {
  std::vector<SegmentInput> segments;
  for (std::uint32_t i = 0; i < 17; ++i) segments.push_back({0x3FC88000 + i * 0x100, pattern(4, 1), ".d", 0});
  try {
    build_image(segments, options_with_entry(0));
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "image.too_many_segments");
  }
}

TEST(ImageBuilder, SecurePadEndsImageOnMmuPage) {
  ImageBuildOptions options = options_with_entry(0x40370000);
  options.secure_pad_v2 = true;
  const Bytes image = build_image({{0x40370000, pattern(0x123 * 4, 1), ".a", 0}}, options);
  EXPECT_EQ(image.size() % 0x10000, 0u);
  const AppImage parsed = parse_app_image(image);
  EXPECT_TRUE(parsed.valid());
  EXPECT_EQ(parsed.segments.back().load_address, 0u);  // the secure padding segment
}

TEST(ImageBuilder, WithoutDigestAndPaddedToSize) {
  ImageBuildOptions options = options_with_entry(0x40370000);
  options.append_digest = false;
  options.pad_to_size = 0x1000;
  const Bytes image = build_image({{0x40370000, pattern(0x40, 1), ".a", 0}}, options);
  EXPECT_EQ(image.size(), 0x1000u);
  EXPECT_EQ(image.back(), 0xFF);
  const AppImage parsed = parse_app_image(image);
  EXPECT_FALSE(parsed.hash.has_value());
  EXPECT_EQ(parsed.image_size, 0x70u);  // 0x18 + 8 + 0x40 = 0x60, checksum at 0x6f
}

TEST(ImageBuilder, HeaderFieldsFromOptions) {
  ImageBuildOptions options = options_with_entry(0x40371234);
  options.min_rev = 1;
  options.min_chip_rev_full = 2;
  options.max_chip_rev_full = 199;
  options.drive = {.clk = 1, .q = 2, .d = 3, .cs0 = 4, .hd = 5, .wp = 6};
  const AppImage parsed = parse_app_image(build_image({{0x40370000, pattern(8, 1), ".a", 0}}, options));
  EXPECT_EQ(parsed.header.entry_point, 0x40371234u);
  EXPECT_EQ(parsed.extended.min_rev, 1);
  EXPECT_EQ(parsed.extended.min_chip_rev_full, 2);
  EXPECT_EQ(parsed.extended.max_chip_rev_full, 199);
  EXPECT_EQ(parsed.extended.drive.cs0, 4);
  EXPECT_EQ(parsed.extended.drive.wp, 6);
}

TEST(ImageBuilder, ElfSha256OffsetNeedsZeroedSpace) {
  ImageBuildOptions options = options_with_entry(0x40370000);
  options.elf_sha256_offset = 0x30;
  options.elf_sha256.fill(0xAB);
  const Bytes patched = build_image({{0x40370000, Bytes(0x80, 0), ".a", 0}}, options);
  EXPECT_EQ(patched[0x30], 0xAB);
  EXPECT_EQ(patched[0x4F], 0xAB);
  EXPECT_TRUE(parse_app_image(patched).valid());
  EXPECT_THROW(build_image({{0x40370000, Bytes(0x80, 1), ".a", 0}}, options), BadInputError);
  options.elf_sha256_offset = 0x19;  // inside the segment header
  EXPECT_THROW(build_image({{0x40370000, Bytes(0x80, 0), ".a", 0}}, options), BadInputError);
}

}  // namespace
}  // namespace espfab::image
