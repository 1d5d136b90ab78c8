// ELF -> image byte for byte against esptool v4.8.1 elf2image.
#include "image/elf2image.hpp"

#include <gtest/gtest.h>

#include "support/test_paths.hpp"

namespace espfab::image {
namespace {

using test::read_vector;

ImageBuildOptions dio_80m_4mb() {
  ImageBuildOptions options;
  options.flash_mode = 2;
  options.flash_size_freq = 0x2F;
  return options;
}

TEST(Elf2Image, AppMatchesEsptoolByteForByte) {
  const Bytes image = elf_to_image(parse_elf(read_vector("app_image/app_elf.bin")), dio_80m_4mb());
  const Bytes expected = read_vector("app_image/app.bin");
  ASSERT_EQ(image.size(), expected.size());
  EXPECT_TRUE(image == expected);
}

TEST(Elf2Image, BootloaderMatchesEsptoolByteForByte) {
  const Bytes image = elf_to_image(parse_elf(read_vector("app_image/boot_elf.bin")), dio_80m_4mb());
  const Bytes expected = read_vector("app_image/boot.bin");
  ASSERT_EQ(image.size(), expected.size());
  EXPECT_TRUE(image == expected);
}

TEST(Elf2Image, LoadableSectionsInElfOrder) {
  const auto segments = loadable_segments(parse_elf(read_vector("app_image/app_elf.bin")));
  ASSERT_EQ(segments.size(), 4u);
  EXPECT_EQ(segments[0].name, ".flash.rodata");
  EXPECT_EQ(segments[3].address, 0x42000020u);
}

TEST(Elf2Image, FlashWindowsAreEsptoolsMapRanges) {
  // elf2image aligns anything in IROM_MAP / DROM_MAP, wider than the IROM / DROM memory types.
  EXPECT_TRUE(chip::kEsp32s3.in_flash_map_window(0x42000020));
  EXPECT_TRUE(chip::kEsp32s3.in_flash_map_window(0x43FFFFFC));
  EXPECT_TRUE(chip::kEsp32s3.in_flash_map_window(0x3D800000));
  EXPECT_FALSE(chip::kEsp32s3.in_flash_map_window(0x44000000));
  EXPECT_FALSE(chip::kEsp32s3.in_flash_map_window(0x40370000));
}

TEST(Elf2Image, DefaultsAreEsptools) {
  const auto options = default_elf2image_options();
  EXPECT_EQ(options.flash_mode, 0);
  EXPECT_EQ(options.flash_size_freq, 0);
  EXPECT_EQ(options.max_chip_rev_full, 0xFFFF);
  EXPECT_TRUE(options.append_digest);
}

}  // namespace
}  // namespace espfab::image
