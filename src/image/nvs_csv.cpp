#include "image/nvs_csv.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>

#include "util/error.hpp"

namespace espfab::image {

namespace {

struct Row {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

[[noreturn]] void fail(std::size_t line, const std::string& code, const std::string& message,
                       const std::string& hint = {}) {
  throw BadInputError("nvs." + code, fmt::format("line {}: {}", line, message), hint);
}

// One physical line as the Python csv module's default dialect reads it: ',' separates, '"'
// quotes, '""' inside quotes is one '"'. No field spans lines.
std::vector<std::string> split_csv_line(std::string_view line, std::size_t number) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  bool was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = true;
      was_quoted = true;
    } else {
      field += c;
    }
  }
  if (quoted) fail(number, "csv_unterminated_quote", "a quoted field is not closed on this line");
  fields.push_back(std::move(field));
  return fields;
}

std::vector<Row> read_rows(std::string_view text) {
  std::vector<Row> rows;
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    if (line.empty() || line.front() == '#') continue;
    rows.push_back({number, split_csv_line(line, number)});
  }
  return rows;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Python int(text): surrounding whitespace, an optional sign, decimal digits.
NvsItem parse_integer(const std::string& key, NvsType type, std::string_view raw, std::size_t line) {
  std::string_view text = trim(raw);
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  std::uint64_t magnitude = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), magnitude, 10);
  const std::string_view name = *nvs_type_name(static_cast<std::uint8_t>(type));
  if (text.empty() || end != text.data() + text.size() || error == std::errc::invalid_argument) {
    fail(line, "bad_integer", fmt::format("value '{}' of key '{}' is not a decimal integer", raw, key),
         "write integers in decimal, e.g. 42 or -7");
  }
  const bool is_signed = nvs_integer_is_signed(static_cast<std::uint8_t>(type));
  const std::size_t bits = 8 * nvs_integer_size(static_cast<std::uint8_t>(type));
  const std::uint64_t max_positive = is_signed    ? (std::uint64_t{1} << (bits - 1)) - 1
                                     : bits == 64 ? ~std::uint64_t{0}
                                                  : (std::uint64_t{1} << bits) - 1;
  const std::uint64_t max_negative = is_signed ? std::uint64_t{1} << (bits - 1) : 0;
  if (error == std::errc::result_out_of_range || (!negative && magnitude > max_positive) ||
      (negative && magnitude > max_negative)) {
    fail(line, "value_out_of_range", fmt::format("value '{}' of key '{}' does not fit in {}", raw, key, name),
         "use a wider integer type");
  }
  NvsItem item;
  if (is_signed) {
    const std::int64_t value =
        negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
    item = NvsItem::make_signed(key, type, value);
  } else {
    item = NvsItem::make_unsigned(key, type, magnitude);  // "-0" is 0; other negatives failed above
  }
  return item;
}

Bytes decode_hex_strict(std::string_view raw, const std::string& key, std::size_t line) {
  const std::string_view text = trim(raw);
  if (text.size() % 2 != 0) {
    fail(line, "bad_hex", fmt::format("hex2bin value of key '{}' has an odd number of digits ({})", key, text.size()),
         "write two hex digits per byte, without separators");
  }
  Bytes out;
  out.reserve(text.size() / 2);
  auto digit = [&](char c) -> std::uint8_t {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    fail(line, "bad_hex", fmt::format("hex2bin value of key '{}' contains '{}', not a hex digit", key, c),
         "write two hex digits per byte, without separators");
  };
  for (std::size_t i = 0; i < text.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(digit(text[i]) << 4 | digit(text[i + 1])));
  }
  return out;
}

std::optional<NvsType> integer_type(std::string_view encoding) {
  static const std::map<std::string_view, NvsType> kTypes = {
      {"u8", NvsType::U8},   {"i8", NvsType::I8},   {"u16", NvsType::U16}, {"i16", NvsType::I16},
      {"u32", NvsType::U32}, {"i32", NvsType::I32}, {"u64", NvsType::U64}, {"i64", NvsType::I64}};
  const auto found = kTypes.find(encoding);
  if (found == kTypes.end()) return std::nullopt;
  return found->second;
}

}  // namespace

