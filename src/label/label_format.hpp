// The file formats a label is rendered to, and their file name extensions.
#pragma once

#include <filesystem>
#include <string_view>

namespace espfab::label {

enum class LabelFormat { Png, Pdf, Zpl };

std::string_view extension(LabelFormat format);  // "png", "pdf", "zpl"

// "png" / "pdf" / "zpl" (any case); throws BadInputError label.bad_format.
LabelFormat parse_label_format(std::string_view name);

// From the extension of `path` ("label.PDF" -> Pdf); throws BadInputError label.bad_format naming
// the extensions it knows.
LabelFormat label_format_for_path(const std::filesystem::path& path);

}  // namespace espfab::label
