#include "emulator/hello_broker.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <charconv>
#include <memory>

#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::emulator {
namespace {

[[noreturn]] void bad_url(std::string_view url, std::string_view problem) {
  throw BadInputError("emulator.bad_broker_url", fmt::format("--broker '{}' {}", url, problem),
                      "write it as mqtts://HOST:PORT, e.g. mqtts://127.0.0.1:8883");
}

}  // namespace

std::size_t count_pem_certificates(std::string_view pem) {
  OpenSslHandle<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return 0;
  std::size_t count = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++count;
  }
  ERR_clear_error();  // the end of the data reads as "no start line"
  return count;
}

HelloBroker load_hello_broker(std::string_view url, const std::filesystem::path& ca_file) {
  HelloBroker broker;
  broker.url = std::string(url);
  std::string_view rest = url;
  if (!rest.starts_with("mqtts://")) {
    if (rest.starts_with("mqtt://")) bad_url(url, "is plaintext MQTT; the device hello needs TLS (mqtts://)");
    bad_url(url, "is not an mqtts:// URL");
  }
  rest.remove_prefix(8);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string_view port_text;
  if (rest.starts_with('[')) {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos) bad_url(url, "has an unclosed '['");
    broker.host = std::string(rest.substr(1, close - 1));
    const auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad_url(url, "has text after the host");
      port_text = after.substr(1);
      if (port_text.empty()) bad_url(url, "has an empty port");
    }
  } else {
    const auto colon = rest.rfind(':');
    broker.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) bad_url(url, "has an empty port");
    }
  }
  if (broker.host.empty()) bad_url(url, "has no host");
  if (broker.host.find_first_of("/?#@ ") != std::string::npos) bad_url(url, "has a path or user part");
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
      bad_url(url, "has a bad port (1..65535)");
    }
    broker.port = static_cast<std::uint16_t>(port);
  }
  if (ca_file.empty()) {
    throw BadInputError("emulator.no_broker_ca", "--broker needs --broker-ca",
                        "pass the CA certificate that signed the broker's server certificate (PEM)");
  }
  const Bytes ca = read_file(ca_file);
  broker.ca_pem.assign(ca.begin(), ca.end());
  if (count_pem_certificates(broker.ca_pem) == 0) {
    throw BadInputError("emulator.bad_broker_ca",
                        fmt::format("--broker-ca {} holds no PEM certificate", ca_file.string()),
                        "pass the CA certificate that signed the broker's server certificate (PEM)");
  }
  return broker;
}

}  // namespace espfab::emulator
