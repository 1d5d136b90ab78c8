#include "emulator/device_ds_key.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "emulator/ds_rsa_key.hpp"
#include "util/error.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::emulator {

std::unique_ptr<DeviceDsKey> DeviceDsKey::make(const EfuseController& efuse,
                                               const image::SecureCertDsIdentity& identity) {
  OpenSslHandle<BIO, BIO_free> bio(
      BIO_new_mem_buf(identity.device_cert.data(), static_cast<int>(identity.device_cert.size())));
  OpenSslHandle<X509, X509_free> certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!certificate) {
    throw CryptoError("emulator.ds_key", "the DS identity's device certificate does not parse",
                      "the esp_secure_cert partition needs a PEM device certificate");
  }
  std::unique_ptr<DeviceDsKey> key(new DeviceDsKey(efuse));
  const DsData data{.rsa_length = chip::esp32s3_ds::rsa_length_field(identity.rsa_bits),
                    .iv = identity.iv,
                    .ciphertext = identity.ciphertext};
  key->key_ = make_ds_rsa_key(X509_get0_pubkey(certificate.get()), key->ds_, data, identity.efuse_key_id);
  return key;
}

}  // namespace espfab::emulator
