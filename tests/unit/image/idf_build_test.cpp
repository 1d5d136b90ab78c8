#include "image/idf_build.hpp"

#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "support/idf_build_dir.hpp"
#include "support/temp_dir.hpp"
#include "util/file_io.hpp"

namespace espfab::image {
namespace {

void expect_named(const std::filesystem::path& dir, const std::string& code, const std::string& needle) {
  const auto error = test::expect_error<BadInputError>([&] { (void)read_idf_build(dir); }, code);
  EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
}

test::IdfBuildSpec spec_with_data() {
  test::IdfBuildSpec spec;
  spec.bootloader = Bytes(0x100, 0xB0);
  spec.partition_table = Bytes(0xC00, 0xAA);
  spec.app = Bytes(0x200, 0xA5);
  spec.otadata_offset = 0x17000;
  spec.data = {{"storage", 0x19000, "storage.bin", Bytes(0x40, 0x51), false},
               {"model", 0x1D000, "model.bin", Bytes(0x40, 0x52), true}};
  spec.sdkconfig = test::secure_sdkconfig();
  return spec;
}

TEST(IdfBuild, ReadsEveryFlashFileWithItsOffsetAndEncryptedFlag) {
  test::TempDir dir;
  test::write_idf_build_dir(dir.path(), spec_with_data());
  const auto build = read_idf_build(dir.path());
  EXPECT_EQ(build.chip, "esp32s3");
  EXPECT_EQ(build.flash_mode, "dio");
  EXPECT_EQ(build.flash_freq, "80m");
  EXPECT_EQ(build.flash_size, "8MB");
  EXPECT_EQ(build.project_name, "my-product");
  ASSERT_TRUE(build.bootloader && build.partition_table && build.app && build.otadata);
  EXPECT_EQ(build.bootloader->offset, 0x0u);
  EXPECT_EQ(build.partition_table->offset, 0x8000u);
  EXPECT_EQ(build.app->offset, 0x20000u);
  EXPECT_EQ(build.app->file, dir / "my-product.bin");
  EXPECT_EQ(read_file(build.app->file), Bytes(0x200, 0xA5));
  EXPECT_EQ(build.otadata->offset, 0x17000u);
  ASSERT_EQ(build.data.size(), 2u);
  EXPECT_EQ(build.data[0].name, "model");  // flasher_args.json's keys are read in order
  EXPECT_TRUE(build.data[0].encrypted);
  EXPECT_EQ(build.data[1].name, "storage");
  EXPECT_FALSE(build.data[1].encrypted);
  EXPECT_EQ(build.data[1].offset, 0x19000u);
  EXPECT_EQ(build.flag("SECURE_BOOT_V2_ENABLED"), true);
  EXPECT_EQ(build.text("ESPTOOLPY_FLASHSIZE"), "8MB");
  EXPECT_EQ(build.number("PARTITION_TABLE_OFFSET"), 0x8000);
  EXPECT_FALSE(build.flag("NOT_A_KEY").has_value());
}

TEST(IdfBuild, AFileOnlyFlashFilesListsIsADataImage) {
  test::TempDir dir;
  test::write_idf_build_dir(dir.path(), spec_with_data());
  write_file_atomic(dir / "extra.bin", Bytes(16, 0x11));
  auto text = read_text_file(dir / "flasher_args.json");
  const auto at = text.find("\"flash_files\"");
  ASSERT_NE(at, std::string::npos);
  text.insert(text.find('{', at) + 1, "\"0x300000\": \"extra.bin\",");
  write_text_file_atomic(dir / "flasher_args.json", text);
  const auto build = read_idf_build(dir.path());
  ASSERT_EQ(build.data.size(), 3u);
  EXPECT_EQ(build.data[2].offset, 0x300000u);
  EXPECT_EQ(build.data[2].name, "");
  EXPECT_EQ(build.data[2].file, dir / "extra.bin");
}

TEST(IdfBuild, NotABuildDirectoryIsNamed) {
  test::TempDir dir;
  expect_named(dir.path(), "idf_build.missing_file", "flasher_args.json");
}

TEST(IdfBuild, BrokenEntriesNameTheKeyAndTheProblem) {
  test::TempDir dir;
  test::write_idf_build_dir(dir.path(), spec_with_data());
  const auto original = read_text_file(dir / "flasher_args.json");
  const auto with = [&](const std::string& from, const std::string& to) {
    auto text = original;
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    write_text_file_atomic(dir / "flasher_args.json", text);
  };
  with("\"0x20000\"", "\"0x2000z\"");
  expect_named(dir.path(), "idf_build.bad_entry", "0x2000z");
  with("\"my-product.bin\"", "\"missing.bin\"");
  expect_named(dir.path(), "idf_build.bad_entry", "missing.bin");
  with("\"encrypted\": \"true\"", "\"encrypted\": \"yes\"");
  expect_named(dir.path(), "idf_build.bad_entry", "encrypted");
  write_text_file_atomic(dir / "flasher_args.json", "{ not json");
  expect_named(dir.path(), "idf_build.bad_json", "flasher_args.json");
}

}  // namespace
}  // namespace espfab::image
