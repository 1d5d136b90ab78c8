#include "label/label_payload.hpp"

#include <fmt/format.h>

#include <array>
#include <vector>

#include "util/error.hpp"

namespace espfab::label {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_serial_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

int digits_value(std::string_view text) {
  int value = 0;
  for (const char c : text) value = value * 10 + (c - '0');
  return value;
}

// Shows untrusted text in a message: quoted, cut after 40 characters, control bytes as '?'.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < 40; ++i) {
    const char c = text[i];
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > 40) out += "...";
  out += "'";
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

[[noreturn]] void bad_payload(std::string_view payload, const std::string& problem) {
  throw BadInputError("label.bad_payload", fmt::format("label payload {} is malformed: {}", quoted(payload), problem),
                      "a label payload looks like EF1;SN:ESP-000123;D:2026-11-23;MAC:7cdfa1000001 (docs/label.md)");
}

}  // namespace

std::string validate_serial(std::string_view serial) {
  const std::string hint =
      fmt::format("give a serial of 1 to {} characters A-Z, a-z, 0-9, '-' or '_'", kMaxSerialLength);
  if (serial.empty()) throw BadInputError("label.bad_serial", "the serial number is empty", hint);
  if (serial.size() > kMaxSerialLength) {
    throw BadInputError("label.bad_serial",
                        fmt::format("serial number {} has {} characters, more than {}", quoted(serial), serial.size(),
                                    kMaxSerialLength),
                        hint);
  }
  for (std::size_t i = 0; i < serial.size(); ++i) {
    if (!is_serial_char(serial[i])) {
      throw BadInputError(
          "label.bad_serial",
          fmt::format("serial number {} has a character not allowed on a label at position {}", quoted(serial), i + 1),
          hint);
    }
  }
  return std::string(serial);
}

std::string normalize_mac(std::string_view mac) {
  std::string hex;
  bool shape_ok = false;
  if (mac.size() == 12) {
    hex = std::string(mac);
    shape_ok = true;
  } else if (mac.size() == 17) {
    shape_ok = true;
    for (std::size_t i = 0; i < mac.size(); ++i) {
      if (i % 3 == 2) {
        shape_ok = shape_ok && mac[i] == ':';
      } else {
        hex += mac[i];
      }
    }
  }
  bool hex_ok = shape_ok;
  for (const char c : hex) hex_ok = hex_ok && is_hex(c);
  if (!hex_ok) {
    throw BadInputError("label.bad_mac", fmt::format("MAC address {} is not 6 bytes in hex", quoted(mac)),
                        "give the MAC as aa:bb:cc:dd:ee:ff or aabbccddeeff (12 hex digits)");
  }
  std::string out;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    if (i != 0 && i % 2 == 0) out += ':';
    out += to_lower(hex[i]);
  }
  return out;
}

std::string validate_date(std::string_view date) {
  const std::string hint = "give the date as YYYY-MM-DD, e.g. 2026-11-23";
  bool shape_ok = date.size() == 10 && date[4] == '-' && date[7] == '-';
  for (std::size_t i = 0; shape_ok && i < date.size(); ++i) {
    if (i != 4 && i != 7) shape_ok = is_digit(date[i]);
  }
  if (!shape_ok) {
    throw BadInputError("label.bad_date", fmt::format("date {} is not in the form YYYY-MM-DD", quoted(date)), hint);
  }
  const int year = digits_value(date.substr(0, 4));
  const std::chrono::year_month_day day{std::chrono::year(year),
                                        std::chrono::month(static_cast<unsigned>(digits_value(date.substr(5, 2)))),
                                        std::chrono::day(static_cast<unsigned>(digits_value(date.substr(8, 2))))};
  if (!day.ok()) {
    throw BadInputError("label.bad_date", fmt::format("date {} is not a day of the calendar", quoted(date)), hint);
  }
  if (year < 2000) {
    throw BadInputError("label.bad_date", fmt::format("date {} is before the year 2000", quoted(date)),
                        "check the station's clock, or " + hint);
  }
  return std::string(date);
}

LabelFields validate_label_fields(const LabelFields& fields) {
  return LabelFields{validate_serial(fields.serial), normalize_mac(fields.mac), validate_date(fields.provisioned_date)};
}

std::string format_label_date(std::chrono::sys_days day) {
  const std::chrono::year_month_day ymd{day};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::string encode_label_payload(const LabelFields& fields) {
  const LabelFields valid = validate_label_fields(fields);
  std::string mac_hex;
  for (const char c : valid.mac) {
    if (c != ':') mac_hex += c;
  }
  return fmt::format("{};SN:{};D:{};MAC:{}", kPayloadVersion, valid.serial, valid.provisioned_date, mac_hex);
}

LabelFields parse_label_payload(std::string_view payload) {
  const std::vector<std::string_view> parts = split(payload, ';');
  const std::string_view version = parts.front();
  if (version != kPayloadVersion) {
    bool versioned = version.size() > 2 && version.substr(0, 2) == "EF";
    for (std::size_t i = 2; versioned && i < version.size(); ++i) versioned = is_digit(version[i]);
    if (versioned) {
      throw BadInputError(
          "label.unknown_payload_version",
          fmt::format("label payload version {} is not known (this espfab reads {})", quoted(version), kPayloadVersion),
          "read this label with the espfab version that printed it, or reprint it");
    }
    bad_payload(payload, fmt::format("it does not start with {};", kPayloadVersion));
  }
  constexpr std::array<std::string_view, 3> kKeys = {"SN:", "D:", "MAC:"};
  if (parts.size() != 4) bad_payload(payload, fmt::format("{} fields instead of 4", parts.size()));
  std::array<std::string_view, 3> values;
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string_view part = parts[i + 1];
    if (part.substr(0, kKeys[i].size()) != kKeys[i]) {
      bad_payload(payload, fmt::format("field {} does not start with {}", i + 2, kKeys[i]));
    }
    values[i] = part.substr(kKeys[i].size());
  }
  if (values[2].size() != 12) bad_payload(payload, "MAC is not 12 hex digits");
  for (const char c : values[2]) {
    if (!(is_digit(c) || (c >= 'a' && c <= 'f'))) bad_payload(payload, "MAC is not 12 lower-case hex digits");
  }
  try {
    return validate_label_fields(LabelFields{std::string(values[0]), std::string(values[2]), std::string(values[1])});
  } catch (Error& error) {
    error.with_context("reading label payload " + quoted(payload));
    throw;
  }
}

}  // namespace espfab::label
