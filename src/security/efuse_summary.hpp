// Decoding an eFuse snapshot into field values with espefuse's names and presentation, so
// `espfab efuse summary --json` has the shape of `espefuse summary --format json` (field name ->
// {name, value, block, word, pos, bit_len, efuse_type, readable, writeable, category,
// description}) and scripts written for espefuse keep working.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "chip/esp32s3_efuse_fields.hpp"
#include "security/efuse_image.hpp"

namespace espfab::security {

// A value as espefuse shows it: bool, integer, float (calibration) or text (bytes, names, MACs).
using FieldValue = std::variant<bool, std::int64_t, double, std::string>;

struct FieldSummary {
  const chip::esp32s3_efuse::FieldInfo* field = nullptr;
  FieldValue value;
  bool readable = true;
  bool writeable = true;
};

// The value of one field (meaning from its value names where one applies).
FieldValue field_value(const EfuseImage& image, const chip::esp32s3_efuse::FieldInfo& field);

// Every field espefuse shows, in espefuse's order (ordinary fields, whole data/key blocks,
// calibration, calculated; each in table order): fields marked shown, calibration fields only when
// BLK_VERSION_MAJOR is 1, and the calculated WAFER_VERSION_MINOR. A value that is not readable is
// shown as espefuse does: its text with every '0' replaced by '?'.
std::vector<FieldSummary> summarize(const EfuseImage& image);

// Text form of a value as Python's str() would print it (for the human-readable summary).
std::string value_text(const FieldValue& value);

}  // namespace espfab::security
