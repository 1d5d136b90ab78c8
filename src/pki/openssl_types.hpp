// RAII owners for the OpenSSL X.509 objects pki/ works with, and PEM conversions.
#pragma once

#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "util/openssl_handle.hpp"

namespace espfab::pki {

using X509Ptr = OpenSslHandle<X509, X509_free>;
using X509ReqPtr = OpenSslHandle<X509_REQ, X509_REQ_free>;
using X509NamePtr = OpenSslHandle<X509_NAME, X509_NAME_free>;
using X509ExtensionPtr = OpenSslHandle<X509_EXTENSION, X509_EXTENSION_free>;
using X509StorePtr = OpenSslHandle<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = OpenSslHandle<X509_STORE_CTX, X509_STORE_CTX_free>;
using GeneralNamesPtr = OpenSslHandle<GENERAL_NAMES, GENERAL_NAMES_free>;
using BioPtr = OpenSslHandle<BIO, BIO_free>;

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
