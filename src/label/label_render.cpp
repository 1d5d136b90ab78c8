#include "label/label_render.hpp"

namespace espfab::label {

Bytes render(const LabelPlan& plan, LabelFormat format) {
  switch (format) {
    case LabelFormat::Png: return render_png(plan);
    case LabelFormat::Pdf: return render_pdf(plan);
    case LabelFormat::Zpl: return to_bytes(render_zpl(plan));
  }
  return render_png(plan);
}

Bytes render_label(const LabelFields& fields, const LabelSize& size, LabelFormat format) {
  return render(plan_label(fields, size), format);
}

Bytes render_label_png(const LabelFields& fields, const LabelSize& size) {
  return render_png(plan_label(fields, size));
}

Bytes render_label_pdf(const LabelFields& fields, const LabelSize& size) {
  return render_pdf(plan_label(fields, size));
}

std::string render_label_zpl(const LabelFields& fields, const LabelSize& size) {
  return render_zpl(plan_label(fields, size));
}

}  // namespace espfab::label
