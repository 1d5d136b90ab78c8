// Synthetic apps and bootloaders with ESP-IDF descriptors, as the emulator and tests build them.
#include "image/app_image_spec.hpp"

#include <gtest/gtest.h>

#include "image/app_image.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

AppImageSpec app_spec() {
  AppImageSpec spec;
  spec.options.entry_point = 0x40370000;
  spec.options.flash_mode = 2;
  spec.options.flash_size_freq = 0x2F;
  spec.segments = {
      {0x3C000120, Bytes(0x40, 0x11), ".flash.rodata", 0},
      {0x3FC88000, Bytes(0x20, 0x22), ".dram0.data", 0},
      {0x40370000, Bytes(0x80, 0x33), ".iram0.text", kSegmentExecutable},
      {0x42000020, Bytes(0x100, 0x44), ".flash.text", kSegmentExecutable},
  };
  spec.app_descriptor = AppDescriptor{.secure_version = 1,
                                      .version = "2.0.0",
                                      .project_name = "production",
                                      .time = "10:00:00",
                                      .date = "Feb  3 2025",
                                      .idf_version = "v5.3.1"};
  return spec;
}

TEST(AppImageSpec, AppDescriptorIsFoundByTheParser) {
  const AppImage image = parse_app_image(build_app_image(app_spec()));
  EXPECT_TRUE(image.valid());
  ASSERT_TRUE(image.app_descriptor.has_value());
  EXPECT_EQ(*image.app_descriptor, *app_spec().app_descriptor);
  // Descriptor and .flash.rodata (right after it) merged into the first segment, at file offset 0x20.
  EXPECT_EQ(image.segments[0].load_address, kDefaultAppDescriptorAddress);
  EXPECT_EQ(image.segments[0].data.size(), 0x140u);
  EXPECT_EQ(image.segments[0].data_offset(), 0x20u);
}

TEST(AppImageSpec, ElfShaLandsInTheDescriptor) {
  AppImageSpec spec = app_spec();
  spec.options.elf_sha256_offset = 0xb0;
  spec.options.elf_sha256.fill(0x5A);
  const AppImage image = parse_app_image(build_app_image(spec));
  ASSERT_TRUE(image.app_descriptor.has_value());
  EXPECT_EQ(image.app_descriptor->app_elf_sha256[0], 0x5A);
  EXPECT_EQ(image.app_descriptor->app_elf_sha256[31], 0x5A);
  EXPECT_TRUE(image.valid());
}

TEST(AppImageSpec, BootloaderDescriptor) {
  AppImageSpec spec;
  spec.options.entry_point = 0x403CA000;
  spec.segments = {{0x403CA000, Bytes(0x40, 0x77), ".iram.text", kSegmentExecutable},
                   {0x3FCE3100, Bytes(0x40, 0x66), ".dram0.data", 0}};
  spec.bootloader_descriptor = BootloaderDescriptor{.version = 1, .idf_version = "v5.3.1", .date_time = "x"};
  spec.bootloader_descriptor_address = 0x3FCE3000;
  const AppImage image = parse_app_image(build_app_image(spec));
  ASSERT_TRUE(image.bootloader_descriptor.has_value());
  EXPECT_EQ(image.bootloader_descriptor->idf_version, "v5.3.1");
  EXPECT_EQ(image.segments[0].load_address, 0x3FCE3000u);
  EXPECT_FALSE(image.app_descriptor.has_value());
}

TEST(AppImageSpec, DescriptorMisplacedOrOverlappingIsRejected) {
  AppImageSpec spec = app_spec();
  spec.app_descriptor_address = 0x40370000;
  EXPECT_THROW(build_app_image(spec), BadInputError);
  spec = app_spec();
  spec.segments[0].address = 0x3C000020;
  try {
    build_app_image(spec);
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "image.bad_spec");
  }
}

}  // namespace
}  // namespace espfab::image
