// Where everything goes on a label, in printer dots: the QR code on the left with its quiet zone,
// the human-readable lines on the right. A pure plan that every renderer draws the same way.
#pragma once

#include <string>
#include <vector>

#include "label/label_payload.hpp"
#include "label/qr_matrix.hpp"

namespace espfab::label {

struct LabelSize {
  double width_mm = 50;  // 5..500
  double height_mm = 30;
  int dpi = 203;  // 100..1200; 203 (8 dots/mm) and 300 are the usual thermal printers
};

inline constexpr int kQuietZoneModules = 4;
inline constexpr int kMinDotsPerModule = 3;
inline constexpr int kMaxDotsPerModule = 10;  // ZPL ^BQ's largest magnification
// At most this share of the label width goes to the QR code and its quiet zone; the rest is text.
inline constexpr double kMaxQrWidthShare = 0.6;

struct TextLine {
  std::string text;
  int x = 0;         // left edge, dots
  int top = 0;       // top of the line (ZPL ^FO), dots
  int baseline = 0;  // dots
  int height = 0;    // font size (em) in dots
  bool bold = false;
};

struct LabelLayout {
  int dpi = 0;
  double width_mm = 0;
  double height_mm = 0;
  int width_dots = 0;
  int height_dots = 0;
  int qr_modules = 0;   // modules per side, without the quiet zone
  int module_dots = 0;  // dots per module side
  int qr_x = 0;         // top-left corner of the first module (the quiet zone lies around it)
  int qr_y = 0;
  int qr_side_dots = 0;  // qr_modules * module_dots
  int text_x = 0;        // the text column
  int text_width = 0;
  std::vector<TextLine> lines;  // serial (large, bold), "MAC aa:bb:..", "Provisioned YYYY-MM-DD"
};

// round(mm / 25.4 * dpi): 50 mm at 203 dpi is 400 dots.
int mm_to_dots(double mm, int dpi);

// Throws BadInputError label.bad_size for a size outside the ranges above.
void validate_label_size(const LabelSize& size);

// `fields` must be valid (validate_label_fields). The module size is the largest (up to
// kMaxDotsPerModule) with which the symbol and a 4-module quiet zone fit the label height and
// kMaxQrWidthShare of its width. Throws BadInputError label.too_small when that is below
// kMinDotsPerModule, naming the fix (a larger label or a higher dpi).
LabelLayout plan_layout(const LabelSize& size, int qr_modules, const LabelFields& fields);

// Everything a renderer needs: the validated fields, the payload, its QR symbol and the layout.
struct LabelPlan {
  LabelFields fields;
  std::string payload;
  QrMatrix qr;
  LabelLayout layout;
};

LabelPlan plan_label(const LabelFields& fields, const LabelSize& size);

}  // namespace espfab::label
