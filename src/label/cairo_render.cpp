// PNG and PDF labels through cairo: the same drawing in dots, on an image surface of width_dots x
// height_dots or scaled by 72/dpi onto a PDF page of the label's size in points.
#include <cairo-pdf.h>
#include <cairo.h>

#include <fmt/format.h>

#include <memory>
#include <new>

#include "label/label_render.hpp"
#include "util/error.hpp"

namespace espfab::label {
namespace {

struct SurfaceDeleter {
  void operator()(cairo_surface_t* surface) const noexcept { cairo_surface_destroy(surface); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
struct ContextDeleter {
  void operator()(cairo_t* cr) const noexcept { cairo_destroy(cr); }
};
using ContextPtr = std::unique_ptr<cairo_t, ContextDeleter>;

constexpr double kPointsPerInch = 72.0;
constexpr double kMmPerInch = 25.4;

// cairo's stream callback: appends to the Bytes behind `closure`; no exception crosses into C.
cairo_status_t append_to_bytes(void* closure, const unsigned char* data, unsigned int length) {
  try {
    auto* out = static_cast<Bytes*>(closure);
    out->insert(out->end(), data, data + length);
    return CAIRO_STATUS_SUCCESS;
  } catch (const std::bad_alloc&) {
    return CAIRO_STATUS_WRITE_ERROR;
  }
}

void check(cairo_status_t status, const char* what) {
  if (status != CAIRO_STATUS_SUCCESS) {
    throw InternalError("label.cairo_failed", fmt::format("cairo failed {}: {}", what, cairo_status_to_string(status)));
  }
}

// Dark modules as filled rectangles, one per horizontal run, without antialiasing so that every
// module edge falls on a dot edge.
void draw_qr(cairo_t* cr, const LabelPlan& plan) {
  const LabelLayout& layout = plan.layout;
  cairo_save(cr);
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
  cairo_set_source_rgb(cr, 0, 0, 0);
  const int modules = plan.qr.width;
  const double module = layout.module_dots;
  for (int y = 0; y < modules; ++y) {
    int x = 0;
    while (x < modules) {
      if (!plan.qr.is_dark(x, y)) {
        ++x;
        continue;
      }
      const int run_start = x;
      while (x < modules && plan.qr.is_dark(x, y)) ++x;
      cairo_rectangle(cr, layout.qr_x + run_start * module, layout.qr_y + y * module, (x - run_start) * module, module);
    }
  }
  cairo_fill(cr);
  cairo_restore(cr);
}

// Each line at its planned size, made smaller if the font comes out wider than the text column.
void draw_text(cairo_t* cr, const LabelLayout& layout) {
  cairo_set_source_rgb(cr, 0, 0, 0);
  for (const TextLine& line : layout.lines) {
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           line.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    double font_size = line.height;
    cairo_set_font_size(cr, font_size);
    cairo_text_extents_t extents{};
    cairo_text_extents(cr, line.text.c_str(), &extents);
    if (extents.x_advance > layout.text_width) {
      font_size = font_size * layout.text_width / extents.x_advance;
      cairo_set_font_size(cr, font_size);
    }
    cairo_move_to(cr, line.x, line.baseline);
    cairo_show_text(cr, line.text.c_str());
  }
}

void draw_label(cairo_t* cr, const LabelPlan& plan) {
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, 0, 0, plan.layout.width_dots, plan.layout.height_dots);
  cairo_fill(cr);
  draw_qr(cr, plan);
  draw_text(cr, plan.layout);
  check(cairo_status(cr), "drawing the label");
}

}  // namespace

Bytes render_png(const LabelPlan& plan) {
  const SurfacePtr surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, plan.layout.width_dots, plan.layout.height_dots));
  check(cairo_surface_status(surface.get()), "creating the image");
  {
    const ContextPtr cr(cairo_create(surface.get()));
    draw_label(cr.get(), plan);
  }
  cairo_surface_flush(surface.get());
  Bytes png;
  check(cairo_surface_write_to_png_stream(surface.get(), append_to_bytes, &png), "writing the PNG");
  return png;
}

Bytes render_pdf(const LabelPlan& plan) {
  const LabelLayout& layout = plan.layout;
  Bytes pdf;
  const SurfacePtr surface(cairo_pdf_surface_create_for_stream(append_to_bytes, &pdf,
                                                               layout.width_mm / kMmPerInch * kPointsPerInch,
                                                               layout.height_mm / kMmPerInch * kPointsPerInch));
  check(cairo_surface_status(surface.get()), "creating the PDF");
  const std::string title = "Label " + plan.fields.serial;
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "espfab");
  {
    const ContextPtr cr(cairo_create(surface.get()));
    const double scale = kPointsPerInch / layout.dpi;
    cairo_scale(cr.get(), scale, scale);
    draw_label(cr.get(), plan);
  }
  cairo_surface_finish(surface.get());
  check(cairo_surface_status(surface.get()), "writing the PDF");
  return pdf;
}

}  // namespace espfab::label
