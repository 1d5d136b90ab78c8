// ZPL II for Zebra printers: label width and length in dots, the QR symbol by the printer's own
// encoder (^BQN,2,<module dots>, ECC M, automatic mode), and the text lines in the scalable font 0.
#include <fmt/format.h>

#include "label/label_render.hpp"
#include "util/error.hpp"

namespace espfab::label {
namespace {

// ^ and ~ start ZPL commands; validation keeps them out of every field, this is the last guard.
void check_field_data(const std::string& text) {
  for (const char c : text) {
    if (c == '^' || c == '~' || c < 0x20 || c > 0x7e) {
      throw InternalError("label.zpl_unsafe_field", "a label field for ZPL holds ^, ~ or a non-printable character");
    }
  }
}

}  // namespace

std::string render_zpl(const LabelPlan& plan) {
  const LabelLayout& layout = plan.layout;
  check_field_data(plan.payload);
  std::string zpl = "^XA\n";
  zpl += "^CI0\n";  // 7-bit ASCII: every field is plain ASCII
  zpl += fmt::format("^PW{}\n^LL{}\n^LH0,0\n", layout.width_dots, layout.height_dots);
  zpl += fmt::format("^FO{},{}^BQN,2,{}^FDMA,{}^FS\n", layout.qr_x, layout.qr_y, layout.module_dots, plan.payload);
  for (const TextLine& line : layout.lines) {
    check_field_data(line.text);
    zpl += fmt::format("^FO{},{}^A0N,{},{}^FD{}^FS\n", line.x, line.top, line.height, line.height, line.text);
  }
  zpl += "^XZ\n";
  return zpl;
}

}  // namespace espfab::label
