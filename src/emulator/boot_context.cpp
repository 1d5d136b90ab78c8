#include "emulator/boot_context.hpp"

#include <algorithm>
#include <bit>

#include "chip/esp32s3_efuse.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::emulator {
namespace {

namespace efuse = chip::esp32s3_efuse;
using efuse::KeyPurpose;

constexpr unsigned kWrDisCryptCnt = 4;  // WR_DIS bit of SPI_BOOT_CRYPT_CNT (espefuse esp32s3.yaml)

std::optional<unsigned> key_with_purpose(const EfuseController& e, KeyPurpose purpose) {
  for (unsigned k = 0; k < efuse::kKeyBlockCount; ++k) {
    if (e.field(efuse::kKeyPurposeFields[k]) == static_cast<std::uint32_t>(purpose)) return k;
  }
  return std::nullopt;
}

}  // namespace

BootContext::BootContext(const VirtualFlash& flash, const EfuseController& efuse) : flash_(flash), efuse_(efuse) {
  crypt_bits_ = static_cast<unsigned>(std::popcount(efuse.field(efuse::SPI_BOOT_CRYPT_CNT)));
  crypt_wp_ = ((efuse.block0_word(0) >> kWrDisCryptCnt) & 1u) != 0;
  fe_on_ = crypt_bits_ % 2 == 1;
  sb_on_ = efuse.field(efuse::SECURE_BOOT_EN) != 0;
  if (fe_on_) {
    key_ = engine_flash_key(efuse);
    if (!key_) key_.emplace(XtsEngine::zero_key());
  }
  // esp_secure_boot_read_key_digests: slots 0..2 in order, revoked slots skipped.
  static constexpr KeyPurpose kDigestPurposes[] = {KeyPurpose::SecureBootDigest0, KeyPurpose::SecureBootDigest1,
                                                   KeyPurpose::SecureBootDigest2};
  for (unsigned slot = 0; slot < 3; ++slot) {
    const efuse::Field revoke{efuse::SECURE_BOOT_KEY_REVOKE0.word, efuse::SECURE_BOOT_KEY_REVOKE0.shift + slot, 1};
    if (efuse.field(revoke) != 0) continue;
    const auto k = key_with_purpose(efuse, kDigestPurposes[slot]);
    if (!k) continue;
    // A read-protected digest block reads as zeros to the ROM (key_block holds the burned bits).
    const efuse::BlockInfo& info = efuse::kBlocks[efuse::kBlockKey0 + *k];
    const bool hidden = info.read_disable_bit && ((efuse.field(efuse::RD_DIS) >> *info.read_disable_bit) & 1u);
    security::KeyDigest digest{};
    if (!hidden) {
      const auto bytes = efuse.key_block(*k);
      std::copy(bytes.begin(), bytes.end(), digest.begin());
    }
    digests_.push_back(digest);
  }
}

bool BootContext::flash_encryption_release_mode() const noexcept {
  return fe_on_ && (crypt_wp_ || crypt_bits_ == 3) && efuse_.field(efuse::DIS_DOWNLOAD_MANUAL_ENCRYPT) != 0 &&
         efuse_.field(efuse::DIS_DOWNLOAD_ICACHE) != 0 && efuse_.field(efuse::DIS_DOWNLOAD_DCACHE) != 0;
}

Bytes BootContext::read(std::uint32_t offset, std::uint32_t length) const {
  if (offset >= flash_.size()) return {};
  length = std::min(length, flash_.size() - offset);
  if (!fe_on_) {
    const ByteView view = flash_.view(offset, length);
    return Bytes(view.begin(), view.end());
  }
  // Whole XTS units around the request, decrypted, then the requested slice.
  constexpr std::uint32_t unit = 0x80;  // one XTS data unit
  const std::uint32_t start = offset / unit * unit;
  const std::uint64_t end = (std::uint64_t{offset} + length + unit - 1) / unit * unit;
  const auto span = static_cast<std::uint32_t>(std::min<std::uint64_t>(end, flash_.size()) - start);
  const ByteView cipher = flash_.view(start, span);
  Bytes plain(cipher.begin(), cipher.end());
  key_->decrypt(start, plain);  // whole units: always aligned
  const auto skip = static_cast<std::ptrdiff_t>(offset - start);
  Bytes out(plain.begin() + skip, plain.begin() + skip + static_cast<std::ptrdiff_t>(length));
  secure_wipe(plain.data(), plain.size());  // decrypted flash may hold keys (esp_secure_cert)
  return out;
}

}  // namespace espfab::emulator
