#include "image/nvs_keys.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "image/nvs_format.hpp"
#include "util/crc32.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::image {

namespace {

SecretBytes hmac_sha256(ByteView key, const std::array<std::uint8_t, 4>& pattern) {
  std::array<std::uint8_t, 32> message{};
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = pattern[i % pattern.size()];
  SecretBytes out(32);
  std::size_t written = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), message.data(), message.size(),
                out.data(), out.size(), &written) == nullptr ||
      written != out.size()) {
    throw CryptoError("nvs.hmac", "HMAC-SHA256 failed: " + crypto::last_openssl_error(),
                      "the OpenSSL installation may be broken");
  }
  return out;
}

}  // namespace

NvsKeys::NvsKeys(SecretBytes material) : material_(std::move(material)) {
  if (material_.size() != kNvsKeyMaterialSize) {
    throw BadInputError("nvs.bad_key_size",
                        fmt::format("NVS key material must be {} bytes (data key + tweak key), got {}",
                                    kNvsKeyMaterialSize, material_.size()),
                        "use a key file made by 'espfab nvs keygen' or nvs_partition_gen.py generate-key");
  }
  if (std::equal(material_.view().begin(), material_.view().begin() + 32, material_.view().begin() + 32)) {
    throw BadInputError("nvs.equal_key_halves", "the NVS data key and tweak key are equal",
                        "XTS needs two different keys; generate new keys");
  }
}

NvsKeys NvsKeys::generate() { return NvsKeys(crypto::random_secret(kNvsKeyMaterialSize)); }

NvsKeys NvsKeys::from_hmac_key(ByteView hmac_key) {
  if (hmac_key.size() != kNvsHmacKeySize) {
    throw BadInputError("nvs.bad_hmac_key_size",
                        fmt::format("the HMAC key must be {} bytes, got {}", kNvsHmacKeySize, hmac_key.size()),
                        "give the 32-byte key that is (or will be) burned into an eFuse key block for HMAC_UP");
  }
  SecretBytes material(kNvsKeyMaterialSize);
  const SecretBytes data_key = hmac_sha256(hmac_key, {0x5A, 0x5A, 0xBE, 0xAE});
  const SecretBytes tweak_key = hmac_sha256(hmac_key, {0xA5, 0xA5, 0xDE, 0xCE});
  std::copy(data_key.view().begin(), data_key.view().end(), material.data());
  std::copy(tweak_key.view().begin(), tweak_key.view().end(), material.data() + 32);
  return NvsKeys(std::move(material));
}

SecretBytes build_nvs_keys_partition(const NvsKeys& keys) {
  SecretBytes out(kNvsKeysPartitionSize);
  std::fill(out.data(), out.data() + out.size(), 0xFF);
  std::copy(keys.material().view().begin(), keys.material().view().end(), out.data());
  store_le32(out.mutable_view(), kNvsKeyMaterialSize, crc32_esp(keys.material().view()));
  return out;
}

NvsKeys read_nvs_keys_partition(ByteView file) {
  if (file.size() == kNvsKeyMaterialSize) return NvsKeys(SecretBytes(file));
  if (file.size() < kNvsKeyMaterialSize + 4) {
    throw BadInputError("nvs.keys_too_short",
                        fmt::format("an NVS key file is an nvs_keys partition (4096 bytes) or 64 raw key bytes; "
                                    "this one has {} bytes",
                                    file.size()),
                        "use a key file made by 'espfab nvs keygen'");
  }
  const ByteView material = file.first(kNvsKeyMaterialSize);
  if (std::all_of(material.begin(), material.end(), [](std::uint8_t b) { return b == 0xFF; })) {
    throw BadInputError("nvs.keys_erased", "the nvs_keys partition is erased (all 0xFF): it holds no keys",
                        "generate keys with 'espfab nvs keygen'");
  }
  const std::uint32_t stored = load_le32(file, kNvsKeyMaterialSize);
  const std::uint32_t computed = crc32_esp(material);
  if (stored != computed) {
    throw BadInputError(
        "nvs.keys_bad_crc",
        fmt::format("the nvs_keys partition's CRC is wrong (stored {:08x}, computed {:08x})", stored, computed),
        "the key file is corrupt or not an nvs_keys partition");
  }
  return NvsKeys(SecretBytes(material));
}

NvsSlotCipher::NvsSlotCipher(const NvsKeys& keys, crypto::XtsAes::Direction direction)
    : xts_(keys.material().view(), direction) {}

void NvsSlotCipher::process(std::size_t address, ByteView in, std::span<std::uint8_t> out) {
  if (in.size() != kNvsEntrySize) {
    throw InternalError("nvs.slot_size", "NVS slots are encrypted 32 bytes at a time");
  }
  xts_.process(crypto::xts_tweak_le(address), in, out);
}

}  // namespace espfab::image
