#include "emulator/hmac_peripheral.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <initializer_list>

#include "chip/esp32s3_efuse.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::emulator {
namespace {

namespace efuse = chip::esp32s3_efuse;
namespace ds = chip::esp32s3_ds;
using efuse::KeyPurpose;

constexpr std::uint8_t kJtagMessageByte = 0x00;

tl::expected<void, HmacError> check_purpose(const EfuseController& e, unsigned key_id,
                                            std::initializer_list<KeyPurpose> allowed) {
  if (key_id >= efuse::kKeyBlockCount) return tl::make_unexpected(HmacError::NoSuchKey);
  const auto purpose = static_cast<KeyPurpose>(e.field(efuse::kKeyPurposeFields[key_id]));
  if (std::find(allowed.begin(), allowed.end(), purpose) == allowed.end()) {
    return tl::make_unexpected(HmacError::KeyPurposeMismatch);
  }
  return {};
}

// HMAC-SHA256 keyed by the raw key block (burn_key stores HMAC keys unreversed).
SecretBytes hmac_with_block(const EfuseController& e, unsigned key_id, ByteView message) {
  auto key = e.key_block(key_id);
  SecretBytes out(ds::kHmacResultSize);
  std::size_t written = 0;
  const bool ok = EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), message.data(),
                            message.size(), out.data(), out.size(), &written) != nullptr &&
                  written == out.size();
  secure_wipe(key.data(), key.size());
  if (!ok) throw CryptoError("emulator.hmac", "HMAC-SHA256 failed: " + crypto::last_openssl_error());
  return out;
}

}  // namespace

tl::expected<HmacResult, HmacError> HmacPeripheral::upstream(unsigned key_id, ByteView message) const {
  if (auto ok = check_purpose(efuse_, key_id, {KeyPurpose::HmacUp}); !ok) return tl::make_unexpected(ok.error());
  const SecretBytes mac = hmac_with_block(efuse_, key_id, message);
  HmacResult out{};
  std::copy(mac.view().begin(), mac.view().end(), out.begin());
  return out;
}

tl::expected<bool, HmacError> HmacPeripheral::jtag_token_matches(unsigned key_id, ByteView token) const {
  if (auto ok = check_purpose(efuse_, key_id, {KeyPurpose::HmacDownJtag, KeyPurpose::HmacDownAll}); !ok) {
    return tl::make_unexpected(ok.error());
  }
  const Bytes message(ds::kHmacResultSize, kJtagMessageByte);
  const SecretBytes mac = hmac_with_block(efuse_, key_id, message);
  return token.size() == mac.size() && CRYPTO_memcmp(token.data(), mac.data(), mac.size()) == 0;
}

tl::expected<SecretBytes, HmacError> HmacPeripheral::ds_key(unsigned key_id) const {
  if (auto ok = check_purpose(efuse_, key_id, {KeyPurpose::HmacDownDigitalSignature, KeyPurpose::HmacDownAll}); !ok) {
    return tl::make_unexpected(ok.error());
  }
  const Bytes message(ds::kAesKeyMessageSize, ds::kAesKeyMessageByte);
  return hmac_with_block(efuse_, key_id, message);
}

}  // namespace espfab::emulator
