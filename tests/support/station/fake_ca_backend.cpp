#include "support/station/fake_ca_backend.hpp"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include "pki/certificate_builder.hpp"
#include "pki/openssl_types.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"

namespace espfab::test {
namespace {

std::string der_sha256(X509* cert) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert, &der);
  if (length <= 0) throw CryptoError("test.fake_ca_der", "cannot encode a certificate as DER");
  const auto digest = crypto::sha256(ByteView(der, static_cast<std::size_t>(length)));
  OPENSSL_free(der);
  return to_hex(ByteView(digest.data(), digest.size()));
}

}  // namespace

FakeCaBackend::FakeCaBackend() : key_(crypto::generate_ec_p256()) {
  pki::CaCertificateSpec spec;
  spec.common_name = "espfab Fake CA";
  const auto certificate = pki::build_ca_certificate(key_.get(), spec);
  certificate_pem_ = pki::certificate_to_pem(certificate.get());
}

pki::IssuedCertificate FakeCaBackend::sign(X509_REQ* csr, const pki::IssueProfile& profile) {
  ++sign_calls_;
  if (before_sign) before_sign();
  auto issued = sign_unrecorded(csr, profile);
  signed_subjects_.push_back(issued.subject);
  return issued;
}

pki::IssuedCertificate FakeCaBackend::sign_unrecorded(X509_REQ* csr, const pki::IssueProfile& profile) {
  pki::verify_csr_signature(csr);
  const auto issuer = pki::certificate_from_pem(certificate_pem_, "fake CA certificate");
  auto cert = pki::build_device_certificate(csr, issuer.get(), profile);
  const std::uint64_t number = next_serial_++;
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), number);
  if (X509_sign(cert.get(), key_.get(), EVP_sha256()) <= 0) {
    throw CryptoError("test.fake_ca_sign", "the fake CA could not sign");
  }
  pki::IssuedCertificate issued;
  issued.certificate_pem = pki::certificate_to_pem(cert.get());
  issued.chain_pem = {certificate_pem_};
  issued.serial_hex = pki::serial_hex(cert.get());
  issued.subject = pki::name_to_string(X509_get_subject_name(cert.get()));
  index_.push_back({issued.serial_hex, "", issued.subject, der_sha256(cert.get())});
  return issued;
}

std::optional<std::vector<pki::IndexEntry>> FakeCaBackend::issued_index() const {
  if (!keeps_index) return std::nullopt;
  return index_;
}

}  // namespace espfab::test
