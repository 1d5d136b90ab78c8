#include "service/secure_cert_operations.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/crypto.hpp"
#include "util/file_io.hpp"
#include "util/openssl_handle.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::service {
namespace {

using X509Ptr = OpenSslHandle<X509, X509_free>;
using BioPtr = OpenSslHandle<BIO, BIO_free>;

X509Ptr parse_certificate(ByteView pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

X509Ptr load_certificate(const std::filesystem::path& path, const std::string& option) {
  const Bytes pem = read_file(path);
  X509Ptr cert = parse_certificate(pem);
  crypto::last_openssl_error();  // clear the queue either way
  if (!cert) {
    throw BadInputError("secure_cert.bad_certificate",
                        fmt::format("{} {} is not a PEM certificate", option, path.string()),
                        "give the certificate as PEM text (-----BEGIN CERTIFICATE-----)");
  }
  return cert;
}

std::string subject_of(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string key_description(EVP_PKEY* key) {
  const char* name = EVP_PKEY_get0_type_name(key);
  return fmt::format("{} {}", name != nullptr ? name : "key", EVP_PKEY_get_bits(key));
}

SecureCertRecordInfo describe_record(ByteView file, const image::SecureCertTlv& tlv) {
  SecureCertRecordInfo record{.tlv = tlv,
                              .type_name = std::string(image::secure_cert_tlv_type_name(tlv.type)),
                              .flag_names = image::secure_cert_flag_names(tlv.flags)};
  const auto type = static_cast<image::SecureCertTlvType>(tlv.type);
  if (type == image::SecureCertTlvType::CaCert || type == image::SecureCertTlvType::DevCert) {
    if (X509Ptr cert = parse_certificate(image::secure_cert_value(file, tlv))) record.subject = subject_of(cert.get());
    crypto::last_openssl_error();
  }
  if (type == image::SecureCertTlvType::PrivKey && tlv.flags == 0) {
    try {
      const SecretBytes pem(image::secure_cert_value(file, tlv));
      record.key = key_description(crypto::load_private_key_pem(pem).get());
    } catch (const CryptoError&) {
      record.key = "unreadable";
    }
  }
  return record;
}

}  // namespace

SecureCertGenerateResult generate_secure_cert(const SecureCertGenerateRequest& request) {
  const Bytes device_pem = read_file(request.device_cert);
  const Bytes ca_pem = read_file(request.ca_cert);
  const SecretBytes key_pem(read_file(request.private_key));
  const X509Ptr device = load_certificate(request.device_cert, "--device-cert");
  const X509Ptr ca = load_certificate(request.ca_cert, "--ca-cert");
  crypto::EvpPkeyPtr key;
  try {
    key = crypto::load_private_key_pem(key_pem);
  } catch (const CryptoError&) {
    throw BadInputError(
        "secure_cert.bad_private_key",
        fmt::format("--private-key {} is not an unencrypted PEM private key", request.private_key.string()),
        "give the device key as PEM (PKCS#8, PKCS#1 or SEC1), without a passphrase");
  }
  if (X509_check_private_key(device.get(), key.get()) != 1) {
    crypto::last_openssl_error();
    throw BadInputError("secure_cert.key_mismatch",
                        fmt::format("--private-key {} does not belong to --device-cert {}",
                                    request.private_key.string(), request.device_cert.string()),
                        "give the key the device certificate was issued for");
  }
  EVP_PKEY* ca_public = X509_get0_pubkey(ca.get());
  if (ca_public == nullptr || X509_verify(device.get(), ca_public) != 1) {
    crypto::last_openssl_error();
    throw BadInputError("secure_cert.not_issued_by_ca",
                        fmt::format("--device-cert {} is not signed by --ca-cert {}", request.device_cert.string(),
                                    request.ca_cert.string()),
                        "give the CA certificate that issued the device certificate");
  }

  const SecretBytes partition = image::build_secure_cert_partition(
      {.ca_cert = ca_pem, .device_cert = device_pem, .private_key = &key_pem, .integrity = request.integrity});
  // The file holds the plaintext private key: only its owner may read it.
  write_file_atomic(request.output, partition.view(), 0600);
  return {.size = partition.size(),
          .ca_subject = subject_of(ca.get()),
          .device_subject = subject_of(device.get()),
          .key_description = key_description(key.get())};
}

Result<SecureCertInfo> inspect_secure_cert(const std::filesystem::path& input) {
  // The partition may hold a private key: keep the file's bytes in wiped memory.
  const SecretBytes file(read_file(input));
  image::SecureCertPartition parsed;
  try {
    parsed = image::parse_secure_cert_partition(file.view());
  } catch (Error& error) {
    error.with_context("reading esp_secure_cert partition " + input.string());
    return make_unexpected(error);
  }
  SecureCertInfo info{.size = file.size(),
                      .end = parsed.end,
                      .tail_erased = parsed.tail_erased,
                      .nonzero_padding = parsed.nonzero_padding,
                      .nonzero_reserved = parsed.nonzero_reserved,
                      .valid = parsed.valid()};
  info.records.reserve(parsed.tlvs.size());
  for (const auto& tlv : parsed.tlvs) info.records.push_back(describe_record(file.view(), tlv));
  return info;
}

}  // namespace espfab::service
