#include "flash/compressed_cache.hpp"

#include <zlib.h>

#include <gtest/gtest.h>

#include <thread>

namespace espfab::flash {
namespace {

Bytes inflate_all(ByteView stream, std::size_t size) {
  Bytes out(size);
  uLongf out_size = static_cast<uLongf>(size);
  EXPECT_EQ(uncompress(out.data(), &out_size, stream.data(), static_cast<uLong>(stream.size())), Z_OK);
  out.resize(out_size);
  return out;
}

Bytes sample(std::size_t size, std::uint8_t seed) {
  Bytes data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>((i * 7 + seed) % 13);
  return data;
}

TEST(CompressionCache, CompressesEachImageOnce) {
  CompressionCache cache;
  const Bytes app = sample(100'000, 1);
  const auto first = cache.get(app);
  const auto second = cache.get(app);
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(cache.compressions(), 1u);
  EXPECT_EQ(first->uncompressed_size, app.size());
  EXPECT_LT(first->compressed.size(), app.size() / 4);
  EXPECT_EQ(inflate_all(first->compressed, app.size()), app);
  cache.get(sample(1000, 2));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(CompressionCache, SharedAcrossThreads) {
  CompressionCache cache;
  const Bytes app = sample(50'000, 3);
  std::vector<std::thread> threads;
  std::vector<const CompressedImage*> seen(8);
  for (std::size_t i = 0; i < seen.size(); ++i) threads.emplace_back([&, i] { seen[i] = cache.get(app).get(); });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(cache.size(), 1u);
  for (const auto* image : seen) EXPECT_EQ(image, seen[0]);
}

TEST(ZlibCompress, IsAZlibStream) {
  const Bytes stream = zlib_compress(Bytes(10, 0xAB));
  ASSERT_GE(stream.size(), 2u);
  EXPECT_EQ(stream[0], 0x78);  // zlib header, deflate with 32 KiB window
}

}  // namespace
}  // namespace espfab::flash
