// A label drawn from its plan (label_layout.hpp): PNG and PDF through cairo, ZPL as text for Zebra
// printers. Each validates the fields and the size first (BadInputError).
#pragma once

#include <string>

#include "label/label_format.hpp"
#include "label/label_layout.hpp"
#include "label/label_payload.hpp"
#include "util/bytes.hpp"

namespace espfab::label {

// width_dots x height_dots pixels, white background, QR modules drawn without antialiasing.
Bytes render_label_png(const LabelFields& fields, const LabelSize& size = {});
// One page of width_mm x height_mm (in points), the QR modules as filled rectangles.
Bytes render_label_pdf(const LabelFields& fields, const LabelSize& size = {});
// ^XA ^PW ^LL, the QR as ^BQN,2,<module dots> with ^FDMA,<payload>^FS, three ^A0N text fields, ^XZ.
std::string render_label_zpl(const LabelFields& fields, const LabelSize& size = {});

// One of the above by format (ZPL as its ASCII bytes).
Bytes render_label(const LabelFields& fields, const LabelSize& size, LabelFormat format);

// The same from an existing plan, for callers that also show the plan.
Bytes render_png(const LabelPlan& plan);
Bytes render_pdf(const LabelPlan& plan);
std::string render_zpl(const LabelPlan& plan);
Bytes render(const LabelPlan& plan, LabelFormat format);

}  // namespace espfab::label
