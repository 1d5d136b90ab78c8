#include "station/ds_identity.hpp"

#include <openssl/evp.h>

#include "image/secure_cert_tlv.hpp"
#include "security/ds_params.hpp"
#include "util/crypto.hpp"

namespace espfab::station {
namespace {

ByteView text_bytes(std::string_view text) { return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}; }

}  // namespace

SealedDsIdentity seal_ds_identity(std::string_view device_cert_pem, std::string_view ca_cert_pem, EVP_PKEY* rsa_key,
                                  unsigned key_block) {
  SealedDsIdentity sealed;
  sealed.hmac_key = crypto::random_secret(chip::esp32s3_ds::kHmacKeySize);
  const security::DsParams params =
      security::encrypt_ds_params(rsa_key, sealed.hmac_key.view(), security::random_ds_iv());
  sealed.rsa_bits = params.rsa_bits;
  Bytes partition = image::build_secure_cert_partition_ds({.ca_cert = text_bytes(ca_cert_pem),
                                                           .device_cert = text_bytes(device_cert_pem),
                                                           .rsa_bits = params.rsa_bits,
                                                           .iv = params.iv,
                                                           .ciphertext = params.ciphertext,
                                                           .efuse_key_id = static_cast<std::uint8_t>(key_block),
                                                           .integrity = true});
  sealed.secure_cert_partition = SecretBytes(std::move(partition));
  return sealed;
}

}  // namespace espfab::station
