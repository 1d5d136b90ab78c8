// Label formats by name and by file extension.
#include "label/label_format.hpp"

#include <gtest/gtest.h>

#include "label_test_support.hpp"

namespace espfab::label {
namespace {

TEST(label_format, ByName) {
  EXPECT_EQ(parse_label_format("png"), LabelFormat::Png);
  EXPECT_EQ(parse_label_format("PDF"), LabelFormat::Pdf);
  EXPECT_EQ(parse_label_format("zpl"), LabelFormat::Zpl);
  EXPECT_EQ(test::thrown_by([] { parse_label_format("svg"); }).code(), "label.bad_format");
  for (const LabelFormat format : {LabelFormat::Png, LabelFormat::Pdf, LabelFormat::Zpl}) {
    EXPECT_EQ(parse_label_format(extension(format)), format);
  }
}

TEST(label_format, ByExtension) {
  EXPECT_EQ(label_format_for_path("out/ESP-1.png"), LabelFormat::Png);
  EXPECT_EQ(label_format_for_path("ESP-1.PDF"), LabelFormat::Pdf);
  EXPECT_EQ(label_format_for_path("/tmp/x.y.zpl"), LabelFormat::Zpl);
  for (const char* bad : {"label", "label.txt", "label.png.bak", ".png", "label."}) {
    const Error error = test::thrown_by([&] { label_format_for_path(bad); });
    EXPECT_EQ(error.code(), "label.bad_format") << bad;
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(error.hint().find(".png, .pdf or .zpl"), std::string::npos);
  }
}

}  // namespace
}  // namespace espfab::label
