#include "emulator/xts_engine.hpp"

#include <algorithm>
#include <array>

#include "chip/esp32s3_efuse.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::emulator {
namespace {

namespace efuse = chip::esp32s3_efuse;
using efuse::KeyPurpose;

constexpr std::uint32_t kUnit = 0x80;        // one XTS data unit: 1024 bits
constexpr std::size_t kBlock = 16;           // one AES block
constexpr std::size_t kKeyBlockSize = 32;    // one eFuse key block
constexpr std::uint8_t kGfReduction = 0x87;  // x^128 + x^7 + x^2 + x + 1

// The XTS tweak times alpha in GF(2^128), little-endian byte order (IEEE 1619 §5.2).
void multiply_by_alpha(std::array<std::uint8_t, kBlock>& t) {
  const bool carry = (t[kBlock - 1] & 0x80) != 0;
  for (std::size_t i = kBlock - 1; i > 0; --i) {
    t[i] = static_cast<std::uint8_t>((t[i] << 1) | (t[i - 1] >> 7));
  }
  t[0] = static_cast<std::uint8_t>((t[0] << 1) ^ (carry ? kGfReduction : 0));
}

std::optional<unsigned> key_with_purpose(const EfuseController& e, KeyPurpose purpose) {
  for (unsigned k = 0; k < efuse::kKeyBlockCount; ++k) {
    if (e.field(efuse::kKeyPurposeFields[k]) == static_cast<std::uint32_t>(purpose)) return k;
  }
  return std::nullopt;
}

// A key block as the engine takes it: reversed into key-file order.
void append_reversed_block(const EfuseController& e, unsigned key, SecretBytes& out, std::size_t at) {
  auto bytes = e.key_block(key);
  std::reverse_copy(bytes.begin(), bytes.end(), out.data() + at);
  secure_wipe(bytes.data(), bytes.size());
}

}  // namespace

XtsEngine::XtsEngine(SecretBytes key) : key_(std::move(key)) {
  if (key_.size() != 2 * kBlock && key_.size() != 2 * kKeyBlockSize) {
    throw InternalError("emulator.xts_key_size", "the XTS engine takes a 32- or 64-byte key");
  }
}

XtsEngine XtsEngine::zero_key() { return XtsEngine(SecretBytes(2 * kBlock)); }

bool XtsEngine::encrypt(std::uint32_t address, std::span<std::uint8_t> data) const {
  return process(address, data, true);
}

bool XtsEngine::decrypt(std::uint32_t address, std::span<std::uint8_t> data) const {
  return process(address, data, false);
}

// Each 16-byte granule at unit offset o is, after the unit's byte reversal, XTS block 7 - o/16 of
// the unit, its bytes reversed: so any 16-aligned range is processed granule by granule, with one
// AES-ECB pass for the tweaks and one for the data.
bool XtsEngine::process(std::uint32_t address, std::span<std::uint8_t> data, bool encrypt) const {
  if (address % kGranule != 0 || data.size() % kGranule != 0) return false;
  if (data.empty()) return true;
  if (std::uint64_t{address} + data.size() > std::uint64_t{1} << 32) return false;
  const std::size_t half = key_.size() / 2;
  const ByteView data_key(key_.data(), half);
  const ByteView tweak_key(key_.data() + half, half);

  const std::uint32_t first_unit = address / kUnit * kUnit;
  const auto units = static_cast<std::size_t>((std::uint64_t{address} + data.size() - 1) / kUnit - address / kUnit + 1);
  Bytes unit_tweaks(units * kBlock, 0);
  for (std::size_t u = 0; u < units; ++u) {
    store_le32(unit_tweaks, u * kBlock, static_cast<std::uint32_t>(first_unit + u * kUnit));
  }
  crypto::AesEcb(tweak_key, crypto::AesEcb::Direction::Encrypt).process(unit_tweaks, unit_tweaks);

  const std::size_t granules = data.size() / kBlock;
  Bytes tweaks(data.size());
  Bytes work(data.size());
  for (std::size_t g = 0; g < granules; ++g) {
    const std::uint64_t at = std::uint64_t{address} + g * kBlock;
    const std::size_t unit = static_cast<std::size_t>((at - first_unit) / kUnit);
    const std::size_t block = 7 - static_cast<std::size_t>(at % kUnit) / kBlock;
    std::array<std::uint8_t, kBlock> t{};
    std::copy_n(unit_tweaks.begin() + static_cast<std::ptrdiff_t>(unit * kBlock), kBlock, t.begin());
    for (std::size_t j = 0; j < block; ++j) multiply_by_alpha(t);
    std::copy(t.begin(), t.end(), tweaks.begin() + static_cast<std::ptrdiff_t>(g * kBlock));
    for (std::size_t i = 0; i < kBlock; ++i) {
      work[g * kBlock + i] = static_cast<std::uint8_t>(data[g * kBlock + kBlock - 1 - i] ^ t[i]);
    }
  }
  crypto::AesEcb(data_key, encrypt ? crypto::AesEcb::Direction::Encrypt : crypto::AesEcb::Direction::Decrypt)
      .process(work, work);
  for (std::size_t g = 0; g < granules; ++g) {
    for (std::size_t i = 0; i < kBlock; ++i) {
      data[g * kBlock + kBlock - 1 - i] = static_cast<std::uint8_t>(work[g * kBlock + i] ^ tweaks[g * kBlock + i]);
    }
  }
  secure_wipe(work.data(), work.size());
  return true;
}

std::optional<XtsEngine> engine_flash_key(const EfuseController& e) {
  if (const auto k = key_with_purpose(e, KeyPurpose::XtsAes128Key)) {
    SecretBytes key(kKeyBlockSize);
    append_reversed_block(e, *k, key, 0);
    return XtsEngine(std::move(key));
  }
  const auto k1 = key_with_purpose(e, KeyPurpose::XtsAes256Key1);
  const auto k2 = key_with_purpose(e, KeyPurpose::XtsAes256Key2);
  if (k1 && k2) {
    SecretBytes key(2 * kKeyBlockSize);
    append_reversed_block(e, *k1, key, 0);
    append_reversed_block(e, *k2, key, kKeyBlockSize);
    return XtsEngine(std::move(key));
  }
  return std::nullopt;
}

}  // namespace espfab::emulator
