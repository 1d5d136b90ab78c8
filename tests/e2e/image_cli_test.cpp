// `espfab image info|build|merge` as a user runs them: text equal to esptool's, exit codes, the
// vector bytes, and no output file left behind by a failure.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

std::string vec(const std::string& name) { return vector_path("app_image/" + name).string(); }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The esptool log from "File size:" up to the blank line before "[exit code N]".
std::vector<std::string> esptool_report(const std::string& log_name) {
  auto lines = lines_of(read_vector_text("app_image/" + log_name));
  while (!lines.empty() && lines.front().rfind("File size:", 0) != 0) lines.erase(lines.begin());
  while (!lines.empty() && (lines.back().empty() || lines.back().rfind("[exit code", 0) == 0)) lines.pop_back();
  return lines;
}

struct InfoCase {
  std::string image;
  int exit_code;
};

class ImageInfoText : public ::testing::TestWithParam<InfoCase> {};

TEST_P(ImageInfoText, EqualsEsptoolLineForLine) {
  const auto& param = GetParam();
  const auto result = run_espfab({"image", "info", vec(param.image + ".bin")});
  EXPECT_EQ(result.exit_code, param.exit_code) << result.err;
  const auto expected = esptool_report(param.image + "_image_info.txt");
  ASSERT_GT(expected.size(), 30u);
  EXPECT_EQ(lines_of(result.out), expected);
}

INSTANTIATE_TEST_SUITE_P(Vectors, ImageInfoText,
                         ::testing::Values(InfoCase{"app", 0}, InfoCase{"boot", 0}, InfoCase{"merged", 0},
                                           InfoCase{"merged_hdr_patched", 0}, InfoCase{"app_bad_checksum", 1},
                                           InfoCase{"app_bad_sha256", 1}),
                         [](const auto& test_case) { return test_case.param.image; });

