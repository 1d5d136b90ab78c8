#include "image/partition_csv.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

#include "util/bytes.hpp"
#include "util/error.hpp"

namespace espfab::image {

namespace {

constexpr std::int64_t kMaxMagnitude = std::int64_t{1} << 53;
constexpr std::string_view kNumberHint =
    "write a number as decimal (4096), hex (0x1000), octal (0o10) or binary (0b1), optionally with a K or M "
    "suffix (4K, 1M)";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Digits of one base with Python's underscore rule: a single '_' may precede any digit (after a
// base prefix also the first one, `leading_underscore`), never trail or double.
std::optional<std::int64_t> parse_digits(std::string_view digits, int base, bool leading_underscore) {
  if (digits.empty()) return std::nullopt;
  std::int64_t value = 0;
  bool any_digit = false;
  bool after_underscore = false;
  for (char c : digits) {
    if (c == '_') {
      if (after_underscore || (!any_digit && !leading_underscore)) return std::nullopt;
      after_underscore = true;
      continue;
    }
    const int digit = digit_value(c);
    if (digit >= base) return std::nullopt;
    value = value * base + digit;
    if (value > kMaxMagnitude) return std::nullopt;
    any_digit = true;
    after_underscore = false;
  }
  if (!any_digit || after_underscore) return std::nullopt;
  return value;
}

// Python int(text, 0).
std::optional<std::int64_t> parse_python_int(std::string_view text) {
  text = trim(text);
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  std::optional<std::int64_t> value;
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    value = parse_digits(text.substr(2), 16, true);
  } else if (text.size() >= 2 && text[0] == '0' && (text[1] == 'o' || text[1] == 'O')) {
    value = parse_digits(text.substr(2), 8, true);
  } else if (text.size() >= 2 && text[0] == '0' && (text[1] == 'b' || text[1] == 'B')) {
    value = parse_digits(text.substr(2), 2, true);
  } else {
    value = parse_digits(text, 10, false);
    // Base 0 refuses leading zeros in a non-zero decimal ("010").
    if (value && *value != 0 && !text.empty() && text.front() == '0') return std::nullopt;
  }
  if (!value) return std::nullopt;
  return negative ? -*value : *value;
}

// Splits into lines on \n, \r\n and \r, as Python's splitlines() does for ASCII text.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    fields.emplace_back(
        trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  while (fields.size() < 6) fields.emplace_back();
  return fields;
}

std::string keyword_list(std::span<const PartitionKeyword> keywords) {
  std::string list;
  for (const auto& keyword : keywords) {
    if (!list.empty()) list += ", ";
    list += keyword.name;
  }
  return list;
}

// One CSV line being read: knows its number and (once read) the partition name for messages.
class LineReader {
 public:
  LineReader(std::uint32_t line_no, const PartitionCsvOptions& options) : line_no_(line_no), options_(options) {}

  [[noreturn]] void fail(std::string_view rule, const std::string& problem, std::string hint) const {
    const std::string who = name_ ? fmt::format("partition '{}': ", *name_) : std::string();
    throw BadInputError(fmt::format("partition_table.{}", rule), fmt::format("line {}: {}{}", line_no_, who, problem),
                        std::move(hint));
  }

  std::string expand_variables(std::string_view line) const {
    std::string out;
    std::size_t i = 0;
    while (i < line.size()) {
      if (line[i] != '$') {
        out += line[i++];
        continue;
      }
      std::size_t name_start = i + 1;
      std::size_t name_end = name_start;
      const bool braced = name_start < line.size() && line[name_start] == '{';
      if (braced) ++name_start, ++name_end;
      auto is_name_char = [&](std::size_t at, bool first) {
        const char c = line[at];
        return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9');
      };
      while (name_end < line.size() && is_name_char(name_end, name_end == name_start)) ++name_end;
      const bool closed = !braced || (name_end < line.size() && line[name_end] == '}');
      if (name_end == name_start || !closed) {
        out += line[i++];  // a lone '$' is text
        continue;
      }
      const std::string name(line.substr(name_start, name_end - name_start));
      const auto value = options_.environment ? options_.environment(name) : std::nullopt;
      if (!value) {
        fail("unknown_variable", fmt::format("${} is not set in the environment", name),
             fmt::format("export {} before running, or write the value into the CSV", name));
      }
      out += *value;
      i = name_end + (braced ? 1 : 0);
    }
    return out;
  }

