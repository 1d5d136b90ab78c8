#include "security/efuse_summary.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "security/key_purpose.hpp"

namespace espfab::security {

namespace efuse = chip::esp32s3_efuse;

namespace {

std::string joined_hex(ByteView bytes, char separator) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) out += separator;
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

std::string mac_text(const EfuseImage& image, const efuse::FieldInfo& field) {
  Bytes bytes = image.field_bytes(field);
  // Field bytes are in block order; espefuse shows the factory MAC reversed, CUSTOM_MAC as stored.
  if (field.name != "CUSTOM_MAC") std::reverse(bytes.begin(), bytes.end());
  const auto errors = image.block_errors(field.block);
  const std::string check = errors.count != 0 || errors.fail ? fmt::format("Block{} has ERRORS:{} FAIL:{}", field.block,
                                                                           errors.count, errors.fail ? 1 : 0)
                                                             : "OK";
  return joined_hex(bytes, ':') + " (" + check + ")";
}

// Sign bit (the field's highest bit) and magnitude (the rest), as espefuse's calibration fields.
std::pair<int, std::uint64_t> signed_magnitude(std::uint64_t raw, unsigned bit_len) {
  const bool negative = (raw >> (bit_len - 1)) & 1u;
  return {negative ? -1 : 1, raw & ((std::uint64_t{1} << (bit_len - 1)) - 1)};
}

}  // namespace

FieldValue field_value(const EfuseImage& image, const efuse::FieldInfo& field) {
  switch (field.field_class) {
    case efuse::FieldClass::Mac: return mac_text(image, field);
    case efuse::FieldClass::KeyPurpose:
      return std::string(key_purpose_name(static_cast<std::uint32_t>(image.field_uint(field))));
    case efuse::FieldClass::WaferCalc:
      return static_cast<std::int64_t>((image.field_uint("WAFER_VERSION_MINOR_HI") << 3) +
                                       image.field_uint("WAFER_VERSION_MINOR_LO"));
    case efuse::FieldClass::TempSensor: {
      const auto [sign, magnitude] = signed_magnitude(image.field_uint(field), field.bit_len);
      return sign * static_cast<double>(magnitude) * 0.1;
    }
    case efuse::FieldClass::AdcPoint: {
      const auto [sign, magnitude] = signed_magnitude(image.field_uint(field), field.bit_len);
      return static_cast<std::int64_t>(sign) * static_cast<std::int64_t>(magnitude) * 4;
    }
    default: break;
  }
  if (field.type == efuse::FieldType::Bytes) return joined_hex(image.field_bytes(field), ' ');
  const std::uint64_t raw = image.field_uint(field);
  if (auto meaning = field.meaning(static_cast<std::uint32_t>(raw))) return std::string(*meaning);
  if (field.type == efuse::FieldType::Bool) return raw != 0;
  return static_cast<std::int64_t>(raw);
}

std::string value_text(const FieldValue& value) {
  struct Visitor {
    std::string operator()(bool v) const { return v ? "True" : "False"; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt::format("{}", v); }
    std::string operator()(const std::string& v) const { return v; }
  };
  return std::visit(Visitor{}, value);
}

namespace {

// espefuse lists ordinary fields first, then the whole data/key blocks, then calibration fields,
// then calculated ones; each group in definition order.
int listing_group(const efuse::FieldInfo& field) {
  if (field.calculated()) return 3;
  if (field.category == "calibration") return 2;
  if (field.type == efuse::FieldType::Bytes && field.bit_len == 256) return 1;
  return 0;
}

}  // namespace

std::vector<FieldSummary> summarize(const EfuseImage& image) {
  const bool calibration = image.field_uint("BLK_VERSION_MAJOR") == 1;
  std::vector<const efuse::FieldInfo*> listed;
  for (const auto& field : efuse::fields()) listed.push_back(&field);
  std::stable_sort(listed.begin(), listed.end(),
                   [](const auto* a, const auto* b) { return listing_group(*a) < listing_group(*b); });
  std::vector<FieldSummary> out;
  for (const auto* listed_field : listed) {
    const auto& field = *listed_field;
    if (!field.shown) continue;
    if (field.category == "calibration" && !calibration) continue;
    FieldSummary summary;
    summary.field = &field;
    summary.readable = !image.read_protected(field.read_disable_bit);
    summary.writeable = !image.write_protected(field.write_disable_bit);
    summary.value = field_value(image, field);
    if (!summary.readable) {
      std::string text = value_text(summary.value);
      std::replace(text.begin(), text.end(), '0', '?');
      summary.value = text;
    }
    out.push_back(std::move(summary));
  }
  return out;
}

}  // namespace espfab::security
