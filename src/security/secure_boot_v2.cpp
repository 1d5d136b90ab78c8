#include "security/secure_boot_v2.hpp"

#include <zlib.h>

#include <algorithm>

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab::security {

namespace {

constexpr std::size_t kOffImageDigest = 4;
constexpr std::size_t kOffKeyPart = 36;
constexpr std::size_t kOffSignature = kOffKeyPart + kSbv2KeyPartSize;  // 812
constexpr std::size_t kOffCrc = 1196;

std::uint32_t zlib_crc32(ByteView data) {
  return static_cast<std::uint32_t>(::crc32(0L, data.data(), static_cast<uInt>(data.size())));
}

void check_signed_size(ByteView signed_image) {
  if (signed_image.size() < kSbv2SectorSize || signed_image.size() % kSbv2SectorSize != 0) {
    throw BadInputError("security.sbv2_size",
                        fmt::format("Invalid datafile. Data size should be non-zero & a multiple of 4096 (it is {})",
                                    signed_image.size()),
                        "give the signed image as written by `espfab secure-boot sign` (data + 4 KiB signature "
                        "sector)");
  }
}

// The sector's block slots as image/ parses them; empty when slot 0 has no magic.
std::vector<image::SignatureBlock> parse_blocks(ByteView signed_image, crypto::Sha256Digest& data_digest) {
  const std::size_t data_size = signed_image.size() - kSbv2SectorSize;
  auto sector = image::find_signature_sector(signed_image, data_size);
  if (!sector) {
    data_digest = crypto::sha256(signed_image.first(data_size));
    return {};
  }
  data_digest = sector->signed_digest;
  return std::move(sector->blocks);
}

ByteView block_bytes(ByteView signed_image, std::size_t index) {
  return signed_image.subspan(signed_image.size() - kSbv2SectorSize + index * kSbv2BlockSize, kSbv2BlockSize);
}

const image::SignatureBlock* find_slot(const std::vector<image::SignatureBlock>& blocks, std::size_t index) {
  for (const auto& block : blocks)
    if (block.index == index) return &block;
  return nullptr;
}

}  // namespace

std::string_view to_string(BlockStatus status) {
  switch (status) {
    case BlockStatus::Invalid: return "invalid";
    case BlockStatus::NotRsa: return "not an RSA block";
    case BlockStatus::DigestMismatch: return "image digest mismatch";
    case BlockStatus::UntrustedKey: return "key digest not trusted";
    case BlockStatus::BadSignature: return "signature does not verify";
    case BlockStatus::Verified: return "verified";
  }
  return "unknown";
}

Bytes build_rsa_signature_block(const crypto::Sha256Digest& image_digest, const SigningKey& key) {
  Bytes block;
  block.reserve(kSbv2BlockSize);
  block.push_back(image::kSignatureBlockMagic);
  block.push_back(image::kSignatureVersionRsa);
  block.push_back(0);
  block.push_back(0);
  block.insert(block.end(), image_digest.begin(), image_digest.end());
  const Bytes key_part = key.public_key().key_part();
  block.insert(block.end(), key_part.begin(), key_part.end());
  const Bytes signature = key.sign_digest(image_digest);
  block.insert(block.end(), signature.rbegin(), signature.rend());
  if (block.size() != kOffCrc) {
    throw InternalError("security.sbv2_block_layout",
                        fmt::format("signature block CRC would land at {}, not {}", block.size(), kOffCrc));
  }
  append_le32(block, zlib_crc32(block));
  block.resize(kSbv2BlockSize, 0);
  return block;
}

RsaBlockFields read_rsa_block(ByteView block) {
  if (block.size() != kSbv2BlockSize) {
    throw BadInputError("security.sbv2_block_size",
                        fmt::format("a signature block has {} bytes, not {}", kSbv2BlockSize, block.size()));
  }
  RsaBlockFields fields;
  std::copy_n(block.begin() + kOffImageDigest, fields.image_digest.size(), fields.image_digest.begin());
  fields.key = Sbv2RsaPublicKey::from_key_part(block.subspan(kOffKeyPart, kSbv2KeyPartSize));
  const ByteView signature = block.subspan(kOffSignature, kSbv2RsaBytes);
  fields.signature_be.assign(signature.rbegin(), signature.rend());
  return fields;
}

SignResult sign_image(ByteView input, std::span<const SigningKey* const> keys, const SignOptions& options) {
  if (keys.empty()) throw BadInputError("security.sbv2_no_keys", "no signing key given", "pass --key KEY.pem");
  SignResult result;
  Bytes data(input.begin(), input.end());
  Bytes sector;
  if (data.size() % kSbv2SectorSize != 0) {
    // Like espsecure: an unaligned input is data to pad, even with --append.
    result.padded_by = kSbv2SectorSize - data.size() % kSbv2SectorSize;
    result.notes.push_back(fmt::format(
        "Padding data contents by {} bytes so signature sector aligns at sector boundary", result.padded_by));
    data.resize(data.size() + result.padded_by, 0xFF);
  } else if (options.append && !data.empty()) {
    crypto::Sha256Digest ignored{};
    const auto blocks = parse_blocks(data, ignored);
    // Valid blocks from slot 0 up to the first invalid one are kept.
    for (std::size_t slot = 0; slot < kSbv2MaxBlocks; ++slot) {
      const auto* block = find_slot(blocks, slot);
      if (block == nullptr || !block->valid()) break;
      const ByteView raw = block_bytes(data, slot);
      sector.insert(sector.end(), raw.begin(), raw.end());
      ++result.kept_blocks;
    }
    if (result.kept_blocks == 0) {
      result.notes.push_back(
          "No valid signature blocks found. Discarding --append and proceeding to sign the image afresh.");
    } else {
      result.notes.push_back(
          fmt::format("{} valid signature block(s) already present in the signature sector.", result.kept_blocks));
      if (result.kept_blocks == kSbv2MaxBlocks) {
        throw BadInputError("security.sbv2_sector_full", "Upto 3 signature blocks are supported",
                            "the signature sector already holds 3 valid blocks; sign the unsigned image afresh");
      }
      data.resize(data.size() - kSbv2SectorSize);
    }
  }
  const std::size_t free_blocks = kSbv2MaxBlocks - result.kept_blocks;
  if (keys.size() > free_blocks) {
    throw BadInputError(
        "security.sbv2_too_many_keys",
        fmt::format("Number of keys({}) more than the empty signature blocks.({})", keys.size(), free_blocks),
        "a signature sector holds at most 3 signature blocks");
  }
  const crypto::Sha256Digest digest = crypto::sha256(data);
  for (const SigningKey* key : keys) {
    const Bytes block = build_rsa_signature_block(digest, *key);
    sector.insert(sector.end(), block.begin(), block.end());
  }
  result.total_blocks = sector.size() / kSbv2BlockSize;
  sector.resize(kSbv2SectorSize, 0xFF);
  result.data_size = data.size();
  result.image = std::move(data);
  result.image.insert(result.image.end(), sector.begin(), sector.end());
  return result;
}

VerifyResult verify_with_key(ByteView signed_image, const Sbv2RsaPublicKey& key) {
  check_signed_size(signed_image);
  crypto::Sha256Digest data_digest{};
  const auto blocks = parse_blocks(signed_image, data_digest);
  const auto evp = key.to_evp();
  VerifyResult result;
  for (std::size_t slot = 0; slot < kSbv2MaxBlocks; ++slot) {
    BlockCheck check;
    check.index = slot;
    const auto* block = find_slot(blocks, slot);
    if (block == nullptr || !block->valid()) {
      result.blocks.push_back(check);
      continue;
    }
    check.key_digest = block->key_digest;
    if (!block->image_digest_matches) {
      check.status = BlockStatus::DigestMismatch;
      result.blocks.push_back(check);
      result.reason = fmt::format("Signature block {} image digest does not match the actual image digest", slot);
      return result;
    }
    if (block->version != image::kSignatureVersionRsa) {
      check.status = BlockStatus::NotRsa;
      result.blocks.push_back(check);
      continue;
    }
    const auto fields = read_rsa_block(block_bytes(signed_image, slot));
    if (rsa_pss_verify(evp.get(), data_digest, fields.signature_be)) {
      check.status = BlockStatus::Verified;
      result.blocks.push_back(check);
      result.verified = true;
      result.verified_block = slot;
      return result;
    }
    check.status = BlockStatus::BadSignature;
    result.blocks.push_back(check);
  }
  result.reason = "Checked all blocks. Signature could not be verified with the provided key.";
  return result;
}

VerifyResult verify_with_digests(ByteView signed_image, std::span<const KeyDigest> trusted) {
  VerifyResult result;
  if (signed_image.size() < kSbv2SectorSize || signed_image.size() % kSbv2SectorSize != 0) {
    result.reason = "image size is not a non-zero multiple of 4096";
    return result;
  }
  crypto::Sha256Digest data_digest{};
  const auto blocks = parse_blocks(signed_image, data_digest);
  for (std::size_t slot = 0; slot < kSbv2MaxBlocks; ++slot) {
    BlockCheck check;
    check.index = slot;
    const auto* block = find_slot(blocks, slot);
    if (block == nullptr || !block->valid()) {
      result.blocks.push_back(check);
      continue;
    }
    check.key_digest = block->key_digest;
    if (block->version != image::kSignatureVersionRsa) {
      check.status = BlockStatus::NotRsa;
    } else if (!block->image_digest_matches) {
      check.status = BlockStatus::DigestMismatch;
    } else if (std::find(trusted.begin(), trusted.end(), *block->key_digest) == trusted.end()) {
      check.status = BlockStatus::UntrustedKey;
    } else {
      const auto fields = read_rsa_block(block_bytes(signed_image, slot));
      try {
        const auto evp = fields.key.to_evp();
        check.status = rsa_pss_verify(evp.get(), data_digest, fields.signature_be) ? BlockStatus::Verified
                                                                                   : BlockStatus::BadSignature;
      } catch (const CryptoError&) {
        check.status = BlockStatus::BadSignature;  // key material that OpenSSL refuses
      }
    }
    result.blocks.push_back(check);
    if (check.status == BlockStatus::Verified) {
      result.verified = true;
      result.verified_block = slot;
      return result;
    }
  }
  result.reason = "no signature block verifies with a trusted key digest";
  return result;
}

std::vector<SignatureInfo> signature_info(ByteView signed_image) {
  check_signed_size(signed_image);
  crypto::Sha256Digest data_digest{};
  const auto blocks = parse_blocks(signed_image, data_digest);
  std::vector<SignatureInfo> out;
  for (std::size_t slot = 0; slot < kSbv2MaxBlocks; ++slot) {
    const auto* block = find_slot(blocks, slot);
    if (block == nullptr || !block->valid()) break;
    if (!block->image_digest_matches) {
      throw BadInputError("security.sbv2_digest_mismatch",
                          fmt::format("Digest in signature block {} doesn't match the image digest.", slot),
                          "the data before the signature sector changed after signing");
    }
    if (!block->key_digest) {
      throw BadInputError("security.sbv2_not_rsa", fmt::format("signature block {} is not an RSA block", slot),
                          "ESP32-S3 Secure Boot V2 here uses RSA-3072");
    }
    out.push_back({slot, block->version, *block->key_digest});
  }
  return out;
}

}  // namespace espfab::security
