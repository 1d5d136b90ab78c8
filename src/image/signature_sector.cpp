#include "image/signature_sector.hpp"

#include <zlib.h>

#include <algorithm>

namespace espfab::image {

namespace {

constexpr std::size_t kBlockImageDigest = 4;
constexpr std::size_t kBlockKeyStart = 36;
constexpr std::size_t kBlockKeyEnd = 812;  // n (384) + e (4) + r_inv (384) + m_prime (4)
constexpr std::size_t kBlockCrc = 1196;

std::uint32_t crc32_of(ByteView data) {
  return static_cast<std::uint32_t>(::crc32(0L, data.data(), static_cast<uInt>(data.size())));
}

}  // namespace

std::size_t SignatureSector::valid_block_count() const {
  return static_cast<std::size_t>(std::count_if(blocks.begin(), blocks.end(), [](const auto& b) { return b.valid(); }));
}

std::optional<SignatureSector> find_signature_sector(ByteView file, std::size_t image_end) {
  const std::size_t offset = static_cast<std::size_t>(align_up(image_end, kSignatureSectorSize));
  if (offset > file.size() || file.size() - offset < kSignatureSectorSize) return std::nullopt;
  const ByteView sector = file.subspan(offset, kSignatureSectorSize);
  if (sector[0] != kSignatureBlockMagic) return std::nullopt;

  SignatureSector result;
  result.offset = offset;
  result.signed_digest = crypto::sha256(file.first(offset));
  for (std::size_t slot = 0; slot < kMaxSignatureBlocks; ++slot) {
    const ByteView block = sector.subspan(slot * kSignatureBlockSize, kSignatureBlockSize);
    if (block[0] != kSignatureBlockMagic) break;
    SignatureBlock info;
    info.index = slot;
    info.version = block[1];
    info.stored_crc = load_le32(block, kBlockCrc);
    info.calculated_crc = crc32_of(block.first(kBlockCrc));
    std::copy_n(block.begin() + kBlockImageDigest, info.image_digest.size(), info.image_digest.begin());
    info.image_digest_matches = info.image_digest == result.signed_digest;
    if (info.version == kSignatureVersionRsa) {
      info.key_digest = crypto::sha256(block.subspan(kBlockKeyStart, kBlockKeyEnd - kBlockKeyStart));
    }
    result.blocks.push_back(info);
  }
  return result;
}

}  // namespace espfab::image
