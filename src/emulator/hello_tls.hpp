// The TLS client context of the device hello, built in memory: the broker CA in the X509 store,
// the device certificate and private key from its esp_secure_cert partition (never written to a
// file), peer verification with the broker's host name or IP address checked, TLS 1.2 or newer.
// libmosquitto takes it through MOSQ_OPT_SSL_CTX (without its defaults).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string_view>

#include "util/openssl_handle.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::emulator {

using SslCtxPtr = OpenSslHandle<SSL_CTX, SSL_CTX_free>;

struct DeviceTlsMaterial {
  std::string_view ca_pem;           // verifies the broker
  std::string_view broker_host;      // checked against the server certificate (DNS name or IP)
  std::string_view certificate_pem;  // the device certificate
  const SecretBytes* key_pem = nullptr;
  EVP_PKEY* key = nullptr;  // instead of key_pem: a key whose private half stays in the chip (DS)
};

// Throws CryptoError (code emulator.hello_tls) naming what did not load.
SslCtxPtr make_device_tls_context(const DeviceTlsMaterial& material);

}  // namespace espfab::emulator
