// service::make_label: the format follows the output's extension, the PNG has the planned size in
// dots and its QR code decodes (zbarimg) to the payload, an empty date is today's, and bad fields
// or an unknown extension write nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "label_test_support.hpp"
#include "service/label_operations.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

using label::test::kSamplePayload;
using label::test::sample_fields;
using test::TempDir;

std::uint32_t load_be32(const Bytes& bytes, std::size_t offset) {
  return (std::uint32_t{bytes.at(offset)} << 24) | (std::uint32_t{bytes.at(offset + 1)} << 16) |
         (std::uint32_t{bytes.at(offset + 2)} << 8) | std::uint32_t{bytes.at(offset + 3)};
}

TEST(LabelOperations, PngHasThePlannedSizeAndDecodesToThePayload) {
  TempDir dir;
  const auto result = make_label({.fields = sample_fields(), .size = {50, 30, 300}, .output = dir / "label.png"});
  EXPECT_EQ(result.format, label::LabelFormat::Png);
  EXPECT_EQ(result.plan.payload, kSamplePayload);
  EXPECT_EQ(result.plan.layout.dpi, 300);
  EXPECT_EQ(result.plan.layout.width_dots, label::mm_to_dots(50, 300));
  EXPECT_EQ(result.plan.layout.height_dots, label::mm_to_dots(30, 300));

  const Bytes png = read_file(dir / "label.png");
  ASSERT_GE(png.size(), 24u);
  EXPECT_EQ(std::string(png.begin() + 1, png.begin() + 4), "PNG");
  EXPECT_EQ(load_be32(png, 16), static_cast<std::uint32_t>(result.plan.layout.width_dots));
  EXPECT_EQ(load_be32(png, 20), static_cast<std::uint32_t>(result.plan.layout.height_dots));
  EXPECT_EQ(label::test::zbar_decode(dir / "label.png"), kSamplePayload);
}

TEST(LabelOperations, TheExtensionPicksTheFormat) {
  TempDir dir;
  const auto zpl = make_label({.fields = sample_fields(), .output = dir / "label.ZPL"});
  EXPECT_EQ(zpl.format, label::LabelFormat::Zpl);
  const std::string text = read_text_file(dir / "label.ZPL");
  EXPECT_EQ(text.rfind("^XA", 0), 0u) << text;
  EXPECT_NE(text.find(std::string(kSamplePayload)), std::string::npos) << text;
  const auto pdf = make_label({.fields = sample_fields(), .output = dir / "label.pdf"});
  EXPECT_EQ(pdf.format, label::LabelFormat::Pdf);
  EXPECT_EQ(read_text_file(dir / "label.pdf").rfind("%PDF", 0), 0u);
}

TEST(LabelOperations, AnEmptyDateIsToday) {
  TempDir dir;
  auto fields = sample_fields();
  fields.provisioned_date.clear();
  const auto today = [] {
    return label::format_label_date(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()));
  };
  const std::string before = today();
  const auto result = make_label({.fields = fields, .output = dir / "label.zpl"});
  const std::string after = today();
  EXPECT_TRUE(result.plan.fields.provisioned_date == before || result.plan.fields.provisioned_date == after)
      << result.plan.fields.provisioned_date;
  EXPECT_NE(result.plan.payload.find(";D:" + result.plan.fields.provisioned_date + ";"), std::string::npos);
}

TEST(LabelOperations, BadInputWritesNothing) {
  TempDir dir;
  test::expect_error<BadInputError>([&] { make_label({.fields = sample_fields(), .output = dir / "label.txt"}); },
                                    "label.bad_format");
  auto fields = sample_fields();
  fields.mac = "zz";
  test::expect_error<BadInputError>([&] { make_label({.fields = fields, .output = dir / "label.png"}); },
                                    "label.bad_mac");
  test::expect_error<BadInputError>(
      [&] {
        make_label({.fields = sample_fields(), .size = {5, 5, 100}, .output = dir / "label.png"});
      },
      "label.too_small");
  EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace espfab::service
