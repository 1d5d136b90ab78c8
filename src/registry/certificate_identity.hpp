// What the broker sees of a device certificate: its subject CN (the username under
// use_identity_as_username) and its SHA-256 fingerprint (what a registration is pinned to).
#pragma once

#include <string>
#include <string_view>

namespace espfab::registry {

struct CertificateIdentity {
  std::string common_name;
  std::string sha256;  // lower-case hex of the DER
};

// Throws BadInputError for text that is not one PEM certificate or has no usable CN.
CertificateIdentity certificate_identity(std::string_view certificate_pem);

// A device id the broker can hold: 1..64 characters, none of MQTT's '+', '#', '/', no control
// characters (the id becomes a topic level). Throws BadInputError naming the problem.
void check_device_id(std::string_view id);

}  // namespace espfab::registry