  PartitionEntry read_entry(std::string_view line, std::optional<std::int64_t>& offset, std::int64_t& size) {
    const auto fields = split_fields(line);
    PartitionEntry entry;
    entry.line = line_no_;
    entry.name = fields[0];
    name_ = entry.name;
    entry.type = read_type(fields[1]);
    entry.subtype = read_subtype(entry.type, fields[2]);
    offset = read_offset(entry, fields[3]);
    size = read_size(entry, fields[4]);
    read_flags(entry, fields[5]);
    return entry;
  }

 private:
  std::optional<std::int64_t> number(std::string_view field, std::string_view what) const {
    if (field.empty()) return std::nullopt;
    auto value = parse_partition_number(field);
    if (!value) {
      fail("bad_number", fmt::format("{} '{}' is not a number", what, field), std::string(kNumberHint));
    }
    return value;
  }

  std::uint8_t read_type(const std::string& field) const {
    if (field.empty()) {
      fail("empty_type", "the type column is empty",
           fmt::format("write one of {} or a number 0x00..0xFE", keyword_list(partition_keywords::kTypes)));
    }
    if (auto value = parse_partition_number(field)) return code_value(*value, "type");
    if (auto keyword = find_keyword(partition_keywords::kTypes, lower(field))) return *keyword;
    fail("unknown_type", fmt::format("type '{}' is neither a number nor a known type", field),
         fmt::format("write one of {} or a number 0x00..0xFE (0x40..0xFE for custom types)",
                     keyword_list(partition_keywords::kTypes)));
  }

  std::uint8_t read_subtype(std::uint8_t type, const std::string& field) const {
    const auto keywords = subtype_keywords(type);
    if (field.empty()) {
      if (type == kPartitionTypeApp) {
        fail("empty_app_subtype", "an app partition needs a subtype",
             fmt::format("write one of {}", keyword_list(keywords)));
      }
      return kDataSubtypeUndefined;  // gen_esp32part 1.5: any other type gets 'undefined' (0x06)
    }
    if (auto value = parse_partition_number(field)) return code_value(*value, "subtype");
    if (auto keyword = find_keyword(keywords, lower(field))) return *keyword;
    const std::string hint =
        keywords.empty()
            ? fmt::format("type {} has no subtype names; write a number 0x00..0xFE or leave it empty", type_text(type))
            : fmt::format("subtypes of type {} are {}; or write a number 0x00..0xFE", type_text(type),
                          keyword_list(keywords));
    fail("unknown_subtype", fmt::format("subtype '{}' is neither a number nor a known subtype", field), hint);
  }

  std::uint8_t code_value(std::int64_t value, std::string_view what) const {
    if (value < 0 || value > kPartitionMaxTypeValue) {
      fail(fmt::format("bad_{}", what), fmt::format("{} {} is outside 0x00..0xFE", what, value),
           fmt::format("0xFF means 'any' to ESP-IDF; use a {} from 0x00 to 0xFE", what));
    }
    return static_cast<std::uint8_t>(value);
  }

