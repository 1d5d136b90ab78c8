#include "util/xts_aes.hpp"

#include <openssl/evp.h>

#include <limits>
#include <string>

#include "util/error.hpp"

namespace espfab::crypto {

namespace {

[[noreturn]] void xts_fail(const char* what) {
  throw CryptoError("crypto.xts", std::string(what) + ": " + last_openssl_error(),
                    "an XTS key is two different halves (data key, tweak key); check the key material");
}

}  // namespace

XtsTweak xts_tweak_le(std::uint64_t unit_number) {
  XtsTweak tweak{};
  for (std::size_t i = 0; i < 8; ++i) tweak[i] = static_cast<std::uint8_t>(unit_number >> (8 * i));
  return tweak;
}

XtsAes::XtsAes(ByteView key, Direction direction)
    : ctx_(EVP_CIPHER_CTX_new()), encrypt_(direction == Direction::Encrypt ? 1 : 0) {
  if (!ctx_) xts_fail("cannot allocate a cipher context");
  const EVP_CIPHER* cipher = nullptr;
  switch (key.size()) {
    case 32: cipher = EVP_aes_128_xts(); break;
    case 64: cipher = EVP_aes_256_xts(); break;
    default:
      throw CryptoError("crypto.xts_key_size",
                        "XTS-AES key must be 32 (AES-128) or 64 (AES-256) bytes, got " + std::to_string(key.size()),
                        "pass data key and tweak key together");
  }
  if (EVP_CipherInit_ex(ctx_.get(), cipher, nullptr, key.data(), nullptr, encrypt_) != 1) {
    xts_fail("XTS-AES key setup failed");
  }
}

void XtsAes::process(const XtsTweak& tweak, ByteView in, std::span<std::uint8_t> out) {
  if (in.size() < 16 || out.size() != in.size() ||
      in.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw InternalError("crypto.xts_unit", "an XTS data unit must be at least 16 bytes and fit the output");
  }
  if (EVP_CipherInit_ex(ctx_.get(), nullptr, nullptr, nullptr, tweak.data(), encrypt_) != 1) {
    xts_fail("XTS-AES tweak setup failed");
  }
  int written = 0;
  if (EVP_CipherUpdate(ctx_.get(), out.data(), &written, in.data(), static_cast<int>(in.size())) != 1) {
    xts_fail("XTS-AES failed");
  }
}

}  // namespace espfab::crypto
