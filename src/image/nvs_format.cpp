#include "image/nvs_format.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab::image {

std::optional<std::string_view> nvs_type_name(std::uint8_t type) {
  switch (static_cast<NvsType>(type)) {
    case NvsType::U8: return "u8";
    case NvsType::I8: return "i8";
    case NvsType::U16: return "u16";
    case NvsType::I16: return "i16";
    case NvsType::U32: return "u32";
    case NvsType::I32: return "i32";
    case NvsType::U64: return "u64";
    case NvsType::I64: return "i64";
    case NvsType::String: return "string";
    case NvsType::BlobV1: return "blob";
    case NvsType::BlobData: return "blob_data";
    case NvsType::BlobIndex: return "blob_index";
  }
  return std::nullopt;
}

bool nvs_type_is_integer(std::uint8_t type) { return nvs_integer_size(type) != 0; }

std::size_t nvs_integer_size(std::uint8_t type) {
  switch (static_cast<NvsType>(type)) {
    case NvsType::U8:
    case NvsType::I8: return 1;
    case NvsType::U16:
    case NvsType::I16: return 2;
    case NvsType::U32:
    case NvsType::I32: return 4;
    case NvsType::U64:
    case NvsType::I64: return 8;
    default: return 0;
  }
}

bool nvs_integer_is_signed(std::uint8_t type) { return nvs_type_is_integer(type) && (type & 0x10u) != 0; }

namespace {

void check_integer_type(NvsType type, bool want_signed) {
  const auto byte = static_cast<std::uint8_t>(type);
  if (!nvs_type_is_integer(byte) || nvs_integer_is_signed(byte) != want_signed) {
    throw InternalError("nvs.bad_item_type", fmt::format("NVS type 0x{:02x} is not a{} integer type", byte,
                                                         want_signed ? " signed" : "n unsigned"));
  }
}

}  // namespace

NvsItem NvsItem::make_namespace(std::string name) {
  NvsItem item;
  item.kind = Kind::Namespace;
  item.key = std::move(name);
  return item;
}

NvsItem NvsItem::make_unsigned(std::string key, NvsType type, std::uint64_t value) {
  check_integer_type(type, false);
  const std::size_t bits = 8 * nvs_integer_size(static_cast<std::uint8_t>(type));
  if (bits < 64 && value >> bits != 0) {
    throw BadInputError("nvs.value_out_of_range",
                        fmt::format("value {} of key '{}' does not fit in {}", value, key,
                                    *nvs_type_name(static_cast<std::uint8_t>(type))),
                        "use a wider type");
  }
  NvsItem item;
  item.kind = Kind::Integer;
  item.key = std::move(key);
  item.type = type;
  item.integer_bits = value;
  return item;
}

NvsItem NvsItem::make_signed(std::string key, NvsType type, std::int64_t value) {
  check_integer_type(type, true);
  const std::size_t bits = 8 * nvs_integer_size(static_cast<std::uint8_t>(type));
  if (bits < 64) {
    const std::int64_t low = -(std::int64_t{1} << (bits - 1));
    const std::int64_t high = (std::int64_t{1} << (bits - 1)) - 1;
    if (value < low || value > high) {
      throw BadInputError("nvs.value_out_of_range",
                          fmt::format("value {} of key '{}' does not fit in {} ({}..{})", value, key,
                                      *nvs_type_name(static_cast<std::uint8_t>(type)), low, high),
                          "use a wider type");
    }
  }
  NvsItem item;
  item.kind = Kind::Integer;
  item.key = std::move(key);
  item.type = type;
  item.integer_bits = static_cast<std::uint64_t>(value);
  if (bits < 64) item.integer_bits &= (std::uint64_t{1} << bits) - 1;
  return item;
}

NvsItem NvsItem::make_string(std::string key, std::string_view text) {
  NvsItem item;
  item.kind = Kind::String;
  item.key = std::move(key);
  item.type = NvsType::String;
  item.data = SecretBytes(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  return item;
}

NvsItem NvsItem::make_blob(std::string key, ByteView bytes) { return make_blob(std::move(key), SecretBytes(bytes)); }

NvsItem NvsItem::make_blob(std::string key, SecretBytes bytes) {
  NvsItem item;
  item.kind = Kind::Blob;
  item.key = std::move(key);
  item.type = NvsType::BlobData;
  item.data = std::move(bytes);
  return item;
}

}  // namespace espfab::image