  std::optional<std::int64_t> read_offset(const PartitionEntry& entry, const std::string& field) const {
    if (entry.type == kPartitionTypeBootloader) {
      if (entry.subtype == kBootloaderSubtypePrimary) return options_.primary_bootloader_offset;
      if (entry.subtype == kBootloaderSubtypeRecovery) {
        if (!options_.recovery_bootloader_offset) {
          fail("no_recovery_bootloader", "a recovery bootloader partition needs a recovery bootloader offset",
               "this chip has no recovery bootloader; remove the line");
        }
        return *options_.recovery_bootloader_offset;
      }
    }
    if (entry.is_primary_partition_table()) return options_.table_offset;
    auto value = number(field, "offset");
    if (value && (*value < 0 || *value > 0xFFFFFFFF)) {
      fail("bad_offset", fmt::format("offset {} is outside the 32-bit flash address range", field),
           "write a flash address from 0x0 to 0xFFFFFFFF, or leave it empty to place the partition automatically");
    }
    return value;
  }

  std::int64_t read_size(const PartitionEntry& entry, const std::string& field) const {
    if (entry.type == kPartitionTypeBootloader) {
      if (options_.table_offset < options_.primary_bootloader_offset) {
        fail("bad_bootloader", "the bootloader would start after the partition table",
             "check the partition table offset (--offset)");
      }
      return options_.table_offset - options_.primary_bootloader_offset;
    }
    if (entry.type == kPartitionTypePartitionTable) return kPartitionTableSectorSize;
    auto value = number(field, "size");
    if (!value) {
      fail("empty_size", "the size column is empty",
           "write the size (0x6000, 24K, 1M), or a negative value -ADDRESS to reach up to that address");
    }
    if (*value > 0xFFFFFFFF || *value < -0xFFFFFFFFll) {
      fail("bad_size", fmt::format("size {} does not fit in 32 bits", field), "partition sizes are below 4 GiB");
    }
    return *value;
  }

  void read_flags(PartitionEntry& entry, const std::string& field) const {
    std::size_t start = 0;
    for (;;) {
      const std::size_t colon = field.find(':', start);
      const std::string flag = field.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (flag == "encrypted") {
        entry.encrypted = true;
      } else if (flag == "readonly") {
        entry.readonly = true;
      } else if (!flag.empty()) {
        fail("unknown_flag", fmt::format("unknown flag '{}'", flag),
             "the flags column takes 'encrypted' and 'readonly', separated by ':' (encrypted:readonly)");
      }
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }

  std::uint32_t line_no_;
  const PartitionCsvOptions& options_;
  std::optional<std::string> name_;
};

struct PendingEntry {
  PartitionEntry entry;
  std::optional<std::int64_t> offset;
  std::int64_t size = 0;
};

[[noreturn]] void fail_at(const PartitionEntry& entry, std::string_view rule, const std::string& problem,
                          std::string hint) {
  throw BadInputError(fmt::format("partition_table.{}", rule),
                      fmt::format("line {}: partition '{}' {}", entry.line, entry.name, problem), std::move(hint));
}

// Gives entries without an offset the end of the previous partition (aligned for their type),
// turns negative sizes into "up to that address", and refuses an explicit offset inside the
// previous partition (or the table sector).
PartitionTable place_entries(std::vector<PendingEntry> pending, const PartitionCsvOptions& options) {
  PartitionTable table;
  const std::uint64_t first_free = std::uint64_t{options.table_offset} + kPartitionTableSectorSize;
  std::uint64_t last_end = first_free;
  std::optional<std::size_t> previous;  // index of the last placed partition
  for (auto& item : pending) {
    PartitionEntry& entry = item.entry;
    const bool fixed = entry.is_primary_bootloader() || entry.is_primary_partition_table();
    const std::uint64_t alignment = entry.type == kPartitionTypeApp ? kAppOffsetAlignment : kOtherOffsetAlignment;
    std::uint64_t offset = 0;
    if (item.offset) {
      offset = static_cast<std::uint64_t>(*item.offset);
      if (!fixed && offset < last_end) {
        const std::string move_to = address_text(align_up(last_end, alignment));
        if (!previous) {
          fail_at(entry, "overlaps_table",
                  fmt::format("at {} overlaps the partition table sector ({}..{})", address_text(offset),
                              address_text(options.table_offset), address_text(first_free)),
                  fmt::format("move it to {} or later, or leave the offset empty to place it automatically", move_to));
        }
        fail_at(entry, "overlap",
                fmt::format("at {} overlaps '{}' ({}..{}, line {})", address_text(offset),
                            table.entries[*previous].name, address_text(table.entries[*previous].offset),
                            address_text(last_end), table.entries[*previous].line),
                fmt::format("move it to {} or later, or leave the offset empty to place it automatically", move_to));
      }
    } else {
      offset = align_up(last_end, alignment);
    }
    if (offset > 0xFFFFFFFF) {
      fail_at(entry, "beyond_4gib",
              fmt::format("would start at {}, beyond the 32-bit flash address range", address_text(offset)),
              "make the partitions before it smaller");
    }
    std::int64_t size = item.size;
    if (size < 0) {
      // "-0x400000" means: up to flash address 0x400000.
      size = -size - static_cast<std::int64_t>(offset);
      if (size < 0) {
        fail_at(entry, "negative_size",
                fmt::format("ends at {} (negative size), which is before its start {}",
                            address_text(static_cast<std::uint64_t>(-item.size)), address_text(offset)),
                "a negative size -ADDRESS means 'up to ADDRESS'; give an address after the start, or a plain size");
      }
    }
    entry.offset = static_cast<std::uint32_t>(offset);
    entry.size = static_cast<std::uint32_t>(size);
    table.entries.push_back(std::move(entry));
    if (fixed) continue;  // the bootloader and the table itself do not move the automatic offset
    previous = table.entries.size() - 1;
    last_end = offset + static_cast<std::uint64_t>(size);
  }
  return table;
}

}  // namespace