TEST(ImageInfo, JsonReportsValidity) {
  const auto good = run_espfab({"image", "info", "--json", vec("app.bin")});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("\"valid\": true"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("\"memory_types\": [\n        \"DROM\""), std::string::npos) << good.out;
  const auto bad = run_espfab({"image", "info", "--json", vec("app_bad_checksum.bin")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("\"calculated\": 169"), std::string::npos) << bad.out;  // 0xa9
  EXPECT_NE(bad.err.find("checksum is invalid"), std::string::npos) << bad.err;
}

TEST(ImageInfo, BadInputExitsTwoWithCode) {
  const auto wrong_magic = run_espfab({"image", "info", vec("pt.bin")});
  EXPECT_EQ(wrong_magic.exit_code, 2);
  EXPECT_NE(wrong_magic.err.find("image.bad_magic"), std::string::npos) << wrong_magic.err;
  TempDir dir;
  const Bytes app = read_vector("app_image/app.bin");
  write_file_atomic(dir / "cut.bin", ByteView(app).first(1000));
  const auto truncated = run_espfab({"image", "info", (dir / "cut.bin").string()});
  EXPECT_EQ(truncated.exit_code, 2);
  EXPECT_NE(truncated.err.find("image.truncated"), std::string::npos) << truncated.err;
  const auto json = run_espfab({"image", "info", "--json", (dir / "cut.bin").string()});
  EXPECT_EQ(json.exit_code, 2);
  EXPECT_NE(json.out.find("\"code\": \"image.truncated\""), std::string::npos) << json.out;
}

// app.bin with an esp_app_desc_t written over the start of its DROM segment (file offset 0x20),
// checksum and SHA-256 fixed up: what an ESP-IDF app looks like to image info.
Bytes app_with_descriptor() {
  Bytes app = read_vector("app_image/app.bin");
  Bytes desc(256, 0);
  store_le32(desc, 0, 0xABCD5432);
  store_le32(desc, 4, 7);  // secure_version
  auto put = [&](std::size_t offset, const std::string& text) {
    std::copy(text.begin(), text.end(), desc.begin() + static_cast<std::ptrdiff_t>(offset));
  };
  put(16, "v1.2.3");
  put(48, "factory_test");
  put(80, "12:34:56");
  put(96, "Jan  2 2025");
  put(112, "v5.3.1");
  std::uint8_t checksum = app[66095];
  for (std::size_t i = 0; i < desc.size(); ++i) {
    checksum ^= static_cast<std::uint8_t>(app[0x20 + i] ^ desc[i]);
    app[0x20 + i] = desc[i];
  }
  app[66095] = checksum;
  const auto digest = crypto::sha256(ByteView(app).first(66096));
  std::copy(digest.begin(), digest.end(), app.begin() + 66096);
  return app;
}

TEST(ImageInfo, ShowsTheAppDescriptor) {
  TempDir dir;
  write_file_atomic(dir / "idf_app.bin", app_with_descriptor());
  const auto text = run_espfab({"image", "info", (dir / "idf_app.bin").string()});
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("Application information\n=======================\nProject name: factory_test\nApp "
                          "version: v1.2.3\nCompile time: Jan  2 2025 12:34:56\n"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("Secure version: 7\n"), std::string::npos) << text.out;
  const auto json = run_espfab({"image", "info", "--json", (dir / "idf_app.bin").string()});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_NE(json.out.find("\"project_name\": \"factory_test\""), std::string::npos) << json.out;
}

TEST(ImageBuild, ProducesTheVectorBytes) {
  TempDir dir;
  for (const std::string name : {"app", "boot"}) {
    const auto out = dir / (name + ".bin");
    const auto result = run_espfab({"image", "build", "--elf", vec(name + "_elf.bin"), "-o", out.string(),
                                    "--flash-mode", "dio", "--flash-freq", "80m", "--flash-size", "4MB"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(read_file(out) == read_vector("app_image/" + name + ".bin")) << name;
  }
}

TEST(ImageBuild, WithoutAnElfMakesATestAppWithTheDescriptorGiven) {
  TempDir dir;
  const auto out = dir / "test-app.bin";
  const auto build = run_espfab({"image", "build", "-o", out.string(), "--project-name", "my-product", "--app-version",
                                 "2.1.0", "--secure-version", "3", "--flash-mode", "dio", "--flash-freq", "80m",
                                 "--flash-size", "8MB", "--code-size", "32K"});
  ASSERT_EQ(build.exit_code, 0) << build.err;
  EXPECT_NE(build.out.find("synthetic production test app"), std::string::npos) << build.out;
  const auto info = run_espfab({"image", "info", "--json", out.string()});
  ASSERT_EQ(info.exit_code, 0) << info.out << info.err;
  for (const char* part : {"\"project_name\": \"my-product\"", "\"version\": \"2.1.0\"", "\"secure_version\": 3"}) {
    EXPECT_NE(info.out.find(part), std::string::npos) << part << " in " << info.out;
  }
  const Bytes image = read_file(out);
  EXPECT_EQ(image[2], 2) << "dio";
  EXPECT_EQ(image[3], 0x3F) << "8MB at 80 MHz";
  EXPECT_GT(image.size(), 32u * 1024);
  // The production contract's strings are in it, so the preflight's contract scan passes.
  const std::string text(image.begin(), image.end());
  EXPECT_NE(text.find("espfab_identity"), std::string::npos);

  const auto factory = dir / "factory-test.bin";
  ASSERT_EQ(run_espfab({"image", "build", "-o", factory.string(), "--project-name", "factory-test", "--contract",
                        "factory-test"})
                .exit_code,
            0);
  const Bytes factory_image = read_file(factory);
  EXPECT_NE(std::string(factory_image.begin(), factory_image.end()).find("\"event\":\"ready\""), std::string::npos);
}

TEST(ImageBuild, DescriptorFieldsThatDoNotFitAreRefusedAndNothingIsWritten) {
  TempDir dir;
  const auto result =
      run_espfab({"image", "build", "-o", (dir / "x.bin").string(), "--project-name", std::string(40, 'p')});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("image.desc_field_too_long"), std::string::npos) << result.err;
  const auto contract = run_espfab({"image", "build", "-o", (dir / "x.bin").string(), "--contract", "test"});
  EXPECT_EQ(contract.exit_code, 2) << contract.err;
  EXPECT_NE(contract.err.find("cli.bad_contract"), std::string::npos) << contract.err;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ImageBuild, DescriptorFieldsAreSetInTheElfsOwnDescriptorOrRefusedWithoutOne) {
  TempDir dir;
  const auto boot = run_espfab(
      {"image", "build", "--elf", vec("boot_elf.bin"), "-o", (dir / "b.bin").string(), "--project-name", "renamed"});
  EXPECT_EQ(boot.exit_code, 2) << boot.err;
  EXPECT_NE(boot.err.find("image.no_app_descriptor"), std::string::npos) << boot.err;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ImageBuild, MalformedElfLeavesNoOutput) {
  TempDir dir;
  Bytes elf = read_vector("app_image/app_elf.bin");
  elf[4] = 2;  // 64-bit class
  write_file_atomic(dir / "bad.elf", elf);
  const auto result =
      run_espfab({"image", "build", "--elf", (dir / "bad.elf").string(), "-o", (dir / "out.bin").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("elf.bad_class"), std::string::npos) << result.err;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"bad.elf"});
}

TEST(ImageMerge, ProducesBothVectors) {
  TempDir dir;
  const std::vector<std::string> files{"0x0", vec("boot.bin"), "0x8000", vec("pt.bin"), "0x10000", vec("app.bin")};
  std::vector<std::string> args{"image",        "merge", "-o",           (dir / "merged.bin").string(),
                                "--flash-mode", "dio",   "--flash-size", "4MB"};
  args.insert(args.end(), files.begin(), files.end());
  auto result = run_espfab(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(read_file(dir / "merged.bin") == read_vector("app_image/merged.bin"));
  EXPECT_NE(result.out.find("Wrote 0x20250 bytes"), std::string::npos) << result.out;

  args = {"image", "merge",        "-o", (dir / "patched.bin").string(), "--flash-mode", "qio", "--flash-freq",
          "40m",   "--flash-size", "8MB"};
  args.insert(args.end(), files.begin(), files.end());
  result = run_espfab(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(read_file(dir / "patched.bin") == read_vector("app_image/merged_hdr_patched.bin"));
  EXPECT_NE(result.out.find("Flash params set to 0x0030"), std::string::npos) << result.out;
}

TEST(ImageMerge, OverlapLeavesNoOutput) {
  TempDir dir;
  const auto result = run_espfab(
      {"image", "merge", "-o", (dir / "merged.bin").string(), "0x0", vec("boot.bin"), "0x100", vec("pt.bin")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("image.merge_overlap"), std::string::npos) << result.err;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ImageMerge, OddArgumentsAreRejected) {
  TempDir dir;
  const auto result = run_espfab({"image", "merge", "-o", (dir / "m.bin").string(), "0x0", vec("boot.bin"), "0x8000"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ImageHelp, TeachesWithExamples) {
  for (const std::string sub : {"info", "build", "merge"}) {
    const auto result = run_espfab({"image", sub, "--help"});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_NE(result.out.find("Example"), std::string::npos) << sub;
  }
}

}  // namespace
}  // namespace espfab::test
