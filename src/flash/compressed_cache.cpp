#include "flash/compressed_cache.hpp"

#include <zlib.h>

#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::flash {

Bytes zlib_compress(ByteView data, int level) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  Bytes out(size);
  const int rc = compress2(out.data(), &size, data.data(), static_cast<uLong>(data.size()), level);
  if (rc != Z_OK) throw InternalError("flash.compress_failed", "zlib compress2 failed with code " + std::to_string(rc));
  out.resize(size);
  return out;
}

std::shared_ptr<const CompressedImage> CompressionCache::get(ByteView data) {
  Key key = crypto::sha256(data);
  {
    std::lock_guard lock(mutex_);
    if (auto found = entries_.find(key); found != entries_.end()) return found->second;
  }
  auto image = std::make_shared<CompressedImage>();
  image->compressed = zlib_compress(data);
  image->uncompressed_size = static_cast<std::uint32_t>(data.size());
  std::lock_guard lock(mutex_);
  ++compressions_;
  auto [it, inserted] = entries_.emplace(key, std::move(image));
  return it->second;
}

std::size_t CompressionCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::size_t CompressionCache::compressions() const {
  std::lock_guard lock(mutex_);
  return compressions_;
}

}  // namespace espfab::flash