std::optional<std::string> process_environment(std::string_view name) {
  const std::string key(name);
  const char* value = std::getenv(key.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

PartitionCsvOptions PartitionCsvOptions::for_chip(const chip::ChipDescription& chip) {
  PartitionCsvOptions options;
  options.table_offset = chip.partition_table_offset;
  options.primary_bootloader_offset = chip.bootloader_offset;
  return options;
}

std::optional<std::int64_t> parse_partition_number(std::string_view text) {
  text = trim(text);
  std::int64_t multiplier = 1;
  if (!text.empty()) {
    const char last = text.back();
    if (last == 'k' || last == 'K') multiplier = 1024;
    if (last == 'm' || last == 'M') multiplier = 1024 * 1024;
    if (multiplier != 1) text.remove_suffix(1);
  }
  auto value = parse_python_int(text);
  if (!value) return std::nullopt;
  if (*value > kMaxMagnitude / multiplier || *value < -kMaxMagnitude / multiplier) return std::nullopt;
  return *value * multiplier;
}

PartitionTable parse_partition_csv(std::string_view text, const PartitionCsvOptions& options) {
  if (options.table_offset % kPartitionTableSectorSize != 0 ||
      options.table_offset > 0xFFFFFFFFu - kPartitionTableSectorSize) {
    throw BadInputError(
        "partition_table.bad_table_offset",
        fmt::format("partition table offset {} is not a flash sector boundary", address_text(options.table_offset)),
        "use a multiple of 0x1000 such as 0x8000 (the default)");
  }
  // A UTF-8 byte order mark (spreadsheet exports) would otherwise become part of the first name.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<PendingEntry> pending;
  const auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto line_no = static_cast<std::uint32_t>(i + 1);
    const std::string_view raw = trim(lines[i]);
    if (raw.empty() || raw.front() == '#') continue;
    LineReader reader(line_no, options);
    const std::string expanded = reader.expand_variables(raw);
    const std::string_view line = trim(expanded);
    if (line.empty() || line.front() == '#') continue;
    PendingEntry item;
    item.entry = reader.read_entry(line, item.offset, item.size);
    pending.push_back(std::move(item));
  }
  return place_entries(std::move(pending), options);
}

}  // namespace espfab::image
