// Device key pairs, generated in memory with OpenSSL 3: ECDSA P-256 (the default), RSA-2048 or
// RSA-3072. The EVP_PKEY wipes its private part when freed; export only through SecretBytes.
#pragma once

#include <string>
#include <string_view>

#include "util/crypto.hpp"

namespace espfab::pki {

enum class KeyType { EcP256, Rsa2048, Rsa3072 };

// "p256" (also "ec", "ecdsa-p256"), "rsa2048", "rsa3072"; throws BadInputError otherwise.
KeyType parse_key_type(std::string_view text);
std::string_view key_type_name(KeyType type);

crypto::EvpPkeyPtr generate_key(KeyType type);

// "EC P-256", "RSA 3072", ... for messages.
std::string describe_key(EVP_PKEY* key);

}  // namespace espfab::pki
