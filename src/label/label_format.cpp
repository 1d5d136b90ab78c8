#include "label/label_format.hpp"

#include <fmt/format.h>

#include <string>

#include "util/error.hpp"

namespace espfab::label {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string_view extension(LabelFormat format) {
  switch (format) {
    case LabelFormat::Png: return "png";
    case LabelFormat::Pdf: return "pdf";
    case LabelFormat::Zpl: return "zpl";
  }
  return "png";
}

LabelFormat parse_label_format(std::string_view name) {
  const std::string key = lower(name);
  if (key == "png") return LabelFormat::Png;
  if (key == "pdf") return LabelFormat::Pdf;
  if (key == "zpl") return LabelFormat::Zpl;
  throw BadInputError("label.bad_format", fmt::format("'{}' is not a label format", name),
                      "use png (image), pdf (vector, for CUPS) or zpl (Zebra printers)");
}

LabelFormat label_format_for_path(const std::filesystem::path& path) {
  const std::string ext = lower(path.extension().string());
  if (ext == ".png") return LabelFormat::Png;
  if (ext == ".pdf") return LabelFormat::Pdf;
  if (ext == ".zpl") return LabelFormat::Zpl;
  throw BadInputError("label.bad_format",
                      fmt::format("cannot tell the label format of '{}' from its extension", path.string()),
                      "name the output file .png, .pdf or .zpl");
}

}  // namespace espfab::label
