// The Secure Boot V2 signature sector an image may carry: 4096 bytes right after the image padded
// to 4 KiB, holding up to 3 signature blocks of 1216 bytes (docs/efuse-and-security-facts.md §9). Parsed and checked
// for structure only (magic, version, CRC32, digests); RSA verification belongs to security/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "util/bytes.hpp"
#include "util/crypto.hpp"

namespace espfab::image {

inline constexpr std::size_t kSignatureSectorSize = 4096;
inline constexpr std::size_t kSignatureBlockSize = 1216;
inline constexpr std::size_t kMaxSignatureBlocks = 3;
inline constexpr std::uint8_t kSignatureBlockMagic = 0xE7;
inline constexpr std::uint8_t kSignatureVersionRsa = 0x02;
inline constexpr std::uint8_t kSignatureVersionEcdsa = 0x03;

struct SignatureBlock {
  std::size_t index = 0;  // slot 0..2 in the sector
  std::uint8_t version = 0;
  std::uint32_t stored_crc = 0;
  std::uint32_t calculated_crc = 0;
  crypto::Sha256Digest image_digest{};  // as stored in the block
  bool image_digest_matches = false;    // equals SHA-256 of everything before the sector
  // SHA-256 of the RSA key part (n, e, r_inv, m_prime): what SECURE_BOOT_DIGESTn holds. Only for
  // RSA blocks.
  std::optional<crypto::Sha256Digest> key_digest;

  bool crc_valid() const { return stored_crc == calculated_crc; }
  // What espsecure calls a valid block: magic, known version, CRC.
  bool valid() const { return crc_valid() && (version == kSignatureVersionRsa || version == kSignatureVersionEcdsa); }
};

struct SignatureSector {
  std::size_t offset = 0;                // file offset of the sector (= length of the signed data)
  crypto::Sha256Digest signed_digest{};  // SHA-256 of bytes [0, offset)
  std::vector<SignatureBlock> blocks;    // slots that start with the magic byte, in slot order

  std::size_t valid_block_count() const;
};

// Looks for a signature sector at align_up(image_end, 4096). nullopt when the file is too short
// for a whole sector there or the sector does not start with a signature block magic.
std::optional<SignatureSector> find_signature_sector(ByteView file, std::size_t image_end);

}  // namespace espfab::image
