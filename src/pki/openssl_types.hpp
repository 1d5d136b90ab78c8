// RAII owners for the OpenSSL X.509 objects pki/ works with, and PEM conversions.
#pragma once

#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

namespace espfab::pki {

struct X509Deleter {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct X509ReqDeleter {
  void operator()(X509_REQ* p) const noexcept { X509_REQ_free(p); }
};
struct X509NameDeleter {
  void operator()(X509_NAME* p) const noexcept { X509_NAME_free(p); }
};
struct X509ExtensionDeleter {
  void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
};
struct X509StoreDeleter {
  void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
};
struct X509StoreCtxDeleter {
  void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
};
struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* p) const noexcept { GENERAL_NAMES_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};

using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using X509ReqPtr = std::unique_ptr<X509_REQ, X509ReqDeleter>;
using X509NamePtr = std::unique_ptr<X509_NAME, X509NameDeleter>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, X509ExtensionDeleter>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreDeleter>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, X509StoreCtxDeleter>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

// PEM text <-> objects. The parsers throw BadInputError naming `what` on anything else.
X509Ptr certificate_from_pem(std::string_view pem, std::string_view what = "certificate");
std::string certificate_to_pem(X509* cert);
X509ReqPtr csr_from_pem(std::string_view pem, std::string_view what = "certificate request");
std::string csr_to_pem(X509_REQ* csr);

// "CN=...,O=..." (RFC 2253 order).
std::string name_to_string(const X509_NAME* name);
// Serial number as lower-case hex without leading zeros ("1001").
std::string serial_hex(const X509* cert);

}  // namespace espfab::pki
