// Self-signed certificates with any subject, made with OpenSSL, for the identity core's tests.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace espfab::test {

struct TestCertificate {
  std::string pem;
  std::vector<std::uint8_t> der;
};

// `subject`: (field, value) in order, e.g. {{"O", "ACME"}, {"CN", "ESP-000001"}}; `same_rdn` puts
// every entry after the first into the first RDN (a multi-valued RDN).
inline TestCertificate make_test_certificate(const std::vector<std::pair<std::string, std::string>>& subject,
                                             bool same_rdn = false) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  for (std::size_t i = 0; i < subject.size(); ++i) {
    const auto& [field, value] = subject[i];
    X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                               same_rdn && i > 0 ? -1 : 0);
  }
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key);
  X509_sign(cert, key, EVP_sha256());
  TestCertificate out;
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  out.der.assign(der, der + len);
  OPENSSL_free(der);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long pem_len = BIO_get_mem_data(bio, &data);
  out.pem.assign(data, static_cast<std::size_t>(pem_len));
  BIO_free(bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace espfab::test
