// Secure Boot V2 (RSA-3072) images: signing like `espsecure.py sign_data --version 2` (0xFF pad to
// 4 KiB, one 4096-byte signature sector of up to 3 blocks, --append_signatures), verification like
// `verify_signature --version 2` (with a given public key) and like the ROM (with the key digests
// burned in eFuse), and `signature_info_v2`. Sector structure comes from image/signature_sector.hpp;
// docs/efuse-and-security-facts.md §9.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "image/signature_sector.hpp"
#include "security/sbv2_key.hpp"
#include "util/bytes.hpp"

namespace espfab::security {

inline constexpr std::size_t kSbv2SectorSize = image::kSignatureSectorSize;
inline constexpr std::size_t kSbv2BlockSize = image::kSignatureBlockSize;
inline constexpr std::size_t kSbv2MaxBlocks = image::kMaxSignatureBlocks;

// One RSA signature block (1216 bytes) for a 32-byte image digest.
Bytes build_rsa_signature_block(const crypto::Sha256Digest& image_digest, const SigningKey& key);

// The fields of a raw 1216-byte RSA block (no validity check: see image::SignatureBlock).
struct RsaBlockFields {
  crypto::Sha256Digest image_digest{};
  Sbv2RsaPublicKey key;
  Bytes signature_be;  // conventional big-endian signature (the block stores it reversed)
};
RsaBlockFields read_rsa_block(ByteView block);

struct SignOptions {
  bool append = false;  // keep the valid blocks already in the sector and add after them
};

struct SignResult {
  Bytes image;                  // signed data followed by the signature sector
  std::size_t data_size = 0;    // bytes covered by the signatures (a multiple of 4096)
  std::size_t padded_by = 0;    // 0xFF bytes added to reach a sector boundary
  std::size_t kept_blocks = 0;  // with append: valid blocks found and kept
  std::size_t total_blocks = 0;
  std::vector<std::string> notes;  // what espsecure prints ("Padding data contents by ...")
};

// Throws BadInputError: no keys, more keys than free blocks ("security.sbv2_too_many_keys").
SignResult sign_image(ByteView input, std::span<const SigningKey* const> keys, const SignOptions& options = {});

// Per block slot, what a check found.
enum class BlockStatus {
  Invalid,         // no magic, unknown version or CRC mismatch: skipped
  NotRsa,          // a valid ECDSA block (ESP32-S3 here uses RSA)
  DigestMismatch,  // stored image digest differs from the SHA-256 of the data
  UntrustedKey,    // (ROM check) key digest not among the trusted digests
  BadSignature,    // RSA-PSS check failed
  Verified,
};
std::string_view to_string(BlockStatus status);

struct BlockCheck {
  std::size_t index = 0;
  BlockStatus status = BlockStatus::Invalid;
  std::optional<KeyDigest> key_digest;  // for RSA blocks
};

struct VerifyResult {
  bool verified = false;
  std::optional<std::size_t> verified_block;
  std::vector<BlockCheck> blocks;  // slots 0..2 in order, up to where the check stopped
  std::string reason;              // why not verified, in espsecure's words
};

// `espsecure verify_signature --version 2` with one public key: the file is data + signature
// sector (size a non-zero multiple of 4096, else BadInputError "security.sbv2_size"). Invalid blocks
// are skipped; a valid block whose image digest differs ends the check (rejected); otherwise the
// image is accepted if any valid block's signature verifies with `key` (the key material stored in
// the block is not used).
VerifyResult verify_with_key(ByteView signed_image, const Sbv2RsaPublicKey& key);

// The ROM's check with the digests of SECURE_BOOT_DIGESTn key blocks that are not revoked: a valid
// RSA block is accepted when its image digest matches, the SHA-256 of its key part is one of
// `trusted`, and its signature verifies with that key. `signed_image` is the image padded to 4 KiB
// followed by its signature sector. Never throws for bad image bytes: a malformed image is
// simply not verified.
VerifyResult verify_with_digests(ByteView signed_image, std::span<const KeyDigest> trusted);

struct SignatureInfo {
  std::size_t index = 0;
  std::uint8_t version = 0;
  KeyDigest key_digest{};
};

// `espsecure signature_info_v2`: valid blocks from slot 0 up to the first invalid one; a block
// whose image digest does not match throws BadInputError ("security.sbv2_digest_mismatch").
std::vector<SignatureInfo> signature_info(ByteView signed_image);

}  // namespace espfab::security
