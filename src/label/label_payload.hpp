// What a device label says: the fields, their validation, and the versioned QR payload
// "EF1;SN:<serial>;D:<YYYY-MM-DD>;MAC:<12 lower-case hex digits>" (docs/label.md).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace espfab::label {

struct LabelFields {
  std::string serial;            // 1..32 of [A-Za-z0-9-_]
  std::string mac;               // "aa:bb:cc:dd:ee:ff" or "aabbccddeeff", any case
  std::string provisioned_date;  // "YYYY-MM-DD", a real calendar date, year 2000..9999
};

inline constexpr std::string_view kPayloadVersion = "EF1";
inline constexpr std::size_t kMaxSerialLength = 32;

// Each throws BadInputError (label.bad_serial / label.bad_mac / label.bad_date) naming the problem
// and the fix; they return the canonical form.
std::string validate_serial(std::string_view serial);
std::string normalize_mac(std::string_view mac);  // -> "aa:bb:cc:dd:ee:ff"
std::string validate_date(std::string_view date);

// All three fields checked; the MAC in its canonical colon form.
LabelFields validate_label_fields(const LabelFields& fields);

// "YYYY-MM-DD" of a day (the CLI passes today in UTC).
std::string format_label_date(std::chrono::sys_days day);

// Validates, then "EF1;SN:ESP-000123;D:2026-11-23;MAC:7cdfa1000001".
std::string encode_label_payload(const LabelFields& fields);

// The inverse: exactly the three fields of EF1 in that order, each valid. Throws BadInputError
// label.unknown_payload_version for "EF<n>" with n != 1, label.bad_payload for anything else
// malformed. The MAC comes back as "aa:bb:cc:dd:ee:ff".
LabelFields parse_label_payload(std::string_view payload);

}  // namespace espfab::label
