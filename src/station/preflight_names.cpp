// Preflight: the names a device gets (serial, certificate subject) against every format they flow
// into. A serial becomes a file name (records, labels), an MQTT topic level and a Dynamic Security
// client name, an X.509 attribute and a field of the QR payload ("EF1;SN:...;D:...;MAC:..."), so its
// prefix may hold letters, digits, '-' and '_' only. The certificate's CN becomes the broker
// username and a topic level (devices/<CN>/hello): MQTT's rules apply, and with a broker registrar
// it must be the serial itself.
#include <fmt/format.h>

#include <algorithm>

#include "pki/csr.hpp"
#include "station/preflight_checks.hpp"
#include "util/error.hpp"

namespace espfab::station::preflight {
namespace {

constexpr std::size_t kX509NameMax = 64;  // ub-common-name and the other attributes espfab sets

bool serial_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string shown(char c) {
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return fmt::format("control character 0x{:02x}", c);
  if (c == ' ') return "a space";
  return fmt::format("'{}'", c);
}

// Why `text` cannot be an MQTT topic level, a broker username and part of a file name; "" if it can.
std::string name_problem(const std::string& text) {
  if (text.empty()) return "is empty";
  if (text.size() > kX509NameMax) return fmt::format("has {} characters (X.509 allows {})", text.size(), kX509NameMax);
  for (const char c : text) {
    if (c == '+' || c == '#') return fmt::format("contains {} (an MQTT wildcard)", shown(c));
    if (c == '/') return "contains '/' (an MQTT topic separator and a path separator)";
    if (c == '\\') return "contains '\\' (a path separator)";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return fmt::format("contains {}", shown(c));
    if (static_cast<unsigned char>(c) >= 0x80) return "contains a non-ASCII byte";
  }
  if (text.find("..") != std::string::npos || text.front() == '.') return "starts with '.' or contains '..'";
  return "";
}

void check_serial(const StationProfile& profile, Findings& findings) {
  findings.ran("names.serial");
  const auto& prefix = profile.serial.prefix;
  for (const char c : prefix) {
    if (!serial_character(c)) {
      findings.error("names.serial", "serial.prefix",
                     fmt::format("the serial prefix '{}' contains {}", prefix, shown(c)),
                     "use letters, digits, '-' and '_' only: the serial becomes a file name, an MQTT topic level, "
                     "a certificate attribute and a field of the label's QR payload");
      return;
    }
  }
  if (prefix.size() + profile.serial.width > kX509NameMax) {
    findings.error("names.serial", "serial.width",
                   fmt::format("serials are {} characters long; X.509 names allow {}",
                               prefix.size() + profile.serial.width, kX509NameMax),
                   "shorten the prefix or the width");
  }
}

// Expands a subject template for a sample device; reports unknown placeholders at the key.
std::optional<std::string> expand(const std::string& text, const char* key, const pki::DeviceNames& device,
                                  Findings& findings) {
  try {
    return pki::expand_template(text, device);
  } catch (const BadInputError& error) {
    findings.error("names.placeholders", key, error.message(), error.hint());
    return std::nullopt;
  }
}

void check_subject(const StationProfile& profile, Findings& findings) {
  findings.ran("names.placeholders");
  findings.ran("names.common_name");
  const auto& subject = profile.identity.subject;
  const pki::DeviceNames device{format_serial(profile.serial, profile.serial.first), "7c:df:a1:00:00:01"};
  const auto cn = expand(subject.common_name, "identity.common_name", device, findings);
  if (cn) {
    if (const auto problem = name_problem(*cn); !problem.empty()) {
      findings.error("names.common_name", "identity.common_name",
                     fmt::format("the certificate CN '{}' (from '{}') {}", *cn, subject.common_name, problem),
                     "the CN is the broker username and an MQTT topic level (devices/<CN>/hello); use "
                     "\"{serial}\" or letters, digits, '-', '_' and '.' around it");
    } else if (profile.registration.broker && *cn != device.serial) {
      findings.error("names.common_name", "identity.common_name",
                     fmt::format("the certificate CN '{}' is not the serial '{}'; the broker registrar registers "
                                 "devices by serial and refuses a certificate whose CN differs",
                                 *cn, device.serial),
                     "set common_name = \"{serial}\"");
    }
  }
  const std::pair<const std::string*, const char*> attributes[] = {
      {&subject.organization, "identity.organization"},
      {&subject.organizational_unit, "identity.organizational_unit"},
      {&subject.serial_number, "identity.serial_number"},
  };
  for (const auto& [text, key] : attributes) {
    const auto value = expand(*text, key, device, findings);
    if (value && value->size() > kX509NameMax) {
      findings.error("names.placeholders", key,
                     fmt::format("'{}' expands to {} characters; X.509 allows {}", *value, value->size(), kX509NameMax),
                     "shorten it");
    }
  }
  for (const auto& name : subject.dns_names) expand(name, "identity.dns_names", device, findings);
}

void check_topic_prefix(const StationProfile& profile, Findings& findings) {
  if (!profile.registration.broker) return;
  findings.ran("names.topic_prefix");
  const auto& prefix = profile.registration.broker->topic_prefix;
  const bool bad = prefix.empty() || prefix.front() == '/' || prefix.back() == '/' ||
                   prefix.find_first_of("+#") != std::string::npos || prefix.find('\0') != std::string::npos;
  if (bad) {
    findings.error("names.topic_prefix", "registration.topic_prefix",
                   fmt::format("the topic prefix '{}' is not a valid MQTT topic filter base", prefix),
                   "use topic levels without '+', '#' or a leading/trailing '/', e.g. \"devices\"");
  }
}

}  // namespace

void check_names(const StationProfile& profile, Findings& findings) {
  check_serial(profile, findings);
  check_subject(profile, findings);
  check_topic_prefix(profile, findings);
}

}  // namespace espfab::station::preflight
