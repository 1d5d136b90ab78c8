// service::build_app_image, inspect_app_image and merge_flash_image: the esptool vectors byte for
// byte (elf2image, merge_bin), every check of an image in the result, and refused options or input
// leave no output file.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chip/esp32s3.hpp"
#include "service/image_operations.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

using test::read_vector;
using test::TempDir;

std::filesystem::path vec(const std::string& name) { return test::vector_path("app_image/" + name); }

TEST(ImageOperations, BuildGivesTheElf2imageVectors) {
  TempDir dir;
  for (const std::string name : {"app", "boot"}) {
    SCOPED_TRACE(name);
    const auto result = build_app_image({.elf = vec(name + "_elf.bin"),
                                         .output = dir / (name + ".bin"),
                                         .flash_mode = "dio",
                                         .flash_freq = "80m",
                                         .flash_size = "4MB"});
    const Bytes expected = read_vector("app_image/" + name + ".bin");
    EXPECT_EQ(read_file(dir / (name + ".bin")), expected);
    EXPECT_EQ(result.size, expected.size());
    const auto image = image::parse_app_image(expected);
    EXPECT_EQ(result.segments, image.segments.size());
    EXPECT_EQ(result.entry_point, image.header.entry_point);
  }
}

TEST(ImageOperations, BuildAppliesPaddingAndRevisions) {
  TempDir dir;
  const auto result = build_app_image({.elf = vec("app_elf.bin"),
                                       .output = dir / "app.bin",
                                       .min_rev = 1,
                                       .min_rev_full = 3,
                                       .max_rev_full = 199,
                                       .pad_to_size = 0x10000,
                                       .append_digest = false});
  EXPECT_EQ(result.size % 0x10000, 0u);
  const auto image = image::parse_app_image(read_file(dir / "app.bin"));
  EXPECT_EQ(image.extended.min_rev, 1u);
  EXPECT_EQ(image.extended.min_chip_rev_full, 3u);
  EXPECT_EQ(image.extended.max_chip_rev_full, 199u);
  EXPECT_FALSE(image.hash.has_value());
  EXPECT_TRUE(image.valid());
}

TEST(ImageOperations, BuildRefusesKeepAndBadElfWritingNothing) {
  TempDir dir;
  test::expect_error<BadInputError>(
      [&] { build_app_image({.elf = vec("app_elf.bin"), .output = dir / "o", .flash_size = "keep"}); },
      "cli.keep_not_allowed");
  test::expect_error<BadInputError>(
      [&] { build_app_image({.elf = vec("app_elf.bin"), .output = dir / "o", .flash_freq = "33m"}); },
      "image.bad_flash_frequency");
  const auto error = test::expect_error<BadInputError>(
      [&] { build_app_image({.elf = vec("app.bin"), .output = dir / "o"}); }, "elf.bad_magic");
  EXPECT_NE(error.describe().find("building an image from " + vec("app.bin").string()), std::string::npos);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ImageOperations, InspectReportsEveryCheck) {
  const auto good = inspect_app_image({.file = vec("app.bin")});
  EXPECT_EQ(good.chip, &chip::kEsp32s3);
  EXPECT_TRUE(good.image.valid());
  EXPECT_EQ(good.image.file_size, read_vector("app_image/app.bin").size());

  const auto bad_checksum = inspect_app_image({.file = vec("app_bad_checksum.bin")});
  EXPECT_FALSE(bad_checksum.image.valid());
  EXPECT_FALSE(bad_checksum.image.checksum.valid());
  const auto bad_hash = inspect_app_image({.file = vec("app_bad_sha256.bin")});
  EXPECT_TRUE(bad_hash.image.checksum.valid());
  ASSERT_TRUE(bad_hash.image.hash.has_value());
  EXPECT_FALSE(bad_hash.image.hash->valid());

  const auto error =
      test::expect_error<BadInputError>([] { inspect_app_image({.file = vec("pt.bin")}); }, "image.bad_magic");
  EXPECT_NE(error.describe().find("reading image " + vec("pt.bin").string()), std::string::npos);
  const auto missing = test::expect_error<IoError>([] { inspect_app_image({.file = vec("none.bin")}); }, "io.open");
  EXPECT_NE(missing.describe().find("reading image"), std::string::npos);
}

TEST(ImageOperations, MergeGivesTheMergeBinVectors) {
  TempDir dir;
  const std::vector<MergePart> parts{{0x0, vec("boot.bin")}, {0x8000, vec("pt.bin")}, {0x10000, vec("app.bin")}};
  const auto kept =
      merge_flash_image({.parts = parts, .output = dir / "merged.bin", .flash_mode = "dio", .flash_size = "4MB"});
  EXPECT_EQ(read_file(dir / "merged.bin"), read_vector("app_image/merged.bin"));
  EXPECT_EQ(kept.size, 0x20250u);
  EXPECT_EQ(kept.notes, std::vector<std::string>{"SHA digest in image updated"});

  const auto patched = merge_flash_image(
      {.parts = parts, .output = dir / "patched.bin", .flash_mode = "qio", .flash_freq = "40m", .flash_size = "8MB"});
  EXPECT_EQ(read_file(dir / "patched.bin"), read_vector("app_image/merged_hdr_patched.bin"));
  EXPECT_EQ(patched.notes, (std::vector<std::string>{"Flash params set to 0x0030", "SHA digest in image updated"}));

  const auto filled = merge_flash_image({.parts = parts, .output = dir / "filled.bin", .fill_flash_size = "4MB"});
  EXPECT_EQ(filled.size, 4u << 20);
  EXPECT_EQ(read_file(dir / "filled.bin").size(), 4u << 20);
}

TEST(ImageOperations, MergeRefusesBadInputWritingNothing) {
  TempDir dir;
  test::expect_error<BadInputError>(
      [&] {
        merge_flash_image({.parts = {{0x0, vec("boot.bin")}}, .output = dir / "o", .fill_flash_size = "5MB"});
      },
      "cli.bad_flash_size");
  test::expect_error<BadInputError>(
      [&] {
        merge_flash_image({.parts = {{0x0, vec("boot.bin")}, {0x100, vec("app.bin")}}, .output = dir / "o"});
      },
      "image.merge_overlap");
  EXPECT_THROW(merge_flash_image({.parts = {{0x0, dir / "none.bin"}}, .output = dir / "o"}), IoError);
  EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace espfab::service
