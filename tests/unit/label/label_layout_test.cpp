// The label plan: dots from millimetres, the module size rule, QR and text placement.
#include "label/label_layout.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "label_test_support.hpp"

namespace espfab::label {
namespace {

using test::sample_fields;
using test::thrown_by;

LabelLayout layout_for(double width_mm, double height_mm, int dpi, int qr_modules = 33) {
  return plan_layout(LabelSize{width_mm, height_mm, dpi}, qr_modules, validate_label_fields(sample_fields()));
}

TEST(label_layout, MillimetresToDots) {
  EXPECT_EQ(mm_to_dots(50, 203), 400);
  EXPECT_EQ(mm_to_dots(30, 203), 240);
  EXPECT_EQ(mm_to_dots(50, 300), 591);
  EXPECT_EQ(mm_to_dots(30, 300), 354);
  EXPECT_EQ(mm_to_dots(25.4, 600), 600);
}

TEST(label_layout, DefaultLabelAt203Dpi) {
  const LabelLayout layout = layout_for(50, 30, 203);
  EXPECT_EQ(layout.width_dots, 400);
  EXPECT_EQ(layout.height_dots, 240);
  EXPECT_EQ(layout.module_dots, 5);  // 240 / (33 + 8) = 5.85
  EXPECT_EQ(layout.qr_side_dots, 165);
  EXPECT_EQ(layout.qr_x, 20);                    // the 4-module quiet zone
  EXPECT_EQ(layout.qr_y, (240 - 205) / 2 + 20);  // centred vertically
  EXPECT_EQ(layout.text_x, 205);
  EXPECT_EQ(layout.text_width, 400 - 205 - 12);  // 1.5 mm right margin
}

TEST(label_layout, HigherDpiGivesMoreDotsPerModule) {
  const LabelLayout layout = layout_for(50, 30, 300);
  EXPECT_EQ(layout.width_dots, 591);
  EXPECT_EQ(layout.height_dots, 354);
  EXPECT_EQ(layout.module_dots, 8);  // 354 / 41 = 8.6
}

TEST(label_layout, ModulesAreCappedAtTheZplLimit) {
  EXPECT_EQ(layout_for(200, 100, 203).module_dots, kMaxDotsPerModule);
}

TEST(label_layout, QrAndQuietZoneStayInsideTheLabelAndLeaveRoomForText) {
  for (const LabelSize size : {LabelSize{50, 30, 203}, LabelSize{50, 30, 300}, LabelSize{100, 50, 203},
                               LabelSize{30, 30, 600}, LabelSize{40, 18, 203}}) {
    for (const int modules : {21, 33, 37}) {
      const LabelLayout layout = plan_layout(size, modules, validate_label_fields(sample_fields()));
      const int quiet = kQuietZoneModules * layout.module_dots;
      EXPECT_GE(layout.module_dots, kMinDotsPerModule);
      EXPECT_GE(layout.qr_x - quiet, 0);
      EXPECT_GE(layout.qr_y - quiet, 0);
      EXPECT_LE(layout.qr_y + layout.qr_side_dots + quiet, layout.height_dots);
      EXPECT_LE(layout.qr_x + layout.qr_side_dots + quiet, layout.text_x);
      EXPECT_LE(layout.text_x, layout.width_dots * kMaxQrWidthShare + 1);
      // Largest: one more dot per module would not fit the height, the width share or the ZPL cap.
      const int next = layout.module_dots + 1;
      EXPECT_TRUE(next > kMaxDotsPerModule || (modules + 8) * next > layout.height_dots ||
                  (modules + 8) * next > layout.width_dots * kMaxQrWidthShare)
          << size.width_mm << "x" << size.height_mm << "@" << size.dpi << " modules " << modules;
    }
  }
}

TEST(label_layout, TextLinesAreSerialMacAndDateInsideTheQrHeight) {
  const LabelLayout layout = layout_for(50, 30, 203);
  ASSERT_EQ(layout.lines.size(), 3u);
  EXPECT_EQ(layout.lines[0].text, "ESP-000123");
  EXPECT_TRUE(layout.lines[0].bold);
  EXPECT_EQ(layout.lines[1].text, "MAC 7c:df:a1:00:00:01");
  EXPECT_EQ(layout.lines[2].text, "Provisioned 2026-11-23");
  EXPECT_GT(layout.lines[0].height, layout.lines[1].height);  // the serial is the large line
  EXPECT_EQ(layout.lines[1].height, layout.lines[2].height);
  for (std::size_t i = 0; i < layout.lines.size(); ++i) {
    const TextLine& line = layout.lines[i];
    EXPECT_EQ(line.x, layout.text_x);
    EXPECT_GE(line.top, layout.qr_y);
    EXPECT_LE(line.top + line.height, layout.qr_y + layout.qr_side_dots);
    EXPECT_GT(line.baseline, line.top);
    EXPECT_LT(line.baseline, line.top + line.height);
    if (i > 0) {
      EXPECT_GE(line.top, layout.lines[i - 1].top + layout.lines[i - 1].height);
    }
  }
}

TEST(label_layout, LongSerialGetsASmallerFont) {
  LabelFields fields = validate_label_fields(sample_fields());
  const int normal = plan_layout({}, 33, fields).lines[0].height;
  fields.serial = std::string(32, 'W');
  EXPECT_LT(plan_layout({}, 37, fields).lines[0].height, normal);
}

TEST(label_layout, TooLowALabelNamesTheFix) {
  const Error error = thrown_by([] { layout_for(50, 15, 203); });  // 120 dots / 41 = 2
  EXPECT_EQ(error.kind(), ErrorKind::BadInput);
  EXPECT_EQ(error.code(), "label.too_small");
  EXPECT_NE(error.message().find("33x33"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("15.4 mm high"), std::string::npos) << error.message();
  EXPECT_NE(error.hint().find("--height-mm 16"), std::string::npos) << error.hint();
  EXPECT_NE(error.hint().find("higher dpi"), std::string::npos) << error.hint();
  // Just enough: 15.4 mm is 123 dots = 41 modules of 3 dots.
  EXPECT_EQ(layout_for(50, 15.4, 203).module_dots, 3);
  // The same label works at 300 dpi.
  EXPECT_EQ(layout_for(50, 15, 300).module_dots, 4);
}

TEST(label_layout, TooNarrowALabelNamesTheWidth) {
  const Error error = thrown_by([] { layout_for(20, 30, 203); });  // 160 * 0.6 = 96 dots / 41 = 2
  EXPECT_EQ(error.code(), "label.too_small");
  EXPECT_NE(error.hint().find("--width-mm 26"), std::string::npos) << error.hint();
}

TEST(label_layout, RejectsNonsenseSizes) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const LabelSize size : {LabelSize{0, 30, 203}, LabelSize{50, -1, 203}, LabelSize{nan, 30, 203},
                               LabelSize{50, 600, 203}, LabelSize{50, 30, 0}, LabelSize{50, 30, 2400}}) {
    EXPECT_EQ(thrown_by([&] { validate_label_size(size); }).code(), "label.bad_size");
  }
  EXPECT_NO_THROW(validate_label_size({}));
}

TEST(label_layout, PlanLabelValidatesEncodesAndLaysOut) {
  LabelFields fields = sample_fields();
  fields.mac = "7CDFA1000001";
  const LabelPlan plan = plan_label(fields, {});
  EXPECT_EQ(plan.fields.mac, "7c:df:a1:00:00:01");
  EXPECT_EQ(plan.payload, test::kSamplePayload);
  EXPECT_EQ(plan.qr.width, 33);
  EXPECT_EQ(plan.layout.qr_modules, 33);
  EXPECT_EQ(plan.layout.lines[1].text, "MAC 7c:df:a1:00:00:01");
  fields.serial = "bad serial";
  EXPECT_EQ(thrown_by([&] { plan_label(fields, {}); }).code(), "label.bad_serial");
}

}  // namespace
}  // namespace espfab::label
