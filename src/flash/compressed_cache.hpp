// A per-run cache of zlib-compressed images: each distinct image is compressed once (level 9, as
// esptool does) and the same compressed blocks are streamed to every fixture. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "util/bytes.hpp"

namespace espfab::flash {

struct CompressedImage {
  Bytes compressed;  // one zlib stream (header, deflate data, Adler-32)
  std::uint32_t uncompressed_size = 0;
};

// zlib stream of `data` at `level`; throws InternalError when zlib fails.
Bytes zlib_compress(ByteView data, int level = 9);

class CompressionCache {
 public:
  std::shared_ptr<const CompressedImage> get(ByteView data);
  std::size_t size() const;
  std::size_t compressions() const;  // how many times zlib actually ran

 private:
  using Key = std::array<std::uint8_t, 32>;
  mutable std::mutex mutex_;
  std::map<Key, std::shared_ptr<const CompressedImage>> entries_;
  std::size_t compressions_ = 0;
};

}  // namespace espfab::flash
