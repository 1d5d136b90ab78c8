// RSA_METHOD is deprecated in OpenSSL 3 (providers replace it); this file is its only user.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "emulator/ds_rsa_key.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include <algorithm>

#include "util/error.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::emulator {
namespace {

using BnPtr = OpenSslHandle<BIGNUM, BN_free>;
using RsaPtr = OpenSslHandle<RSA, RSA_free>;

constexpr std::size_t kPkcs1Overhead = 11;  // 00 01 at least 8 x FF 00

// What the key carries to the DS (RSA ex_data).
struct DsKeyContext {
  const DsPeripheral* ds = nullptr;
  std::uint32_t rsa_length = 0;
  std::array<std::uint8_t, chip::esp32s3_ds::kIvSize> iv{};
  Bytes ciphertext;
  unsigned key_id = 0;
};

int context_index() {
  static const int index = RSA_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

[[noreturn]] void fail(const char* what) {
  throw CryptoError("emulator.ds_key", std::string(what) + ": " + crypto::last_openssl_error());
}

// RSA private "encryption" = signing: `from` is the encoded message (RSA_NO_PADDING) or the
// DigestInfo to pad with PKCS#1 v1.5 type 1.
int ds_private_encrypt(int flen, const unsigned char* from, unsigned char* to, RSA* rsa, int padding) {
  const auto* context = static_cast<const DsKeyContext*>(RSA_get_ex_data(rsa, context_index()));
  if (context == nullptr || flen < 0) return -1;
  const std::size_t size = (std::size_t{context->rsa_length} + 1) * 4;
  const auto length = static_cast<std::size_t>(flen);
  Bytes em(size, 0xFF);
  if (padding == RSA_NO_PADDING && length == size) {
    std::copy_n(from, size, em.begin());
  } else if (padding == RSA_PKCS1_PADDING && length + kPkcs1Overhead <= size) {
    em[0] = 0x00;
    em[1] = 0x01;
    em[size - length - 1] = 0x00;
    std::copy_n(from, length, em.end() - static_cast<std::ptrdiff_t>(length));
  } else {
    return -1;
  }
  std::reverse(em.begin(), em.end());
  const DsData data{.rsa_length = context->rsa_length, .iv = context->iv, .ciphertext = context->ciphertext};
  const auto signature = context->ds->sign(em, data, context->key_id);
  if (!signature) return -1;
  std::reverse_copy(signature->begin(), signature->end(), to);
  return static_cast<int>(size);
}

int ds_finish(RSA* rsa) {
  delete static_cast<DsKeyContext*>(RSA_get_ex_data(rsa, context_index()));
  RSA_set_ex_data(rsa, context_index(), nullptr);
  return 1;
}

const RSA_METHOD* ds_method() {
  static RSA_METHOD* method = [] {
    RSA_METHOD* m = RSA_meth_dup(RSA_PKCS1_OpenSSL());
    if (m == nullptr || RSA_meth_set1_name(m, "espfab emulated DS") != 1 ||
        RSA_meth_set_priv_enc(m, ds_private_encrypt) != 1 || RSA_meth_set_finish(m, ds_finish) != 1) {
      fail("cannot create the DS RSA method");
    }
    return m;
  }();
  return method;
}

}  // namespace

crypto::EvpPkeyPtr make_ds_rsa_key(EVP_PKEY* public_key, const DsPeripheral& ds, const DsData& data, unsigned key_id) {
  if (EVP_PKEY_get_base_id(public_key) != EVP_PKEY_RSA ||
      EVP_PKEY_get_bits(public_key) != static_cast<int>((data.rsa_length + 1) * 32)) {
    throw CryptoError("emulator.ds_key", "the device certificate's key is not an RSA key of the DS parameters' size");
  }
  BIGNUM* raw_n = nullptr;
  BIGNUM* raw_e = nullptr;
  if (EVP_PKEY_get_bn_param(public_key, OSSL_PKEY_PARAM_RSA_N, &raw_n) != 1) fail("cannot read n");
  BnPtr n(raw_n);
  if (EVP_PKEY_get_bn_param(public_key, OSSL_PKEY_PARAM_RSA_E, &raw_e) != 1) fail("cannot read e");
  BnPtr e(raw_e);

  RsaPtr rsa(RSA_new());
  if (!rsa || RSA_set0_key(rsa.get(), n.get(), e.get(), nullptr) != 1) fail("cannot build the RSA key");
  static_cast<void>(n.release());  // owned by rsa now
  static_cast<void>(e.release());
  auto context = std::make_unique<DsKeyContext>();
  context->ds = &ds;
  context->rsa_length = data.rsa_length;
  context->iv = data.iv;
  context->ciphertext.assign(data.ciphertext.begin(), data.ciphertext.end());
  context->key_id = key_id;
  if (RSA_set_method(rsa.get(), ds_method()) != 1) fail("cannot set the DS RSA method");
  if (RSA_set_ex_data(rsa.get(), context_index(), context.get()) != 1) fail("cannot attach the DS parameters");
  static_cast<void>(context.release());  // freed by ds_finish

  crypto::EvpPkeyPtr key(EVP_PKEY_new());
  if (!key || EVP_PKEY_assign_RSA(key.get(), rsa.get()) != 1) fail("cannot wrap the RSA key");
  static_cast<void>(rsa.release());
  return key;
}

}  // namespace espfab::emulator
