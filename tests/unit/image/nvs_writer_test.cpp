// NVS writer layout rules beyond the vectors: page boundaries, the generator's quirks, read-only
// partitions, limits, and that encryption leaves headers and empty slots plain.
#include "image/nvs_writer.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "image/nvs_reader.hpp"
#include "util/crc32.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

std::vector<NvsItem> with_namespace(std::vector<NvsItem> values) {
  std::vector<NvsItem> items;
  items.push_back(NvsItem::make_namespace("ns"));
  for (auto& value : values) items.push_back(std::move(value));
  return items;
}

std::vector<NvsItem> with_namespace(NvsItem value) {
  std::vector<NvsItem> items;
  items.push_back(NvsItem::make_namespace("ns"));
  items.push_back(std::move(value));
  return items;
}

std::vector<NvsItem> just(NvsItem value) {
  std::vector<NvsItem> items;
  items.push_back(std::move(value));
  return items;
}

std::string error_code(std::vector<NvsItem> items, std::size_t size = 0x3000, NvsVersion version = NvsVersion::V2) {
  try {
    build_nvs_partition(items, size, {.version = version});
  } catch (const Error& e) {
    return e.code();
  }
  return "none";
}

ByteView page(const Bytes& partition, std::size_t index) { return ByteView(partition).subspan(index * 4096, 4096); }
std::uint8_t slot_type(const Bytes& partition, std::size_t p, std::size_t slot) {
  return page(partition, p)[64 + slot * 32 + 1];
}

TEST(NvsWriter, EmptyContentStillWritesOneActivePage) {
  const NvsBuildResult result = build_nvs_partition({}, 0x3000, {});
  ASSERT_EQ(result.partition.size(), 0x3000u);
  EXPECT_EQ(load_le32(result.partition, 0), kNvsPageActive);
  EXPECT_EQ(load_le32(result.partition, 4), 0u);
  EXPECT_EQ(result.partition[8], 0xFE);
  EXPECT_EQ(load_le32(result.partition, 28), crc32_esp(ByteView(result.partition).subspan(4, 24)));
  EXPECT_TRUE(
      std::all_of(result.partition.begin() + 32, result.partition.end(), [](std::uint8_t b) { return b == 0xFF; }));
}

TEST(NvsWriter, SmallPartitionIsReadOnlyAndHoldsOnlyWrittenPages) {
  const auto items = with_namespace(NvsItem::make_unsigned("a", NvsType::U8, 1));
  EXPECT_EQ(build_nvs_partition(items, 0x2000, {}).partition.size(), 0x1000u);
  EXPECT_EQ(build_nvs_partition(items, 0x1000, {}).partition.size(), 0x1000u);
  EXPECT_EQ(error_code({}, 0x1800), "nvs.bad_size");
  EXPECT_EQ(error_code({}, 0), "nvs.bad_size");
}

