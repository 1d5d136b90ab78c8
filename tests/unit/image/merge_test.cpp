// merge_bin byte for byte, and the overlap rule.
#include "image/merge.hpp"

#include <gtest/gtest.h>

#include "support/test_paths.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

using test::read_vector;

std::vector<MergeInput> vector_inputs() {
  return {{0x10000, read_vector("app_image/app.bin"), "app.bin"},
          {0x0, read_vector("app_image/boot.bin"), "boot.bin"},
          {0x8000, read_vector("app_image/pt.bin"), "pt.bin"}};
}

TEST(Merge, MergedVectorByteForByte) {
  MergeOptions options;
  options.flash_params = parse_flash_params(chip::kEsp32s3, "dio", "keep", "4MB");
  const MergeResult result = merge_images(vector_inputs(), options);
  const Bytes expected = read_vector("app_image/merged.bin");
  ASSERT_EQ(result.data.size(), expected.size());
  EXPECT_TRUE(result.data == expected);
  EXPECT_EQ(result.notes, std::vector<std::string>{"SHA digest in image updated"});
}

TEST(Merge, HeaderPatchedVectorByteForByte) {
  MergeOptions options;
  options.flash_params = parse_flash_params(chip::kEsp32s3, "qio", "40m", "8MB");
  const MergeResult result = merge_images(vector_inputs(), options);
  const Bytes expected = read_vector("app_image/merged_hdr_patched.bin");
  ASSERT_EQ(result.data.size(), expected.size());
  EXPECT_TRUE(result.data == expected);
  EXPECT_EQ(result.notes, (std::vector<std::string>{"Flash params set to 0x0030", "SHA digest in image updated"}));
}

TEST(Merge, KeepLeavesEverythingAndFillsToSize) {
  MergeOptions options;
  options.fill_to_size = 0x40000;
  const MergeResult result = merge_images(vector_inputs(), options);
  EXPECT_EQ(result.data.size(), 0x40000u);
  EXPECT_TRUE(
      std::equal(result.data.begin(), result.data.begin() + 131664, read_vector("app_image/merged.bin").begin()));
  EXPECT_EQ(result.data.back(), 0xFF);
  EXPECT_TRUE(result.notes.empty());
  options.fill_to_size = 0x1000;
  EXPECT_THROW(merge_images(vector_inputs(), options), BadInputError);
}

TEST(Merge, NonImageAtZeroIsLeftAlone) {
  MergeOptions options;
  options.flash_params = parse_flash_params(chip::kEsp32s3, "qio", "40m", "8MB");
  const Bytes pt = read_vector("app_image/pt.bin");
  const MergeResult result = merge_images({{0x0, pt, "pt.bin"}}, options);
  EXPECT_TRUE(result.data == pt);
  ASSERT_EQ(result.notes.size(), 1u);
  EXPECT_NE(result.notes[0].find("doesn't look like an image"), std::string::npos);
}

TEST(Merge, OverlapIsRejectedNamingBothFiles) {
  try {
    merge_images({{0x0, read_vector("app_image/boot.bin"), "boot.bin"}, {0x200, Bytes(16, 1), "late.bin"}}, {});
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "image.merge_overlap");
    EXPECT_NE(e.message().find("boot.bin"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("late.bin"), std::string::npos) << e.message();
  }
  // Sharing a 4 KiB sector counts as overlap, as in esptool.
  EXPECT_THROW(merge_images({{0x0, Bytes(16, 1), "a"}, {0x800, Bytes(16, 1), "b"}}, {}), BadInputError);
  EXPECT_NO_THROW(merge_images({{0x0, Bytes(16, 1), "a"}, {0x1000, Bytes(16, 1), "b"}}, {}));
  EXPECT_THROW(merge_images({}, {}), BadInputError);
}

}  // namespace
}  // namespace espfab::image
