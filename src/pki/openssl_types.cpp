#include "pki/openssl_types.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include <fmt/format.h>

#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::pki {

namespace {

BioPtr memory_bio(std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) throw CryptoError("pki.bio", "cannot create a memory BIO: " + crypto::last_openssl_error());
  return bio;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

BioPtr output_bio() {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) throw CryptoError("pki.bio", "cannot create a memory BIO: " + crypto::last_openssl_error());
  return bio;
}

}  // namespace

X509Ptr certificate_from_pem(std::string_view pem, std::string_view what) {
  auto bio = memory_bio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    throw BadInputError("pki.bad_certificate",
                        fmt::format("the {} is not a PEM certificate: {}", what, crypto::last_openssl_error()),
                        "give the certificate as PEM text (-----BEGIN CERTIFICATE-----)");
  }
  return cert;
}

std::string certificate_to_pem(X509* cert) {
  auto bio = output_bio();
  if (PEM_write_bio_X509(bio.get(), cert) != 1) {
    throw CryptoError("pki.pem", "cannot write a certificate as PEM: " + crypto::last_openssl_error());
  }
  return bio_text(bio.get());
}

X509ReqPtr csr_from_pem(std::string_view pem, std::string_view what) {
  auto bio = memory_bio(pem);
  X509ReqPtr csr(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!csr) {
    throw BadInputError("pki.bad_csr", fmt::format("the {} is not a PEM CSR: {}", what, crypto::last_openssl_error()),
                        "give the request as PEM text (-----BEGIN CERTIFICATE REQUEST-----)");
  }
  return csr;
}

std::string csr_to_pem(X509_REQ* csr) {
  auto bio = output_bio();
  if (PEM_write_bio_X509_REQ(bio.get(), csr) != 1) {
    throw CryptoError("pki.pem", "cannot write a CSR as PEM: " + crypto::last_openssl_error());
  }
  return bio_text(bio.get());
}

std::string name_to_string(const X509_NAME* name) {
  auto bio = output_bio();
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  return bio_text(bio.get());
}

std::string serial_hex(const X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return {};
  char* text = BN_bn2hex(bn);
  BN_free(bn);
  std::string out = text != nullptr ? text : "";
  OPENSSL_free(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto first = out.find_first_not_of('0');
  return first == std::string::npos ? "0" : out.substr(first);
}

}  // namespace espfab::pki
