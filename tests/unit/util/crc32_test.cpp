#include "util/crc32.hpp"

#include <gtest/gtest.h>

namespace espfab {
namespace {

TEST(Crc32, EspVariantCheckValue) {
  // The ESP-IDF tools' zlib.crc32(data, 0xFFFFFFFF): not the standard CRC-32.
  EXPECT_EQ(crc32_esp(to_bytes("123456789")), 0xD202D277u);
}

TEST(Crc32, StandardCheckValueWithSeedZero) { EXPECT_EQ(crc32_update(0, to_bytes("123456789")), 0xCBF43926u); }

TEST(Crc32, EmptyInputReturnsSeed) {
  EXPECT_EQ(crc32_esp({}), 0xFFFFFFFFu);
  EXPECT_EQ(crc32_update(0, {}), 0u);
}

TEST(Crc32, Chains) {
  const Bytes all = to_bytes("123456789");
  const ByteView view(all);
  EXPECT_EQ(crc32_update(crc32_update(0xFFFFFFFFu, view.first(4)), view.subspan(4)), crc32_esp(all));
}

}  // namespace
}  // namespace espfab
