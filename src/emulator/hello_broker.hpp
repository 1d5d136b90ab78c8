// Where the emulated production firmware sends its device hello (docs/emulator.md, "Device
// hello"): what a real firmware carries in its configuration, the broker URL (mqtts://HOST:PORT)
// and the CA that signed the broker's server certificate. The CA file is read once, at start.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace espfab::emulator {

struct HelloBroker {
  std::string url;  // as given, for messages
  std::string host;
  std::uint16_t port = 8883;
  std::string ca_pem;                       // the CA certificate(s) that verify the broker
  std::chrono::milliseconds timeout{5000};  // connect + TLS + CONNACK + PUBACK
};

// "mqtts://HOST[:PORT]" (TLS only: a device never talks to its broker in plaintext; default port
// 8883; IPv6 as [::1]:8883) and a PEM file with at least one certificate. Throws BadInputError
// naming the problem, IoError when the file cannot be read.
HelloBroker load_hello_broker(std::string_view url, const std::filesystem::path& ca_file);

// Number of PEM certificates in `pem` (0 when none parse).
std::size_t count_pem_certificates(std::string_view pem);

}  // namespace espfab::emulator