TEST(NvsWriter, PrimitivesFillAllSlotsThenANewPage) {
  std::vector<NvsItem> values;
  for (int i = 0; i < 126; ++i) values.push_back(NvsItem::make_unsigned(fmt::format("k{}", i), NvsType::U8, 1));
  const NvsBuildResult result = build_nvs_partition(with_namespace(std::move(values)), 0x3000, {});
  EXPECT_EQ(result.pages_used, 2u);
  EXPECT_EQ(load_le32(result.partition, 0), kNvsPageFull);
  EXPECT_EQ(load_le32(result.partition, 4096), kNvsPageActive);
  EXPECT_EQ(slot_type(result.partition, 0, 125), 0x01);  // 126 entries on page 0 (namespace + 125)
  EXPECT_EQ(to_hex(page(result.partition, 0).subspan(32, 32)),
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaafa");
  EXPECT_EQ(page(result.partition, 1)[64 + 8], 'k');  // the 126th value opens page 1
}

// A string that would end exactly on the page's last slot starts a new page (the generator's >=).
TEST(NvsWriter, StringReachingTheLastSlotMovesToANewPage) {
  std::vector<NvsItem> values;
  for (int i = 0; i < 123; ++i) values.push_back(NvsItem::make_unsigned(fmt::format("k{}", i), NvsType::U8, 1));
  // entry 124 now; a 2-slot string (header + up to 31 chars + NUL) would end at slot 125.
  values.push_back(NvsItem::make_string("s", "short"));
  const NvsBuildResult result = build_nvs_partition(with_namespace(std::move(values)), 0x3000, {});
  EXPECT_EQ(slot_type(result.partition, 0, 124), 0xFF);
  EXPECT_EQ(slot_type(result.partition, 1, 0), 0x21);
}

TEST(NvsWriter, BlobChunkFillsThePageToTheLastSlot) {
  std::vector<NvsItem> values;
  for (int i = 0; i < 123; ++i) values.push_back(NvsItem::make_unsigned(fmt::format("k{}", i), NvsType::U8, 1));
  values.push_back(NvsItem::make_blob("b", Bytes(40, 0xAB)));  // at slot 124: one slot of room
  const NvsBuildResult result = build_nvs_partition(with_namespace(std::move(values)), 0x3000, {});
  const ByteView p0 = page(result.partition, 0);
  EXPECT_EQ(p0[64 + 124 * 32 + 1], 0x42);
  EXPECT_EQ(p0[64 + 124 * 32 + 2], 2);                // span
  EXPECT_EQ(load_le16(p0, 64 + 124 * 32 + 24), 32u);  // chunk 0 holds 32 bytes
  const ByteView p1 = page(result.partition, 1);
  EXPECT_EQ(p1[64 + 1], 0x42);
  EXPECT_EQ(p1[64 + 3], 1);  // chunk index 1
  EXPECT_EQ(load_le16(p1, 64 + 24), 8u);
  EXPECT_EQ(p1[64 + 64 + 1], 0x48);  // index after it
  EXPECT_EQ(p1[64 + 64 + 28], 2);    // two chunks
  const NvsPartitionContents back = read_nvs_partition(result.partition);
  EXPECT_TRUE(back.valid());
  EXPECT_EQ(back.find("ns", "b")->data, SecretBytes(Bytes(40, 0xAB)));
}

TEST(NvsWriter, RefusesWhatTheGeneratorCannotWrite) {
  EXPECT_EQ(error_code(just(NvsItem::make_unsigned("a", NvsType::U8, 1))), "nvs.no_namespace");
  EXPECT_EQ(error_code(with_namespace(NvsItem::make_string("sta.ssid", "x"))), "nvs.wifi_key");
  EXPECT_EQ(error_code(with_namespace(NvsItem::make_unsigned("", NvsType::U8, 1))), "nvs.bad_key");
  EXPECT_EQ(error_code(with_namespace(NvsItem::make_string("s", std::string(3968, 'x')))), "nvs.value_too_long");
  EXPECT_EQ(error_code(with_namespace(NvsItem::make_string("s", std::string(3966, 'x')))), "none");
  EXPECT_EQ(error_code(with_namespace(NvsItem::make_blob("b", Bytes(1985))), 0x3000, NvsVersion::V1),
            "nvs.value_too_long");
  EXPECT_EQ(error_code(with_namespace(NvsItem::make_blob("b", Bytes(1984))), 0x3000, NvsVersion::V1), "none");
  EXPECT_EQ(error_code(with_namespace(NvsItem::make_blob("b", Bytes(9000))), 0x3000), "nvs.too_small");
  EXPECT_THROW(NvsItem::make_unsigned("a", NvsType::U16, 0x10000), BadInputError);
  EXPECT_THROW(NvsItem::make_signed("a", NvsType::I8, -129), BadInputError);
}

TEST(NvsWriter, EncryptionLeavesHeadersAndEmptySlotsPlain) {
  Bytes material(64);
  for (std::size_t i = 0; i < material.size(); ++i) material[i] = static_cast<std::uint8_t>(i * 7 + 1);
  const NvsKeys keys{SecretBytes(material)};
  const auto items = with_namespace(NvsItem::make_string("secret", "do not leak"));
  const Bytes plain = build_nvs_partition(items, 0x3000, {}).partition;
  const Bytes encrypted = build_nvs_partition(items, 0x3000, {.keys = &keys}).partition;
  EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 64, encrypted.begin()));
  EXPECT_TRUE(std::equal(plain.begin() + 64 + 3 * 32, plain.end(), encrypted.begin() + 64 + 3 * 32));
  EXPECT_EQ(
      std::search(encrypted.begin(), encrypted.end(), plain.begin() + 64 + 2 * 32, plain.begin() + 64 + 2 * 32 + 11),
      encrypted.end());
  EXPECT_EQ(read_nvs_partition(encrypted, &keys).find("ns", "secret")->data, SecretBytes(to_bytes("do not leak")));
}

}  // namespace
}  // namespace espfab::image
