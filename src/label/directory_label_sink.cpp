#include <fmt/format.h>

#include "label/label_printer.hpp"
#include "label/label_render.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::label {

DirectoryLabelSink::DirectoryLabelSink(std::filesystem::path dir, std::set<LabelFormat> formats, LabelSize size)
    : dir_(std::move(dir)), formats_(std::move(formats)), size_(size) {
  if (formats_.empty()) {
    throw BadInputError("label.no_formats", fmt::format("no label format chosen for directory {}", dir_.string()),
                        "choose at least one of png, pdf, zpl");
  }
  validate_label_size(size_);
}

std::vector<std::filesystem::path> DirectoryLabelSink::write(const LabelFields& fields) {
  const LabelPlan plan = plan_label(fields, size_);
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error) {
    throw IoError("label.directory_failed",
                  fmt::format("cannot create label directory {}: {}", dir_.string(), error.message()),
                  "check the path and its permissions");
  }
  std::vector<std::filesystem::path> written;
  for (const LabelFormat format : formats_) {
    const Bytes data = render(plan, format);
    std::filesystem::path path = dir_ / fmt::format("{}.{}", plan.fields.serial, extension(format));
    write_file_atomic(path, data);
    written.push_back(std::move(path));
  }
  return written;
}

std::string DirectoryLabelSink::print(const LabelFields& fields) {
  std::string text = "wrote";
  const char* separator = " ";
  for (const auto& path : write(fields)) {
    text += separator + path.string();
    separator = ", ";
  }
  return text;
}

std::string DirectoryLabelSink::describe() const {
  std::string names;
  for (const LabelFormat format : formats_) {
    if (!names.empty()) names += ", ";
    names += extension(format);
  }
  return fmt::format("directory {} ({})", dir_.string(), names);
}

}  // namespace espfab::label
