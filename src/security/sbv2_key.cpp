#include "security/sbv2_key.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <algorithm>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::security {

namespace {

using BnPtr = OpenSslHandle<BIGNUM, BN_free>;
using BnCtxPtr = OpenSslHandle<BN_CTX, BN_CTX_free>;
using PkeyCtxPtr = OpenSslHandle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;

[[noreturn]] void crypto_failure(const char* code, const std::string& what) {
  throw CryptoError(code, what + ": " + crypto::last_openssl_error());
}

void check(int ok, const char* code, const char* what) {
  if (ok <= 0) crypto_failure(code, what);
}

std::array<std::uint8_t, kSbv2RsaBytes> to_le(const BIGNUM* value) {
  std::array<std::uint8_t, kSbv2RsaBytes> out{};
  check(BN_bn2lebinpad(value, out.data(), static_cast<int>(out.size())), "security.sbv2_bignum",
        "number does not fit 384 bytes");
  return out;
}

BnPtr from_le(ByteView bytes) {
  BnPtr value(BN_lebin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!value) crypto_failure("security.sbv2_bignum", "cannot read a number");
  return value;
}

void set_pss(EVP_PKEY_CTX* ctx) {
  check(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING), "security.sbv2_pss", "cannot select RSA-PSS");
  check(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), "security.sbv2_pss", "cannot select SHA-256");
  check(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()), "security.sbv2_pss", "cannot select MGF1-SHA-256");
  check(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32), "security.sbv2_pss", "cannot set the salt length");
}

}  // namespace

Bytes Sbv2RsaPublicKey::key_part() const {
  Bytes out;
  out.reserve(kSbv2KeyPartSize);
  out.insert(out.end(), n.begin(), n.end());
  append_le32(out, e);
  out.insert(out.end(), r_inv.begin(), r_inv.end());
  append_le32(out, m_prime);
  return out;
}

KeyDigest Sbv2RsaPublicKey::digest() const { return crypto::sha256(key_part()); }

Sbv2RsaPublicKey Sbv2RsaPublicKey::from_key_part(ByteView key_part) {
  if (key_part.size() != kSbv2KeyPartSize) {
    throw BadInputError("security.sbv2_key_part",
                        fmt::format("an RSA key part has {} bytes, not {}", kSbv2KeyPartSize, key_part.size()));
  }
  Sbv2RsaPublicKey key;
  std::copy_n(key_part.begin(), kSbv2RsaBytes, key.n.begin());
  key.e = load_le32(key_part, kSbv2RsaBytes);
  std::copy_n(key_part.begin() + kSbv2RsaBytes + 4, kSbv2RsaBytes, key.r_inv.begin());
  key.m_prime = load_le32(key_part, 2 * kSbv2RsaBytes + 4);
  return key;
}

crypto::EvpPkeyPtr Sbv2RsaPublicKey::to_evp() const {
  BnPtr modulus = from_le(n);
  BnPtr exponent(BN_new());
  if (!exponent || BN_set_word(exponent.get(), e) != 1) crypto_failure("security.sbv2_bignum", "cannot set e");
  OpenSslHandle<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> bld(OSSL_PARAM_BLD_new());
  if (!bld) crypto_failure("security.sbv2_key", "cannot build key parameters");
  check(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()), "security.sbv2_key", "n");
  check(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()), "security.sbv2_key", "e");
  OpenSslHandle<OSSL_PARAM, OSSL_PARAM_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) crypto_failure("security.sbv2_key", "cannot build key parameters");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!ctx) crypto_failure("security.sbv2_key", "cannot create an RSA context");
  check(EVP_PKEY_fromdata_init(ctx.get()), "security.sbv2_key", "cannot create an RSA key");
  EVP_PKEY* raw = nullptr;
  check(EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()), "security.sbv2_key",
        "cannot create an RSA key");
  return crypto::EvpPkeyPtr(raw);
}

