// The label operation of the CLI (`espfab label`) as one service: one device label planned (QR
// payload, layout) and rendered as PNG, PDF or ZPL, the format taken from the output file's
// extension, and written atomically. See docs/label.md.
#pragma once

#include <filesystem>

#include "label/label_format.hpp"
#include "label/label_layout.hpp"
#include "label/label_payload.hpp"

namespace espfab::service {

struct LabelRequest {
  label::LabelFields fields{};  // an empty provisioned_date is today's (UTC)
  label::LabelSize size{};
  std::filesystem::path output{};  // .png, .pdf or .zpl: the extension picks the format
};

struct LabelResult {
  label::LabelFormat format = label::LabelFormat::Png;
  label::LabelPlan plan;  // the validated fields, the QR payload and the layout that was rendered
};

// Throws BadInputError (label.bad_format, label.bad_serial, label.bad_mac, label.bad_date,
// label.bad_size, label.too_small) before anything is written.
LabelResult make_label(const LabelRequest& request);

}  // namespace espfab::service
