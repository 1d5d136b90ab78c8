#include "pki/device_key.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab::pki {

KeyType parse_key_type(std::string_view text) {
  if (text == "p256" || text == "ec" || text == "ecdsa-p256" || text == "P-256") return KeyType::EcP256;
  if (text == "rsa2048") return KeyType::Rsa2048;
  if (text == "rsa3072") return KeyType::Rsa3072;
  throw BadInputError("pki.bad_key_type", fmt::format("key type '{}' is not supported", text),
                      "use p256 (default), rsa2048 or rsa3072");
}

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::EcP256: return "p256";
    case KeyType::Rsa2048: return "rsa2048";
    case KeyType::Rsa3072: return "rsa3072";
  }
  return "unknown";
}

crypto::EvpPkeyPtr generate_key(KeyType type) {
  switch (type) {
    case KeyType::EcP256: return crypto::generate_ec_p256();
    case KeyType::Rsa2048: return crypto::generate_rsa(2048);
    case KeyType::Rsa3072: return crypto::generate_rsa(3072);
  }
  throw InternalError("pki.bad_key_type", "unknown key type");
}

std::string describe_key(EVP_PKEY* key) {
  const int bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_is_a(key, "EC")) return bits == 256 ? "EC P-256" : fmt::format("EC {}", bits);
  if (EVP_PKEY_is_a(key, "RSA")) return fmt::format("RSA {}", bits);
  const char* name = EVP_PKEY_get0_type_name(key);
  return fmt::format("{} {}", name != nullptr ? name : "key", bits);
}

}  // namespace espfab::pki
