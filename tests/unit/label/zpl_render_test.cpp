// ZPL labels: the exact commands for the default label, module size by dpi, field data safety.
#include <gtest/gtest.h>

#include <string>

#include "label/label_render.hpp"
#include "label_test_support.hpp"

namespace espfab::label {
namespace {

using test::sample_fields;

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(label_zpl, DefaultLabel) {
  const std::string zpl = render_label_zpl(sample_fields());
  EXPECT_EQ(zpl.rfind("^XA\n", 0), 0u) << zpl;
  EXPECT_EQ(zpl.substr(zpl.size() - 4), "^XZ\n") << zpl;
  EXPECT_NE(zpl.find("^PW400\n"), std::string::npos) << zpl;
  EXPECT_NE(zpl.find("^LL240\n"), std::string::npos) << zpl;
  EXPECT_NE(zpl.find("^FO20,37^BQN,2,5^FDMA,EF1;SN:ESP-000123;D:2026-11-23;MAC:7cdfa1000001^FS\n"), std::string::npos)
      << zpl;
  EXPECT_NE(zpl.find("^FDESP-000123^FS"), std::string::npos) << zpl;
  EXPECT_NE(zpl.find("^FDMAC 7c:df:a1:00:00:01^FS"), std::string::npos) << zpl;
  EXPECT_NE(zpl.find("^FDProvisioned 2026-11-23^FS"), std::string::npos) << zpl;
  EXPECT_EQ(count(zpl, "^A0N,"), 3u) << zpl;
  EXPECT_EQ(count(zpl, "^FS"), 4u) << zpl;
  EXPECT_EQ(count(zpl, "^XA"), 1u);
  EXPECT_EQ(count(zpl, "~"), 0u);
}

TEST(label_zpl, TextFieldsFollowTheLayout) {
  const LabelPlan plan = plan_label(sample_fields(), {});
  const std::string zpl = render_zpl(plan);
  for (const TextLine& line : plan.layout.lines) {
    const std::string field = "^FO" + std::to_string(line.x) + "," + std::to_string(line.top) + "^A0N," +
                              std::to_string(line.height) + "," + std::to_string(line.height) + "^FD" + line.text +
                              "^FS";
    EXPECT_NE(zpl.find(field), std::string::npos) << field << "\n" << zpl;
  }
}

TEST(label_zpl, ModuleSizeAndLabelSizeFollowTheDpi) {
  const std::string zpl = render_label_zpl(sample_fields(), {50, 30, 300});
  EXPECT_NE(zpl.find("^PW591\n^LL354\n"), std::string::npos) << zpl;
  EXPECT_NE(zpl.find("^BQN,2,8^FDMA," + std::string(test::kSamplePayload) + "^FS"), std::string::npos) << zpl;
  EXPECT_NE(render_label_zpl(sample_fields(), {50, 15.4, 203}).find("^BQN,2,3^"), std::string::npos);
}

TEST(label_zpl, FieldsThatWouldBreakZplAreRejectedFirst) {
  for (const char* serial : {"ESP^XZ", "ESP~JA", "ESP^FS"}) {
    LabelFields fields = sample_fields();
    fields.serial = serial;
    EXPECT_EQ(test::thrown_by([&] { render_label_zpl(fields); }).code(), "label.bad_serial") << serial;
  }
}

TEST(label_zpl, RenderByFormatGivesTheSameBytes) {
  const std::string zpl = render_label_zpl(sample_fields());
  const Bytes bytes = render_label(sample_fields(), {}, LabelFormat::Zpl);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), zpl);
  const Bytes png = render_label(sample_fields(), {}, LabelFormat::Png);
  ASSERT_GE(png.size(), 8u);
  EXPECT_EQ(png[1], 'P');
  const Bytes pdf = render_label(sample_fields(), {}, LabelFormat::Pdf);
  EXPECT_EQ(std::string(pdf.begin(), pdf.begin() + 5), "%PDF-");
}

}  // namespace
}  // namespace espfab::label