Bytes decode_base64_lenient(std::string_view text) {
  auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  Bytes out;
  unsigned quad_pos = 0;
  unsigned pads = 0;
  std::uint32_t left = 0;
  for (const char c : text) {
    if (c == '=') {
      if (quad_pos >= 2 && quad_pos + ++pads >= 4) return out;
      continue;
    }
    const int v = value_of(c);
    if (v < 0) continue;
    pads = 0;
    left = (left << 6) | static_cast<std::uint32_t>(v);
    switch (quad_pos) {
      case 0: quad_pos = 1; break;
      case 1:
        out.push_back(static_cast<std::uint8_t>(left >> 4));
        left &= 0x0F;
        quad_pos = 2;
        break;
      case 2:
        out.push_back(static_cast<std::uint8_t>(left >> 2));
        left &= 0x03;
        quad_pos = 3;
        break;
      default:
        out.push_back(static_cast<std::uint8_t>(left));
        left = 0;
        quad_pos = 0;
        break;
    }
  }
  if (quad_pos != 0) {
    throw BadInputError("nvs.bad_base64",
                        quad_pos == 1 ? "base64 text has one character more than a multiple of 4"
                                      : "base64 text is not padded correctly (missing '=')",
                        "give standard base64 (RFC 4648) with '=' padding");
  }
  return out;
}

std::vector<NvsItem> parse_nvs_csv(std::string_view text, const NvsFileLoader& load_file) {
  const std::vector<Row> rows = read_rows(text);
  if (rows.empty()) {
    throw BadInputError("nvs.csv_empty", "the CSV has no header row", "start with the header: key,type,encoding,value");
  }
  // Columns are found by their header names (Python csv.DictReader).
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < rows.front().fields.size(); ++i) column.emplace(rows.front().fields[i], i);
  for (const char* name : {"key", "type", "encoding", "value"}) {
    if (column.count(name) == 0) {
      fail(rows.front().line, "csv_header",
           fmt::format("the header row has no '{}' column (it reads '{}')", name, fmt::join(rows.front().fields, ",")),
           "the first row must be: key,type,encoding,value");
    }
  }
  auto field = [&](const Row& row, const char* name) -> std::optional<std::string> {
    const std::size_t index = column.at(name);
    if (index >= row.fields.size()) return std::nullopt;
    return row.fields[index];
  };

  std::vector<NvsItem> items;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const Row& row = rows[r];
    if (std::all_of(row.fields.begin(), row.fields.end(), [](const std::string& f) { return f.empty(); }) &&
        row.fields.size() == 1) {
      continue;
    }
    const std::string key = field(row, "key").value_or("");
    const std::string type = field(row, "type").value_or("");
    const std::string encoding = field(row, "encoding").value_or("");
    const std::optional<std::string> value = field(row, "value");
    if (key.size() > kNvsMaxKeyLength) {
      fail(row.line, "bad_key",
           fmt::format("key '{}' is {} characters; NVS keys have at most {}", key, key.size(), kNvsMaxKeyLength),
           "shorten the key");
    }
    if (type == "namespace") {
      NvsItem item = NvsItem::make_namespace(key);
      item.line = row.line;
      items.push_back(std::move(item));
      continue;
    }
    if (type != "data" && type != "file") {
      fail(row.line, "bad_type", fmt::format("type '{}' of key '{}' is not namespace, data or file", type, key),
           "the type column is namespace, data or file (lower case)");
    }
    if (!value) {
      fail(row.line, "missing_value", fmt::format("key '{}' has no value column", key), "add the value");
    }
    // The raw value: the text itself, or the bytes of the file it names.
    SecretBytes source;
    if (type == "file") {
      try {
        source = SecretBytes(load_file(*value));
      } catch (Error& error) {
        error.with_context(fmt::format("reading the file of key '{}' on line {}", key, row.line));
        throw;
      }
    } else {
      source = SecretBytes(to_bytes(*value));
    }
    const std::string_view source_text(reinterpret_cast<const char*>(source.data()), source.size());

    NvsItem item;
    if (const auto integer = integer_type(encoding)) {
      item = parse_integer(key, *integer, source_text, row.line);
    } else if (encoding == "string") {
      if (std::any_of(source_text.begin(), source_text.end(),
                      [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
        fail(row.line, "non_ascii_string",
             fmt::format("string of key '{}' is not ASCII; nvs_partition_gen.py counts its characters instead of "
                         "its bytes and writes a corrupt entry",
                         key),
             "store UTF-8 text as a blob (hex2bin, base64, or file with binary)");
      }
      item = NvsItem::make_string(key, source_text);
    } else if (encoding == "hex2bin") {
      item = NvsItem::make_blob(key, SecretBytes(decode_hex_strict(source_text, key, row.line)));
    } else if (encoding == "base64") {
      try {
        item = NvsItem::make_blob(key, SecretBytes(decode_base64_lenient(source_text)));
      } catch (Error& error) {
        error.with_context(fmt::format("line {}, key '{}'", row.line, key));
        throw;
      }
    } else if (encoding == "binary") {
      item = NvsItem::make_blob(key, std::move(source));
    } else {
      fail(row.line, "bad_encoding", fmt::format("encoding '{}' of key '{}' is not supported", encoding, key),
           "use u8, i8, u16, i16, u32, i32, u64, i64, string, hex2bin, base64 or binary (lower case)");
    }
    item.line = row.line;
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace espfab::image
