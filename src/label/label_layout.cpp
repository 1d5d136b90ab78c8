#include "label/label_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace espfab::label {
namespace {

// Conservative average advance per character, in em, of the sans fonts the renderers use
// (DejaVu Sans: digits 0.64, bold 0.70); cairo shrinks a line that still comes out too wide.
constexpr double kRegularCharEm = 0.56;
constexpr double kBoldCharEm = 0.70;
constexpr double kSerialShareOfHeight = 0.30;
constexpr double kDetailShareOfHeight = 0.17;
constexpr double kLineGapEm = 0.45;
constexpr double kBaselineEm = 0.80;
constexpr double kRightMarginMm = 1.5;

int fitting_font(int width, std::size_t chars, double char_em, double max_height) {
  const double by_width = static_cast<double>(width) / (static_cast<double>(std::max<std::size_t>(chars, 1)) * char_em);
  return std::max(1, static_cast<int>(std::floor(std::min(by_width, max_height))));
}

}  // namespace

int mm_to_dots(double mm, int dpi) { return static_cast<int>(std::lround(mm / 25.4 * dpi)); }

void validate_label_size(const LabelSize& size) {
  const auto in_range = [](double mm) { return std::isfinite(mm) && mm >= 5 && mm <= 500; };
  if (!in_range(size.width_mm) || !in_range(size.height_mm)) {
    throw BadInputError("label.bad_size",
                        fmt::format("label size {} x {} mm is outside 5..500 mm", size.width_mm, size.height_mm),
                        "give the label's width and height in millimetres (e.g. --width-mm 50 --height-mm 30)");
  }
  if (size.dpi < 100 || size.dpi > 1200) {
    throw BadInputError("label.bad_size", fmt::format("printer resolution {} dpi is outside 100..1200", size.dpi),
                        "give the printer's resolution, usually 203, 300 or 600 dpi");
  }
}

LabelLayout plan_layout(const LabelSize& size, int qr_modules, const LabelFields& fields) {
  validate_label_size(size);
  LabelLayout layout;
  layout.dpi = size.dpi;
  layout.width_mm = size.width_mm;
  layout.height_mm = size.height_mm;
  layout.width_dots = mm_to_dots(size.width_mm, size.dpi);
  layout.height_dots = mm_to_dots(size.height_mm, size.dpi);
  layout.qr_modules = qr_modules;

  const int block_modules = qr_modules + 2 * kQuietZoneModules;
  const int max_block_width = static_cast<int>(std::floor(layout.width_dots * kMaxQrWidthShare));
  const int module_dots =
      std::min({layout.height_dots / block_modules, max_block_width / block_modules, kMaxDotsPerModule});
  if (module_dots < kMinDotsPerModule) {
    const int needed_dots = block_modules * kMinDotsPerModule;
    const double needed_height_mm = needed_dots * 25.4 / size.dpi;
    const double needed_width_mm = needed_height_mm / kMaxQrWidthShare;
    const bool height_short = layout.height_dots < needed_dots;
    throw BadInputError(
        "label.too_small",
        fmt::format("a {0}x{0}-module QR code with its {1}-module quiet zone at {2} dots per module needs a label "
                    "at least {3:.1f} mm high and {4:.1f} mm wide at {5} dpi; the label is {6} x {7} mm",
                    qr_modules, kQuietZoneModules, kMinDotsPerModule, needed_height_mm, needed_width_mm, size.dpi,
                    size.width_mm, size.height_mm),
        fmt::format("use a larger label ({} {:.0f} or more) or a printer with a higher dpi",
                    height_short ? "--height-mm" : "--width-mm",
                    std::ceil(height_short ? needed_height_mm : needed_width_mm)));
  }
  layout.module_dots = module_dots;
  const int block_dots = block_modules * module_dots;
  const int quiet_dots = kQuietZoneModules * module_dots;
  layout.qr_x = quiet_dots;
  layout.qr_y = (layout.height_dots - block_dots) / 2 + quiet_dots;
  layout.qr_side_dots = qr_modules * module_dots;

  layout.text_x = block_dots;
  layout.text_width = std::max(1, layout.width_dots - block_dots - mm_to_dots(kRightMarginMm, size.dpi));

  const std::string mac_line = "MAC " + fields.mac;
  const std::string date_line = "Provisioned " + fields.provisioned_date;
  const double text_height = layout.qr_side_dots;
  const int detail =
      std::min(fitting_font(layout.text_width, mac_line.size(), kRegularCharEm, text_height * kDetailShareOfHeight),
               fitting_font(layout.text_width, date_line.size(), kRegularCharEm, text_height * kDetailShareOfHeight));
  const int serial =
      fitting_font(layout.text_width, fields.serial.size(), kBoldCharEm, text_height * kSerialShareOfHeight);
  const int gap = static_cast<int>(std::lround(detail * kLineGapEm));
  const int total = serial + detail + detail + 2 * gap;
  int top = layout.qr_y + (layout.qr_side_dots - total) / 2;
  const auto add_line = [&](std::string text, int height, bool bold) {
    layout.lines.push_back(TextLine{std::move(text), layout.text_x, top,
                                    top + static_cast<int>(std::lround(height * kBaselineEm)), height, bold});
    top += height + gap;
  };
  add_line(fields.serial, serial, true);
  add_line(mac_line, detail, false);
  add_line(date_line, detail, false);
  return layout;
}

LabelPlan plan_label(const LabelFields& fields, const LabelSize& size) {
  validate_label_size(size);
  LabelPlan plan;
  plan.fields = validate_label_fields(fields);
  plan.payload = encode_label_payload(plan.fields);
  plan.qr = encode_qr(plan.payload);
  plan.layout = plan_layout(size, plan.qr.width, plan.fields);
  return plan;
}

}  // namespace espfab::label
