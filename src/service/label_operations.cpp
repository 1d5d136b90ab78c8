#include "service/label_operations.hpp"

#include <chrono>

#include "label/label_render.hpp"
#include "util/file_io.hpp"

namespace espfab::service {

LabelResult make_label(const LabelRequest& request) {
  LabelResult result;
  result.format = label::label_format_for_path(request.output);
  label::LabelFields fields = request.fields;
  if (fields.provisioned_date.empty()) {
    fields.provisioned_date =
        label::format_label_date(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()));
  }
  result.plan = label::plan_label(fields, request.size);
  write_file_atomic(request.output, label::render(result.plan, result.format));
  return result;
}

}  // namespace espfab::service
