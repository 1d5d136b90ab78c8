// XTS-AES (IEEE P1619) over OpenSSL's EVP_aes_128_xts / EVP_aes_256_xts: a data unit encrypted with
// a 16-byte tweak the caller chooses. Generic: how a format derives the tweak from an address and
// how it splits its key material is the format's business (NVS: image/nvs_encryption.hpp; the
// chip's flash encryption has its own conventions and does not use this as is).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "util/bytes.hpp"
#include "util/crypto.hpp"

namespace espfab::crypto {

using XtsTweak = std::array<std::uint8_t, 16>;

// The tweak for a data unit number as a 16-byte little-endian integer (upper bytes zero).
XtsTweak xts_tweak_le(std::uint64_t unit_number);

class XtsAes {
 public:
  enum class Direction { Encrypt, Decrypt };
  // `key` is data key || tweak key: 32 bytes for XTS-AES-128, 64 for XTS-AES-256. The two halves
  // must differ (OpenSSL refuses equal halves). The expanded key lives in the OpenSSL context,
  // which wipes it when freed.
  XtsAes(ByteView key, Direction direction);

  // One data unit (at least 16 bytes; any length, ciphertext stealing for a partial last block).
  // out.size() must equal in.size(); out may alias in.
  void process(const XtsTweak& tweak, ByteView in, std::span<std::uint8_t> out);

 private:
  EvpCipherCtxPtr ctx_;
  int encrypt_;
};

}  // namespace espfab::crypto
