#include "registry/certificate_identity.hpp"

#include <openssl/x509.h>

#include <fmt/format.h>

#include "pki/openssl_types.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::registry {

CertificateIdentity certificate_identity(std::string_view certificate_pem) {
  const auto cert = pki::certificate_from_pem(certificate_pem, "device certificate");
  CertificateIdentity out;
  const X509_NAME* subject = X509_get_subject_name(cert.get());
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) {
    throw BadInputError("registry.no_cn", "the device certificate has no subject CN",
                        "the broker identifies a device by its certificate's CN: issue it with a CN");
  }
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length < 0) throw BadInputError("registry.bad_cn", "the device certificate's CN is not valid text");
  out.common_name.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  check_device_id(out.common_name);
  unsigned char* der = nullptr;
  const int der_length = i2d_X509(cert.get(), &der);
  if (der_length <= 0) throw CryptoError("registry.der", "could not encode the device certificate as DER");
  const auto digest = crypto::sha256(ByteView(der, static_cast<std::size_t>(der_length)));
  OPENSSL_free(der);
  out.sha256 = to_hex(digest);
  return out;
}

void check_device_id(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    throw BadInputError("registry.bad_id", fmt::format("device id '{}' must be 1 to 64 characters", id),
                        "use the serial the station allocated (the certificate's CN)");
  }
  for (const char c : id) {
    if (c == '+' || c == '#' || c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      throw BadInputError("registry.bad_id",
                          fmt::format("device id '{}' contains '{}', which cannot be part of an MQTT topic level", id,
                                      c < 0x20 ? '?' : c),
                          "serials and CNs may use letters, digits, '-', '_' and '.'");
    }
  }
}

}  // namespace espfab::registry
