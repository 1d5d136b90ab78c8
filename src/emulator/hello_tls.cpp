#include "emulator/hello_tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::emulator {
namespace {

using X509Ptr = OpenSslHandle<X509, X509_free>;
using BioPtr = OpenSslHandle<BIO, BIO_free>;

[[noreturn]] void fail(const std::string& what) {
  throw CryptoError("emulator.hello_tls", what + ": " + crypto::last_openssl_error(),
                    "check the --broker-ca file and the device's esp_secure_cert partition");
}

BioPtr memory_bio(std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) fail("cannot create a memory BIO");
  return bio;
}

bool is_ip_address(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

SslCtxPtr make_device_tls_context(const DeviceTlsMaterial& material) {
  if (material.key == nullptr && (material.key_pem == nullptr || material.key_pem->empty())) {
    throw CryptoError("emulator.hello_tls", "no private key", "the esp_secure_cert partition needs a priv_key record");
  }
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) fail("SSL_CTX_new");
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) fail("TLS 1.2 minimum");

  // The broker CA, from memory into the context's store.
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
  const auto ca_bio = memory_bio(material.ca_pem);
  unsigned cas = 0;
  while (X509Ptr ca{PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr)}) {
    if (X509_STORE_add_cert(store, ca.get()) != 1) fail("broker CA into the X509 store");
    ++cas;
  }
  ERR_clear_error();
  if (cas == 0) fail("no certificate in the broker CA");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);

  // The broker's name as the device knows it must be in its certificate.
  const std::string host(material.broker_host);
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx.get());
  if (is_ip_address(host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) fail("broker IP address check");
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) != 1) fail("broker host name check");
  }

  // The device's certificate and key, from memory.
  const auto cert_bio = memory_bio(material.certificate_pem);
  const X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!cert) fail("device certificate");
  if (SSL_CTX_use_certificate(ctx.get(), cert.get()) != 1) fail("device certificate into the TLS context");
  crypto::EvpPkeyPtr loaded;
  if (material.key == nullptr) {
    try {
      loaded = crypto::load_private_key_pem(*material.key_pem);
    } catch (const Error& error) {
      throw CryptoError("emulator.hello_tls", "device private key: " + error.message(),
                        "the esp_secure_cert partition's priv_key record must be a plaintext PEM key");
    }
  }
  if (SSL_CTX_use_PrivateKey(ctx.get(), material.key != nullptr ? material.key : loaded.get()) != 1)
    fail("device private key into the TLS context");
  if (SSL_CTX_check_private_key(ctx.get()) != 1) fail("device key does not match its certificate");
  return ctx;
}

}  // namespace espfab::emulator
