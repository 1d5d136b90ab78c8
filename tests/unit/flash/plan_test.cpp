#include "flash/plan.hpp"

#include <gtest/gtest.h>

#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::flash {
namespace {

FlashRegion region(std::uint32_t address, std::size_t size, std::string name, bool encrypt = false) {
  return FlashRegion{address, std::make_shared<Bytes>(size, 0x11), std::move(name), encrypt};
}

std::string plan_error(const std::vector<FlashRegion>& regions, PlanOptions options = {}) {
  try {
    plan_writes(regions, options);
  } catch (const BadInputError& e) {
    EXPECT_FALSE(e.hint().empty());
    return e.code() + ": " + e.message();
  }
  return "planned";
}

TEST(FlashPlan, SortsPadsAndHashes) {
  const auto plan = plan_writes({region(0x10000, 1001, "app.bin"), region(0x0, 4096, "bootloader.bin")}, {});
  ASSERT_EQ(plan.writes.size(), 2u);
  EXPECT_EQ(plan.writes[0].label, "bootloader.bin @0x0");
  EXPECT_EQ(plan.writes[1].label, "app.bin @0x10000");
  EXPECT_EQ(plan.writes[1].size(), 1004u);  // padded to 4 with 0xFF
  EXPECT_EQ(plan.writes[1].data->back(), 0xFF);
  EXPECT_EQ(plan.writes[1].md5_hex, to_hex(crypto::md5(*plan.writes[1].data)));
  EXPECT_TRUE(plan.writes[1].compress);
  EXPECT_TRUE(plan.writes[1].verify);
  EXPECT_EQ(plan.total_bytes(), 4096u + 1004u);
}

TEST(FlashPlan, EncryptedRegionsAreRawAndNotHashVerified) {
  const auto plan = plan_writes({region(0x20000, 64, "nvs_keys.bin", true)}, {});
  EXPECT_FALSE(plan.writes[0].compress);
  EXPECT_FALSE(plan.writes[0].verify);
  EXPECT_TRUE(plan.writes[0].encrypt);
}

// Issue 22 point 3: host-encrypted images (random-looking) go raw, without a zlib-9 pass.
TEST(FlashPlan, IncompressibleDataIsSentRaw) {
  Bytes noise(300 * 1024);
  std::uint32_t x = 2463534242u;  // xorshift32: bytes zlib cannot shrink
  for (auto& b : noise) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<std::uint8_t>(x);
  }
  Bytes firmware(300 * 1024);
  for (std::size_t i = 0; i < firmware.size(); ++i) firmware[i] = static_cast<std::uint8_t>((i / 7) % 13);
  const auto plan = plan_writes(
      {{0x10000, std::make_shared<Bytes>(noise), "app-encrypted.bin", false},
       {0x100000, std::make_shared<Bytes>(firmware), "app.bin", false},
       {0x200000, std::make_shared<Bytes>(Bytes(noise.begin(), noise.begin() + 4096)), "small-encrypted.bin", false}},
      {});
  EXPECT_FALSE(plan.writes[0].compress);
  EXPECT_TRUE(plan.writes[0].incompressible);
  EXPECT_TRUE(plan.writes[0].verify);  // still MD5-checked after writing
  EXPECT_TRUE(plan.writes[1].compress);
  EXPECT_FALSE(plan.writes[1].incompressible);
  EXPECT_FALSE(plan.writes[2].compress);
  EXPECT_TRUE(worth_compressing(firmware));
  EXPECT_FALSE(worth_compressing(noise));
}

TEST(FlashPlan, NoCompressOption) {
  PlanOptions options;
  options.compress = false;
  EXPECT_FALSE(plan_writes({region(0, 16, "a")}, options).writes[0].compress);
}

TEST(FlashPlan, Errors) {
  EXPECT_EQ(plan_error({}), "flash.no_regions: nothing to write");
  EXPECT_EQ(plan_error({region(0x1000, 0, "empty.bin")}), "flash.empty_region: empty.bin @0x1000 is empty");
  EXPECT_EQ(plan_error({region(0x1001, 4, "x.bin")}),
            "flash.unaligned_address: x.bin @0x1001 does not start on a 4 KiB sector boundary");
  PlanOptions small;
  small.flash_size = 0x100000;
  EXPECT_EQ(plan_error({region(0xFF000, 0x2000, "big.bin")}, small),
            "flash.region_beyond_flash: big.bin @0xff000 (8192 bytes) ends at 0x101000, beyond the 1024 KiB flash");
  EXPECT_EQ(plan_error({region(0x0, 0x9000, "bootloader.bin"), region(0x8000, 0xC00, "partitions.bin")}),
            "flash.overlapping_regions: bootloader.bin @0x0 (up to 0x9000) overlaps partitions.bin @0x8000");
}

TEST(FlashPlan, AdjacentRegionsAreFine) {
  EXPECT_EQ(plan_writes({region(0x0, 0x8000, "a"), region(0x8000, 0x1000, "b")}, {}).writes.size(), 2u);
}

}  // namespace
}  // namespace espfab::flash