Sbv2RsaPublicKey sbv2_public_key(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA || EVP_PKEY_get_bits(key) != static_cast<int>(kSbv2RsaBits)) {
    throw BadInputError("security.sbv2_key_type",
                        fmt::format("Secure Boot V2 on ESP32-S3 needs an RSA-3072 key, this is {} with {} bits",
                                    EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "an unknown key",
                                    EVP_PKEY_get_bits(key)),
                        "generate one with `openssl genrsa 3072` or espsecure generate_signing_key --version 2 "
                        "--scheme rsa3072");
  }
  BIGNUM* raw_n = nullptr;
  BIGNUM* raw_e = nullptr;
  check(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &raw_n), "security.sbv2_key", "cannot read n");
  BnPtr n(raw_n);
  check(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &raw_e), "security.sbv2_key", "cannot read e");
  BnPtr e(raw_e);

  BnCtxPtr ctx(BN_CTX_new());
  BnPtr r(BN_new());
  BnPtr r_inv(BN_new());
  if (!ctx || !r || !r_inv) crypto_failure("security.sbv2_bignum", "out of memory");
  // r_inv = (2^3072)^2 mod n = 2^6144 mod n
  check(BN_set_bit(r.get(), 2 * static_cast<int>(kSbv2RsaBits)), "security.sbv2_bignum", "2^6144");
  check(BN_mod(r_inv.get(), r.get(), n.get(), ctx.get()), "security.sbv2_bignum", "r_inv");

  // m_prime = -n^-1 mod 2^32, from the low word of n by Newton iteration (n is odd).
  std::array<std::uint8_t, kSbv2RsaBytes> n_le = to_le(n.get());
  const std::uint32_t low = load_le32(n_le, 0);
  std::uint32_t inverse = 1;
  for (int i = 0; i < 5; ++i) inverse *= 2 - low * inverse;  // doubles the correct bits each round

  Sbv2RsaPublicKey out;
  out.n = n_le;
  if (BN_num_bits(e.get()) > 32) throw BadInputError("security.sbv2_key_type", "the RSA exponent exceeds 32 bits");
  out.e = static_cast<std::uint32_t>(BN_get_word(e.get()));
  out.r_inv = to_le(r_inv.get());
  out.m_prime = static_cast<std::uint32_t>(0u - inverse);
  return out;
}

crypto::EvpPkeyPtr load_sbv2_key_file(const std::filesystem::path& path, bool require_private) {
  SecretBytes pem(read_file(path));
  const std::string_view text(reinterpret_cast<const char*>(pem.data()), pem.size());
  const bool is_public = text.find("-----BEGIN PUBLIC KEY-----") != std::string_view::npos ||
                         text.find("-----BEGIN RSA PUBLIC KEY-----") != std::string_view::npos;
  crypto::EvpPkeyPtr key;
  try {
    if (is_public) {
      if (require_private) {
        throw BadInputError("security.sbv2_need_private_key",
                            fmt::format("{} holds a public key; signing needs the private key", path.string()),
                            "pass the private signing key PEM (or sign on the HSM)");
      }
      key = crypto::load_public_key_pem(text);
    } else {
      key = crypto::load_private_key_pem(pem);
    }
  } catch (const CryptoError& error) {
    throw BadInputError("security.bad_key_file",
                        fmt::format("{} is not a PEM RSA key: {}", path.string(), error.message()),
                        "give a PEM file with an RSA-3072 private key or public key");
  }
  try {
    (void)sbv2_public_key(key.get());
  } catch (Error& error) {
    error.with_context("reading key " + path.string());
    throw;
  }
  return key;
}

PemSigningKey::PemSigningKey(crypto::EvpPkeyPtr private_key)
    : key_(std::move(private_key)), public_key_(sbv2_public_key(key_.get())) {}

std::unique_ptr<PemSigningKey> PemSigningKey::from_file(const std::filesystem::path& path) {
  return std::make_unique<PemSigningKey>(load_sbv2_key_file(path, true));
}

Bytes PemSigningKey::sign_digest(const crypto::Sha256Digest& digest) const {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (!ctx) crypto_failure("security.sbv2_sign", "cannot create a signing context");
  check(EVP_PKEY_sign_init(ctx.get()), "security.sbv2_sign", "cannot start signing");
  set_pss(ctx.get());
  std::size_t size = 0;
  check(EVP_PKEY_sign(ctx.get(), nullptr, &size, digest.data(), digest.size()), "security.sbv2_sign",
        "cannot size the signature");
  Bytes signature(size);
  check(EVP_PKEY_sign(ctx.get(), signature.data(), &size, digest.data(), digest.size()), "security.sbv2_sign",
        "RSA-PSS signing failed");
  signature.resize(size);
  if (signature.size() != kSbv2RsaBytes) {
    throw InternalError("security.sbv2_sign", "an RSA-3072 signature is 384 bytes");
  }
  return signature;
}

bool rsa_pss_verify(EVP_PKEY* key, const crypto::Sha256Digest& digest, ByteView signature_be) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx) crypto_failure("security.sbv2_verify", "cannot create a verification context");
  check(EVP_PKEY_verify_init(ctx.get()), "security.sbv2_verify", "cannot start verification");
  set_pss(ctx.get());
  const int result = EVP_PKEY_verify(ctx.get(), signature_be.data(), signature_be.size(), digest.data(), digest.size());
  if (result != 1) crypto::last_openssl_error();  // clears the queue; a bad signature is an outcome
  return result == 1;
}

}  // namespace espfab::security
