#include "pki/csr.hpp"

#include <openssl/x509v3.h>

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab::pki {

namespace {

[[noreturn]] void openssl_fail(const std::string& what) {
  throw CryptoError("pki.csr", what + ": " + crypto::last_openssl_error(), "the OpenSSL installation may be broken");
}

void add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
  if (value.empty()) return;
  if (value.size() > 64) {
    throw BadInputError("pki.subject_too_long",
                        fmt::format("subject {} '{}' is {} characters; X.509 allows 64", field, value, value.size()),
                        "shorten the subject template");
  }
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    openssl_fail(fmt::format("cannot add {} to the subject", field));
  }
}

}  // namespace

std::string expand_template(const std::string& text, const DeviceNames& device) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '{') {
      out += text[i++];
      continue;
    }
    const std::size_t end = text.find('}', i);
    const std::string name = end == std::string::npos ? text.substr(i) : text.substr(i + 1, end - i - 1);
    if (end == std::string::npos || (name != "serial" && name != "mac")) {
      throw BadInputError("pki.bad_placeholder", fmt::format("subject template '{}' uses '{{{}}}'", text, name),
                          "the placeholders are {serial} and {mac}");
    }
    out += name == "serial" ? device.serial : device.mac;
    i = end + 1;
  }
  return out;
}

X509ReqPtr make_csr(EVP_PKEY* key, const SubjectTemplate& subject, const DeviceNames& device) {
  X509ReqPtr csr(X509_REQ_new());
  if (!csr) openssl_fail("cannot allocate a CSR");
  if (X509_REQ_set_version(csr.get(), 0) != 1) openssl_fail("cannot set the CSR version");
  X509NamePtr name(X509_NAME_new());
  if (!name) openssl_fail("cannot allocate a name");
  const std::string cn = expand_template(subject.common_name, device);
  if (cn.empty()) {
    throw BadInputError("pki.empty_common_name", "the subject's common name is empty",
                        "the template's common_name must give a value (default: {serial})");
  }
  add_name_entry(name.get(), "O", expand_template(subject.organization, device));
  add_name_entry(name.get(), "OU", expand_template(subject.organizational_unit, device));
  add_name_entry(name.get(), "CN", cn);
  add_name_entry(name.get(), "serialNumber", expand_template(subject.serial_number, device));
  if (X509_REQ_set_subject_name(csr.get(), name.get()) != 1) openssl_fail("cannot set the CSR subject");
  if (X509_REQ_set_pubkey(csr.get(), key) != 1) openssl_fail("cannot set the CSR key");

  if (!subject.dns_names.empty() || !subject.uris.empty()) {
    GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
    auto add = [&](int type, const std::string& text) {
      const std::string value = expand_template(text, device);
      ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
      GENERAL_NAME* general = GENERAL_NAME_new();
      if (ia5 == nullptr || general == nullptr ||
          ASN1_STRING_set(ia5, value.data(), static_cast<int>(value.size())) != 1) {
        ASN1_IA5STRING_free(ia5);
        GENERAL_NAME_free(general);
        openssl_fail("cannot build a subjectAltName");
      }
      GENERAL_NAME_set0_value(general, type, ia5);
      sk_GENERAL_NAME_push(names.get(), general);
    };
    for (const auto& dns : subject.dns_names) add(GEN_DNS, dns);
    for (const auto& uri : subject.uris) add(GEN_URI, uri);
    STACK_OF(X509_EXTENSION)* extensions = sk_X509_EXTENSION_new_null();
    X509_EXTENSION* san = X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get());
    if (extensions == nullptr || san == nullptr) {
      X509_EXTENSION_free(san);
      sk_X509_EXTENSION_free(extensions);
      openssl_fail("cannot encode the subjectAltName");
    }
    sk_X509_EXTENSION_push(extensions, san);
    const int added = X509_REQ_add_extensions(csr.get(), extensions);
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
    if (added != 1) openssl_fail("cannot add extensions to the CSR");
  }
  if (X509_REQ_sign(csr.get(), key, EVP_sha256()) <= 0) openssl_fail("cannot sign the CSR");
  return csr;
}

}  // namespace espfab::pki
